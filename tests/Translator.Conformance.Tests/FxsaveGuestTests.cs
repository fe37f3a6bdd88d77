using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// FXSAVE and FXRSTOR with the SIMD units on (docs/sse.md): <c>fxsave.asm</c> prints the image of a live
/// x87/MMX/XMM/MXCSR state, an FXRSTOR round trip, the MMX view and the fault rules (#GP misaligned, #NM with TS or
/// EM, FXRSTOR's MXCSR check, CR4.OSFXSR = 0). Every backend that runs the nasm guests prints
/// tests/guests/asm/fxsave.expected.txt (QEMU 7.2 TCG's transcript but for the lines docs/sse.md lists).
/// </summary>
public sealed class FxsaveGuestTests
{
    public static TheoryData<string> Configurations => new() { "native", "hw-ept", "hw-shadow", "bt" };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void FxsaveAndFxrstorRunAlikeOnEveryBackend(string configuration) =>
        SimdGuest.AssertPrintsItsTranscript("fxsave", configuration);
}
