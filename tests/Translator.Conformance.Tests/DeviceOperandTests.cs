using System.Text;
using Translator.Machine.Devices;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// Instructions whose memory operand is on a device page, as kvm-unit-tests' emulator uses them past its SSE part
/// (docs/sse.md): a 2-byte read and a 4-byte write straddling pc-testdev's scratch page and a RAM page, and LTR
/// whose selector is read from the device page; then, as its test_crosspage_mmio and test_string_io_mmio, a 2-byte
/// read and write, a 4-byte ADD and REP INSB of 1024 bytes across two linear pages that both map pc-testdev's page
/// (a second device window in the VMM's emulation). <c>mmio_cross</c>'s transcript, tests/guests/asm/mmio_cross.expected.txt,
/// is what QEMU TCG prints with <c>-device pc-testdev</c>. Under bt the VMM emulates the device access of a
/// privileged instruction at the guest's virtual privilege, as it does when the instruction traps (at the real
/// CPL 1, LTR was #GP).
/// </summary>
public sealed class DeviceOperandTests
{
    public static TheoryData<string> Configurations => new() { "native", "hw-ept", "hw-shadow", "bt" };

    private static string Expected => File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", "mmio_cross.expected.txt"));

    [Theory]
    [MemberData(nameof(Configurations))]
    public void DeviceOperandsBehaveAsOnQemu(string configuration)
    {
        var console = new List<byte>();
        VmOptions options = BackendConfigurations.Options(configuration, console.Add) with { Devices = new PcDeviceOptions { TestDevice = true } };
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("mmio_cross.bin")), options).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
        Assert.Equal(Expected, text);
    }
}
