using System.Text;
using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// Hardware task switching and UMIP (docs/task-switching.md) on every backend that runs the nasm guests (trap cannot:
/// see <see cref="TrapDivergenceTests"/>). <c>task_switch</c>'s transcript is the SDM's, pinned in
/// tests/guests/asm/task_switch.expected.txt; QEMU TCG agrees with it up to the #TS raised after the commit point,
/// which QEMU delivers with the old task's EIP (the SDM: the new task's). <c>umip</c> matches QEMU TCG with
/// <c>-cpu max</c> (its default CPU has no UMIP) byte for byte.
/// </summary>
public sealed class TaskSwitchTests
{
    public static TheoryData<string> Configurations => new() { "native", "native-interpreter", "hw-ept", "hw-shadow", "bt" };

    private static (string Console, int ExitCode, string? Message) Run(string image, string configuration)
    {
        var console = new List<byte>();
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf(image)),
            BackendConfigurations.Options(configuration, console.Add)).Run();
        return (Encoding.ASCII.GetString(console.ToArray()), run.ExitCode, run.Result.Message);
    }

    private static string Expected => File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", "task_switch.expected.txt"));

    [Theory]
    [MemberData(nameof(Configurations))]
    public void TaskSwitchGuestPrintsTheSdmTranscript(string configuration)
    {
        (string console, int exitCode, string? message) = Run("task_switch.bin", configuration);
        Assert.True(exitCode == 1, $"{configuration}: exit {exitCode} ({message})\n{console}");
        Assert.Equal(Expected, console);
    }

    /// <summary>Under hw every switch is a TASK_SWITCH exit (reason 9) whose qualification names the TSS and the source.</summary>
    [Fact]
    public void UnderHwEverySwitchExitsWithItsSourceAndTheGateEvent()
    {
        var console = new List<byte>();
        var vm = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("task_switch.bin")), BackendConfigurations.Options("hw-ept", console.Add));
        var exits = new List<Translator.Machine.Cpu.VmExitInformation>();
        ((Translator.Vmm.Backends.Hw.HardwareAssistedBackend)vm.Backend).ExitObserved += e =>
        {
            if (e.Reason == Translator.Machine.Cpu.VmExitReason.TaskSwitch)
            {
                exits.Add(e);
            }
        };
        Assert.Equal(1, vm.Run().ExitCode);
        Assert.Equal(Expected, Encoding.ASCII.GetString(console.ToArray()));
        var sources = exits.Select(e => (Translator.Machine.Cpu.TaskSwitchSource)(e.Qualification >> 30)).ToHashSet();
        Assert.Equal(4, sources.Count); // CALL, IRET, JMP and IDT task gates
        Assert.Contains(exits, e => (e.Qualification & 0xFFFF) == 0x68 && (e.Qualification >> 30) == 0 && e.InstructionLength == 7); // CALL through the gate: task 2's TSS
        Assert.Contains(exits, e => (e.Qualification & 0xFFFF) == 0x80 && (e.Qualification >> 30) == 3 && e.IdtVectoring.Vector == 10 && e.IdtVectoring.DeliversErrorCode);
        Assert.Contains(exits, e => (e.Qualification & 0xFFFF) == 0x88 && (e.Qualification >> 30) == 3 && e.IdtVectoring.Vector == 8);
    }

    [Fact]
    public void QemuAgreesUntilTheFaultAfterTheCommitPoint()
    {
        ProcessResult qemu = ProcessRunner.RunQemu(GuestImages.Instance.PathOf("task_switch.bin"), TimeSpan.FromSeconds(60));
        string[] ours = Expected.Split('\n');
        string[] theirs = Encoding.ASCII.GetString(qemu.StandardOutput).Split('\n');
        int agreed = Array.FindIndex(ours, l => l.StartsWith("ts task:", StringComparison.Ordinal));
        Assert.True(agreed > 10, "the transcript has its #TS task line");
        Assert.Equal(ours[..agreed], theirs[..agreed]);

        // Where they part: the same error code, TR, back link and busy bits; only the EIP saved for task 3 differs
        // (QEMU 7.2 saves the CALL's).
        Assert.StartsWith("ts task: err=00001230 task3 eip is its first: 00000000 TR=0080 link=0078", ours[agreed], StringComparison.Ordinal);
        static string WithoutEip(string line) => System.Text.RegularExpressions.Regex.Replace(line, "its first: [0-9a-f]{8}", "its first: ?");
        Assert.Equal(WithoutEip(ours[agreed]), WithoutEip(theirs[agreed]));
    }

    [Fact]
    public void UmipGuestMatchesQemuOnEveryBackend()
    {
        ProcessResult qemu = ProcessRunner.RunQemu(GuestImages.Instance.PathOf("umip.bin"), TimeSpan.FromSeconds(60), cpuModel: "max");
        string expected = Encoding.ASCII.GetString(qemu.StandardOutput);
        Assert.Contains("UMIP set, CPL 3\n  sgdt: EXC 0d err=00000000", expected, StringComparison.Ordinal);
        foreach (string configuration in ((IEnumerable<object[]>)Configurations).Select(row => (string)row[0]))
        {
            (string console, int exitCode, string? message) = Run("umip.bin", configuration);
            Assert.True(exitCode == qemu.ExitCode, $"{configuration}: exit {exitCode} ({message})");
            Assert.Equal(expected, console);
        }
    }
}
