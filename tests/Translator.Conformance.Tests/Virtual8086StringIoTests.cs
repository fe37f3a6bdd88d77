using System.Text;
using Translator.Machine.Devices;
using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// INS and OUTS in virtual-8086 mode (docs/virtual-8086.md): <c>vm86_strio</c> moves strings between ports and
/// segment-relative memory (CS override, DF = 1, ES's base, DI wrapping at 64 KiB, REP and 0x66 forms) and meets
/// the I/O bitmap (a denied port, a denied second port of a word, a denied port at IOPL 3) and the 64 KiB limit.
/// Its transcript, tests/guests/asm/vm86_strio.expected.txt, is the SDM's and is the same on every backend; QEMU TCG
/// prints it but for the limit session, where it does not check the limit: its INSW at offset 0xFFFF writes
/// ES:FFFF and the byte past the segment instead of raising #GP(0) with nothing read.
/// </summary>
public sealed class Virtual8086StringIoTests
{
    public static TheoryData<string> Configurations => new() { "native", "native-interpreter", "hw-ept", "hw-shadow", "bt" };

    private static readonly string[] s_limitSession =
    [
        "#GP(0000) ip=004e opcode=6d cx=0000 si=2024 di=ffff",
        "es:fffc=77112211 linear es+10000=00",
    ];

    private static string Expected => File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", "vm86_strio.expected.txt"));

    [Theory]
    [MemberData(nameof(Configurations))]
    public void StringIoInV86ModePrintsTheSdmTranscript(string configuration)
    {
        var console = new List<byte>();
        VmOptions options = BackendConfigurations.Options(configuration, console.Add) with { Devices = new PcDeviceOptions { TestDevice = true } };
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("vm86_strio.bin")), options).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
        Assert.Equal(Expected, text);
    }

    [Fact]
    public void QemuAgreesButForTheSegmentLimit()
    {
        ProcessResult qemu = ProcessRunner.RunQemu(GuestImages.Instance.PathOf("vm86_strio.bin"), TimeSpan.FromSeconds(60), null, "-device", "pc-testdev");
        Assert.Equal(1, qemu.ExitCode);
        string[] ours = Expected.Split('\n'), theirs = Encoding.ASCII.GetString(qemu.StandardOutput).Split('\n');
        Assert.Equal(ours.Length, theirs.Length);
        string[] differing = ours.Where((line, n) => line != theirs[n]).ToArray();
        Assert.Equal(s_limitSession, differing);
    }
}
