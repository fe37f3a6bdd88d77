using System.Text;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// A processor made without the SIMD unit (<c>CpuFeatures.None</c>, <c>--cpu-features none</c>) reports no FPU, MMX,
/// FXSR, SSE or SSE2 (docs/sse.md), and behaves as the SDM says such a processor must: CR4.OSFXSR and OSXMMEXCPT are reserved (#GP, CR4 unchanged), every MMX, SSE, SSE2 and FXSR instruction is
/// #UD under any CR0, x87 instructions are #NM while CR0.EM or CR0.TS is set and #UD otherwise, and WAIT is #NM only
/// with CR0.MP and CR0.TS. <c>no_sse</c>'s transcript, pinned in tests/guests/asm/no_sse.expected.txt, is that
/// table; it must come out the same on every backend that runs the nasm guests (trap cannot:
/// <see cref="TrapDivergenceTests"/>; kvm-unit-tests' emulator shows the OSFXSR #GP under trap too). A change that
/// makes CR4 accept OSFXSR, or an SSE instruction run, without CPUID saying so fails here.
/// </summary>
public sealed class SseAbsenceTests
{
    public static TheoryData<string> Configurations => new() { "native", "native-interpreter", "hw-ept", "hw-shadow", "bt" };

    private static string Expected => File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", "no_sse.expected.txt"));

    [Theory]
    [MemberData(nameof(Configurations))]
    public void FloatingPointAndSimdFaultAsTheSdmSaysForThisCpuid(string configuration)
    {
        var console = new List<byte>();
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("no_sse.bin")),
            BackendConfigurations.Options(configuration, console.Add) with { CpuFeatures = Translator.Machine.Cpu.CpuFeatures.None }).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
        Assert.Equal(Expected, text);
    }
}
