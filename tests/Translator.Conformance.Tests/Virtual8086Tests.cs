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
