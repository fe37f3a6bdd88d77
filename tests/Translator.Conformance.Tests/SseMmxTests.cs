using System.Text;
using Translator.Machine.Cpu;
using Translator.Vmm;
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
    public void TheFormsBehaveAlikeOnEveryBackend(string configuration)
    {
        var console = new List<byte>();
        VmOptions options = BackendConfigurations.Options(configuration, console.Add) with
        {
            CpuFeatures = CpuFeatures.Fpu | CpuFeatures.Mmx | CpuFeatures.Fxsr | CpuFeatures.Sse | CpuFeatures.Sse2,
        };
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("sse_mmx.bin")), options).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
        Assert.Equal(File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", "sse_mmx.expected.txt")), text);
    }
}
