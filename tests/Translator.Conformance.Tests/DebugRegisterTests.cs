using System.Text;
using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// Code and data breakpoints through DR0-DR7 (docs/debug-registers.md): <c>dbreg</c>'s transcript,
/// tests/guests/asm/dbreg.expected.txt, is the SDM's, the same on every backend (compiled, interpreted and translated
/// code all stop at an armed address). QEMU TCG 7.2 prints it but for seven lines: it reports the breakpoint on the
/// instruction after MOV SS and after POP SS (Intel processors hold it, which kvm-unit-tests' emulator checks),
/// so its hit counts run two ahead, it has no general detect (MOV DR with DR7.GD set runs), and it watches an
/// unaligned data breakpoint's bytes as given where the processor masks the address with the length (SDM 17.2.5).
/// </summary>
public sealed class DebugRegisterTests
{
    public static TheoryData<string> Configurations => new() { "native", "native-interpreter", "hw-ept", "hw-shadow", "bt", "native-translated" };

    private static readonly string[] s_qemuDiffers =
    [
        "after mov ss: 00000000",
        "after pop ss: 00000000",
        "the same breakpoint without mov ss: 00000001",
        "general detect: EXC 01 err=00000000 eip=00000000 cr2=00000000",
        "ffff2ff0 00000400",
        "write byte 1, watch 2 at +1 (aligned to +0): 01 ffff0ff1 07",
        "write byte 2, watch 2 at +1: 00 00000000 00",
    ];

    private static string Expected => File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", "dbreg.expected.txt"));

    [Theory]
    [MemberData(nameof(Configurations))]
    public void CodeBreakpointsFollowTheSdm(string configuration)
    {
        var console = new List<byte>();
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("dbreg.bin")),
            BackendConfigurations.Options(configuration, console.Add)).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
        Assert.Equal(Expected, text);
    }

    [Fact]
    public void QemuDiffersOnlyAtMovSsGeneralDetectAndUnalignedWatches()
    {
        ProcessResult qemu = ProcessRunner.RunQemu(GuestImages.Instance.PathOf("dbreg.bin"), TimeSpan.FromSeconds(60));
        Assert.Equal(1, qemu.ExitCode);
        string[] ours = Expected.Split('\n'), theirs = Encoding.ASCII.GetString(qemu.StandardOutput).Split('\n');
        Assert.Equal(ours.Length, theirs.Length);
        Assert.Equal(s_qemuDiffers, ours.Where((line, n) => line != theirs[n]).ToArray());
    }
}
