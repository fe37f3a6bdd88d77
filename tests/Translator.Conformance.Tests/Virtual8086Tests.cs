using System.Text;
using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// Virtual-8086 mode (docs/virtual-8086.md) on every backend that runs the nasm guests (trap cannot: see
/// <see cref="TrapDivergenceTests"/>; kvm-unit-tests' taskswitch2 covers v86 mode under trap). <c>vm86</c>'s
/// transcript is the SDM's, pinned in tests/guests/asm/vm86.expected.txt; QEMU TCG prints the same but for one
/// line: it does not check the 64 KiB segment limit, so the word read at offset 0xFFFF does not #GP there.
/// </summary>
public sealed class Virtual8086Tests
{
    public static TheoryData<string> Configurations => new() { "native", "native-interpreter", "hw-ept", "hw-shadow", "bt" };

    private const string LimitFault = "#GP(0000) at 2000:0033";

    private static string Expected => File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", "vm86.expected.txt"));

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Vm86GuestPrintsTheSdmTranscript(string configuration)
    {
        var console = new List<byte>();
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("vm86.bin")),
            BackendConfigurations.Options(configuration, console.Add)).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
        Assert.Equal(Expected, text);
    }

    /// <summary>
    /// Under hw the v86 code runs in VMX non-root operation: its #GPs to the monitor, INT n and IRET to v86 mode are
    /// the guest's own (no exit); the two task switches (into the v86 task and back through the gate) exit.
    /// </summary>
    [Fact]
    public void UnderHwV86CodeRunsWithoutExitsButForIoAndTaskSwitches()
    {
        var console = new List<byte>();
        var vm = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("vm86.bin")), BackendConfigurations.Options("hw-ept", console.Add));
        var reasons = new List<Translator.Machine.Cpu.VmExitReason>();
        ((Translator.Vmm.Backends.Hw.HardwareAssistedBackend)vm.Backend).ExitObserved += e => reasons.Add(e.Reason);
        Assert.Equal(1, vm.Run().ExitCode);
        Assert.Equal(Expected, Encoding.ASCII.GetString(console.ToArray()));
        Assert.Equal(2, reasons.Count(r => r == Translator.Machine.Cpu.VmExitReason.TaskSwitch));
        Assert.DoesNotContain(Translator.Machine.Cpu.VmExitReason.ExceptionOrNmi, reasons);
        Assert.All(reasons, r => Assert.Contains(r, new[]
        {
            Translator.Machine.Cpu.VmExitReason.IoInstruction, Translator.Machine.Cpu.VmExitReason.TaskSwitch,
            Translator.Machine.Cpu.VmExitReason.EptViolation, Translator.Machine.Cpu.VmExitReason.ExternalInterrupt,
        }));
    }

    [Fact]
    public void QemuAgreesButForTheSegmentLimit()
    {
        ProcessResult qemu = ProcessRunner.RunQemu(GuestImages.Instance.PathOf("vm86.bin"), TimeSpan.FromSeconds(60));
        Assert.Equal(1, qemu.ExitCode);
        string[] ours = Expected.Split('\n');
        Assert.Single(ours, l => l.StartsWith(LimitFault, StringComparison.Ordinal) && l.EndsWith("opcode=a1", StringComparison.Ordinal));
        Assert.Equal(ours.Where(l => !l.StartsWith(LimitFault, StringComparison.Ordinal)), Encoding.ASCII.GetString(qemu.StandardOutput).Split('\n'));
    }
}
