using System.Text;
using Translator.Machine.Cpu;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// The x87 FPU and MMX with the processor's feature set turned on (docs/x87.md): <c>x87.asm</c> prints bit patterns
/// of arithmetic under every rounding and precision control, conversions, compares, FXAM, FPREM, FBSTP, the
/// environment image, MMX aliasing, and the fault rules (#NM, #MF, FERR# on IRQ 13 with the IGNNE# port, MMX's #UD/
/// #NM/#MF). Every backend that runs the nasm guests prints the same transcript, tests/guests/asm/x87.expected.txt;
/// it is QEMU 7.2 TCG's output wherever QEMU follows the SDM (docs/x87.md lists the lines where it does not).
/// </summary>
public sealed class X87GuestTests
{
    public static TheoryData<string> Configurations => new() { "native", "native-interpreter", "hw-ept", "hw-shadow", "bt", "native-translated" };

    private static string Expected => File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", "x87.expected.txt"));

    [Theory]
    [MemberData(nameof(Configurations))]
    public void X87AndMmxRunAlikeOnEveryBackend(string configuration)
    {
        var console = new List<byte>();
        VmOptions options = BackendConfigurations.Options(configuration, console.Add) with { CpuFeatures = CpuFeatures.Fpu | CpuFeatures.Mmx };
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("x87.bin")), options).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
        Assert.Equal(Expected, text);
    }

    /// <summary>
    /// Saved at points where the FPU holds live state (partway through the arithmetic, inside the MMX part, with an
    /// exception pending) and resumed on another technique, through the file format, the guest prints the whole
    /// transcript: the x87/MMX registers and the feature set travel in the snapshot.
    /// </summary>
    [Theory]
    [InlineData("native", "hw-ept")]
    [InlineData("hw-shadow", "bt")]
    [InlineData("bt", "native")]
    public void SnapshotsCarryTheFpu(string from, string to)
    {
        byte[] image = File.ReadAllBytes(GuestImages.Instance.PathOf("x87.bin"));
        var whole = new List<byte>();
        VirtualMachine reference = VirtualMachine.Create(image, Options("native", whole));
        reference.Run();
        ulong total = reference.Backend.GuestInstructions;
        foreach (ulong at in new[] { total / 3, total * 9 / 10 })
        {
            var before = new List<byte>();
            VirtualMachine first = VirtualMachine.Create(image, Options(from, before));
            first.Run(at);
            byte[] file = first.TakeSnapshot().ToBytes();
            var after = new List<byte>();
            VmRunResult run = VirtualMachine.Resume(VmSnapshot.Read(file), BackendConfigurations.Options(to, after.Add)).Run();
            string text = Encoding.ASCII.GetString([.. before, .. after]);
            Assert.True(run.ExitCode == 1, $"saved under {from} at {at}, resumed under {to}: exit {run.ExitCode}\n{text}");
            Assert.Equal(Expected, text);
        }
    }

    /// <summary>A snapshot without the FPU section (written before the FPU existed) loads with the FPU in its reset state.</summary>
    [Fact]
    public void SnapshotsWithoutTheFpuSectionLoadWithTheFpuReset()
    {
        byte[] image = File.ReadAllBytes(GuestImages.Instance.PathOf("x87.bin"));
        VirtualMachine first = VirtualMachine.Create(image, Options("native", []));
        first.Run(20_000);
        VmSnapshot taken = first.TakeSnapshot();
        Assert.NotEqual(0u, taken.Machine.Cpu.Fpu!.InstructionPointer); // the guest has run x87 instructions by now
        taken.Machine.Cpu.Fpu = null; // written as a writer before the FPU wrote it: no FPU section
        VmSnapshot old = VmSnapshot.Read(taken.ToBytes());
        Assert.Null(old.Machine.Cpu.Fpu);
        VirtualMachine resumed = VirtualMachine.Resume(old, BackendConfigurations.Options("native", _ => { }));
        var fpu = ((Translator.Vmm.Backends.NativeBackend)resumed.Backend).Machine.Cpu.Fpu;
        Assert.Equal((0x037F, 0, 0xFF, 0u), (fpu.Control, fpu.Status, fpu.EmptyMask, fpu.InstructionPointer));
    }

    private static VmOptions Options(string configuration, List<byte> console) =>
        BackendConfigurations.Options(configuration, console.Add) with { CpuFeatures = CpuFeatures.Fpu | CpuFeatures.Mmx };

    /// <summary><c>CpuFeatures.None</c> (<c>--cpu-features none</c>) is the i686 integer core: no FPU in CPUID, x87 is #UD.</summary>
    [Fact]
    public void WithoutTheFeaturesTheCpuStaysTheIntegerCore()
    {
        var console = new List<byte>();
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("x87.bin")),
            BackendConfigurations.Options("native", console.Add) with { CpuFeatures = CpuFeatures.None }).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.Contains("cpuid fpu mmx: 00", text, StringComparison.Ordinal);
        Assert.Equal(3, run.ExitCode); // the first x87 instruction outside TRY is #UD: FATAL
    }

    /// <summary>A machine made with the default options has the whole SIMD unit: x87.bin runs its transcript through.</summary>
    [Fact]
    public void TheDefaultProcessorHasTheFpu()
    {
        Assert.Equal(CpuFeatures.Fpu | CpuFeatures.Mmx | CpuFeatures.Fxsr | CpuFeatures.Sse | CpuFeatures.Sse2, new VmOptions().CpuFeatures);
        var console = new List<byte>();
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("x87.bin")),
            BackendConfigurations.Options("native", console.Add)).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.Contains("cpuid fpu mmx: 11", text, StringComparison.Ordinal);
        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {text}");
    }
}
