using System.Text;
using Translator.Machine.Cpu;
using Translator.Tests.Shared;
using Translator.Vmm;
using Translator.Vmm.Backends.Hw;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// NMIs (docs/devices.md, "NMI"): tests/guests/asm/nmi.asm prints the SDM's transcript, pinned in nmi.expected.txt,
/// on every backend that runs the nasm guests (trap cannot, <see cref="TrapDivergenceTests"/>; kvm-unit-tests'
/// eventinj covers it). QEMU TCG agrees with every line up to the IRET that faults, which QEMU does not let unblock
/// NMIs (the SDM does).
/// </summary>
public sealed class NmiTests
{
    private static string Expected => File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", "nmi.expected.txt"));

    private static VirtualMachine Create(string configuration, List<byte> console) =>
        VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("nmi.bin")), BackendConfigurations.Options(configuration, console.Add));

    [Theory]
    [MemberData(nameof(TaskSwitchTests.Configurations), MemberType = typeof(TaskSwitchTests))]
    public void NmiGuestPrintsTheSdmTranscript(string configuration)
    {
        var console = new List<byte>();
        VmRunResult run = Create(configuration, console).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
        Assert.Equal(Expected, text);
        Assert.Equal(9 + 2, run.Statistics.Events["nmi"]); // nine through the interrupt gate, two through the task gate
    }

    /// <summary>
    /// Under hw the VMM injects each NMI (interruption type 2) when the guest has no NMI blocking, and otherwise asks
    /// for an NMI-window exit (reason 8), which comes at the guest's IRET; the task gate's NMI is a TASK_SWITCH exit
    /// whose IDT-vectoring information is the NMI.
    /// </summary>
    [Theory]
    [InlineData("hw-ept")]
    [InlineData("hw-shadow")]
    public void UnderHwNmisAreInjectedAndWaitForTheNmiWindow(string configuration)
    {
        var console = new List<byte>();
        VirtualMachine vm = Create(configuration, console);
        var exits = new List<VmExitInformation>();
        ((HardwareAssistedBackend)vm.Backend).ExitObserved += exits.Add;
        Assert.Equal(1, vm.Run().ExitCode);
        Assert.Equal(Expected, Encoding.ASCII.GetString(console.ToArray()));

        // The latched NMIs wait for an NMI window after two more in the handler, with the fixed IRQ, and before the
        // faulting IRET; the one the NMI task latched needs none: its IRET (NT) is a TASK_SWITCH exit, and the VMM
        // injects the NMI at the entry that follows the switch.
        Assert.Equal(3, exits.Count(e => e.Reason == VmExitReason.NmiWindow));
        Assert.Equal(2, exits.Count(e => e.Reason == VmExitReason.TaskSwitch && (e.Qualification >> 30) == 3
            && e.IdtVectoring.Type == InterruptionType.Nmi && e.IdtVectoring.Vector == 2));
    }

    /// <summary>
    /// A snapshot taken inside the NMI handler, with NMIs blocked and one latched (hw keeps it in the VMM's APIC, the
    /// others in the processor), resumed under another technique: the rest of the run is the uninterrupted one's.
    /// </summary>
    [Theory]
    [InlineData("native", "hw-ept")]
    [InlineData("hw-shadow", "bt")]
    [InlineData("hw-ept", "native")]
    public void ASnapshotWithAnNmiLatchedResumesUnderAnotherBackend(string from, string to)
    {
        var first = new List<byte>();
        VirtualMachine vm = Create(from, first);
        const string Latched = "in the handler after two more: count=4\n";
        ulong retired = 0;
        while (!Encoding.ASCII.GetString(first.ToArray()).EndsWith(Latched, StringComparison.Ordinal))
        {
            retired += 10;
            Assert.True(retired < 100_000, $"{from} never printed the line of the latched NMI");
            vm.Run(retired);
        }

        VmSnapshot snapshot = VmSnapshot.Read(vm.TakeSnapshot().ToBytes());
        var rest = new List<byte>();
        VmRunResult resumed = VirtualMachine.Resume(snapshot, BackendConfigurations.Options(to, rest.Add)).Run();
        Assert.Equal(1, resumed.ExitCode);
        Assert.Equal(Expected, Encoding.ASCII.GetString([.. first, .. rest]));
    }

    [Fact]
    public void QemuAgreesUntilTheIretThatFaults()
    {
        ProcessResult qemu = ProcessRunner.RunQemu(GuestImages.Instance.PathOf("nmi.bin"), TimeSpan.FromSeconds(60));
        Assert.Equal(1, qemu.ExitCode);
        string[] ours = Expected.Split('\n');
        string[] theirs = Encoding.ASCII.GetString(qemu.StandardOutput).Split('\n');
        int parted = Array.IndexOf(ours, "NMI 9");
        Assert.True(parted > 20, "the transcript has the NMI latched before the faulting IRET");
        Assert.Equal(ours[..parted], theirs[..parted]);

        // The SDM: the IRET unblocked NMIs before it faulted, so the latched NMI comes before the #GP handler's
        // line. QEMU 7.2: only after the #GP handler's own IRET. The rest is the same.
        Assert.StartsWith("EXC 0d err=00000000", ours[parted + 1], StringComparison.Ordinal);
        Assert.Equal([ours[parted + 1], ours[parted]], theirs[parted..(parted + 2)]);
        Assert.Equal(ours[(parted + 2)..], theirs[(parted + 2)..]);
    }
}
