using System.Text;
using Translator.Machine.Cpu;
using Translator.Machine;
using Translator.Vmm;
using Translator.Vmm.Backends;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// The SSE unit (docs/sse.md) on every backend that runs the nasm guests: <c>sse</c> (tests/guests/asm/sse.asm)
/// with the Fxsr, Sse and Sse2 features must print sse.expected.txt under native (compiled blocks and the
/// interpreter), hw with EPT and with shadow paging, bt, and the translation core's code (hw-ept-translated: SIMD
/// instructions are its fallbacks to the interpreter's handlers). The transcript is QEMU 7.2 TCG's except where QEMU
/// departs from the SDM and the host CPU (docs/sse.md lists them: DE for a denormal operand, #XM or #UD for an unmasked
/// exception, #GP for LDMXCSR's reserved bits) and for CPUID's CLFSH bit, which this CPU reports.
/// </summary>
public sealed class SseTests
{
    public static TheoryData<string> Configurations => new() { "native", "native-interpreter", "hw-ept", "hw-shadow", "bt", "hw-ept-translated" };

    private static string Expected => File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", "sse.expected.txt"));

    [Theory]
    [MemberData(nameof(Configurations))]
    public void TheUnitBehavesAlikeOnEveryBackend(string configuration)
    {
        var console = new List<byte>();
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("sse.bin")),
            Options(configuration, console)).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
        Assert.Equal(Expected, text);
    }

    /// <summary>
    /// Saved under native while the XMM registers are live and MXCSR rounds toward zero (in the rounding part),
    /// through the file format, and resumed under hw and bt: the run ends as the uninterrupted one, with the same
    /// console and retired count.
    /// </summary>
    [Theory]
    [InlineData("hw-ept")]
    [InlineData("bt")]
    public void ASnapshotWithLiveSimdStateResumesOnAnotherBackend(string to)
    {
        byte[] image = File.ReadAllBytes(GuestImages.Instance.PathOf("sse.bin"));
        var before = new List<byte>();
        VirtualMachine first = VirtualMachine.Create(image, Options("native", before));
        X86Cpu cpu = ((NativeBackend)first.Backend).Machine.Cpu;
        while (first.Backend.Run(first.Backend.GuestInstructions + 5).Reason == MachineStopReason.BudgetExhausted
            && !((cpu.GetMxcsr() & 0x6000) == 0x6000 && cpu.GetXmm(0) != 0))
        {
        }

        Assert.True((cpu.GetMxcsr() & 0x6000) == 0x6000, "the guest ended before its rounding part");
        byte[] file = first.TakeSnapshot().ToBytes();
        var after = new List<byte>();
        VmRunResult resumed = VirtualMachine.Resume(VmSnapshot.Read(file), Options(to, after)).Run();
        Assert.Equal(1, resumed.ExitCode);
        Assert.Equal(Expected, Encoding.ASCII.GetString([.. before, .. after]));
    }

    private static VmOptions Options(string configuration, List<byte> console) =>
        BackendConfigurations.Options(configuration, console.Add) with { CpuFeatures = CpuFeatures.Fxsr | CpuFeatures.Sse | CpuFeatures.Sse2 };
}
