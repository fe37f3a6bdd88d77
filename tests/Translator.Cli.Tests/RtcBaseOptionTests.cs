using Iced.Intel;
using Translator.Tests.Shared;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Cli.Tests;

/// <summary>--rtc-base sets the CMOS clock's start time as QEMU's -rtc base= does; a value it cannot read is exit 2.</summary>
public sealed class RtcBaseOptionTests
{
    /// <summary>Writes the raw CMOS bytes century, year, month, day, hours, minutes, seconds to COM1.</summary>
    private static byte[] PrintsTheCmosTime() => MultibootImage.Build(a =>
    {
        foreach (byte index in new byte[] { 0x32, 0x09, 0x08, 0x07, 0x04, 0x02, 0x00 })
        {
            a.mov(al, index);
            a.@out(0x70, al);
            a.@in(al, 0x71);
            a.mov(dx, 0x3F8);
            a.@out(dx, al);
        }

        MultibootImage.EmitExit(a, 0);
    });

    [Theory]
    [InlineData("native", "2026-12-07T12:34:56", new byte[] { 0x20, 0x26, 0x12, 0x07, 0x12, 0x34, 0x56 })]
    [InlineData("hw", "1999-12-31", new byte[] { 0x19, 0x99, 0x12, 0x31, 0x00, 0x00, 0x00 })]
    [InlineData("bt", "2000-02-29T23:59:59", new byte[] { 0x20, 0x00, 0x02, 0x29, 0x23, 0x59, 0x59 })]
    public void TheGuestReadsTheBaseTime(string backend, string rtcBase, byte[] expected)
    {
        string image = TranslatorProcess.WriteTemp(PrintsTheCmosTime());
        TranslatorProcess.Result run = TranslatorProcess.Run("run", image, "--backend", backend, "--rtc-base", rtcBase);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal(expected, run.Stdout);
    }

    [Fact]
    public void WithoutItTheClockStartsAtTheHostsUtcTime()
    {
        string image = TranslatorProcess.WriteTemp(PrintsTheCmosTime());
        DateTime before = DateTime.UtcNow;
        TranslatorProcess.Result run = TranslatorProcess.Run("run", image);
        DateTime after = DateTime.UtcNow;
        Assert.Equal(1, run.ExitCode);
        static int Bcd(byte b) => ((b >> 4) * 10) + (b & 0x0F);
        byte[] t = run.Stdout;
        var read = new DateTime((Bcd(t[0]) * 100) + Bcd(t[1]), Bcd(t[2]), Bcd(t[3]), Bcd(t[4]), Bcd(t[5]), Bcd(t[6]), DateTimeKind.Utc);
        Assert.InRange(read, before.AddSeconds(-1), after);
    }

    [Theory]
    [InlineData("2026-13-01")]
    [InlineData("2026-12-07T25:00:00")]
    [InlineData("tomorrow")]
    [InlineData("2026-12-07 12:00:00")]
    public void AValueItCannotReadIsBadInput(string rtcBase)
    {
        string image = TranslatorProcess.WriteTemp(PrintsTheCmosTime());
        TranslatorProcess.Result run = TranslatorProcess.Run("run", image, "--rtc-base", rtcBase);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--rtc-base needs utc, localtime, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC, years 1-9999), not '{rtcBase}'", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
    }

    [Fact]
    public void UtcAndLocaltimeAreAccepted()
    {
        string image = TranslatorProcess.WriteTemp(PrintsTheCmosTime());
        Assert.Equal(1, TranslatorProcess.Run("run", image, "--rtc-base", "utc").ExitCode);
        Assert.Equal(1, TranslatorProcess.Run("run", image, "--rtc-base", "localtime").ExitCode);
    }
}
