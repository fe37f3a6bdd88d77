using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// The SSE/SSE2 forms on MMX registers (docs/sse.md) on every backend that runs the nasm guests: <c>sse_mmx</c>
/// (tests/guests/asm/sse_mmx.asm) with the x87, MMX, SSE and SSE2 units must print sse_mmx.expected.txt under native,
/// hw with EPT and with shadow paging, and bt. The transcript's results are QEMU 7.2 TCG's; its exception lines and
/// the tag word after CVTPI2PS from memory are the SDM's and the host processor's (docs/sse.md lists where QEMU differs).
/// </summary>
public sealed class SseMmxTests
{
    public static TheoryData<string> Configurations => new() { "native", "hw-ept", "hw-shadow", "bt" };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void TheFormsBehaveAlikeOnEveryBackend(string configuration) =>
        SimdGuest.AssertPrintsItsTranscript("sse_mmx", configuration);
}
