using System.Text;
using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// The CMOS RTC and NVRAM (docs/devices.md, "CMOS RTC and NVRAM"): tests/guests/asm/rtc.asm, run with the clock's
/// start fixed, prints what QEMU TCG prints for it (rtc.expected.txt, taken with <c>-rtc base=...,clock=vm</c> and
/// <c>-icount shift=0,sleep=off</c>, whose virtual nanosecond per instruction is this machine's) on every backend
/// that runs the nasm guests (trap cannot, <see cref="TrapDivergenceTests"/>).
/// </summary>
public sealed class RtcTests
{
    public static readonly DateTimeOffset Base = new(2026, 12, 7, 12, 34, 56, TimeSpan.Zero);

    private static string Expected => File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", "rtc.expected.txt"));

    private static VmOptions Options(string configuration, List<byte> console)
    {
        VmOptions options = BackendConfigurations.Options(configuration, console.Add, 400_000_000);
        return options with { Devices = options.Devices with { RtcBase = Base } };
    }

    [Theory]
    [InlineData("native")]
    [InlineData("hw-ept")]
    [InlineData("hw-shadow")]
    [InlineData("bt")]
    public void RtcGuestPrintsQemusTranscript(string configuration)
    {
        var console = new List<byte>();
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf("rtc.bin")), Options(configuration, console)).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
        Assert.Equal(Expected, text);

        // IRQ 8 is counted like every line, and the guest's port accesses reach the RTC as the PIT's do: I/O exits
        // under hw, trapped IN/OUT (callouts) under bt.
        Assert.True(run.Statistics.Events.GetValueOrDefault("irq.8") > 100, $"{configuration}: irq.8 = {run.Statistics.Events.GetValueOrDefault("irq.8")}");
        string portEvent = configuration switch
        {
            "hw-ept" or "hw-shadow" => "exit.IO_INSTRUCTION",
            "bt" => "callout.in",
            _ => "io.accesses",
        };
        Assert.True(run.Statistics.Events.GetValueOrDefault(portEvent) > 10_000, $"{configuration}: {portEvent} = {run.Statistics.Events.GetValueOrDefault(portEvent)}");
    }

    [Fact]
    public void QemuPrintsTheSameTranscript()
    {
        ProcessResult qemu = ProcessRunner.RunQemu(GuestImages.Instance.PathOf("rtc.bin"), TimeSpan.FromSeconds(120), null,
            "-rtc", $"base={Base.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss},clock=vm", "-icount", "shift=0,sleep=off");
        Assert.Equal(1, qemu.ExitCode);
        Assert.Equal(Expected, Encoding.ASCII.GetString(qemu.StandardOutput));
    }
}
