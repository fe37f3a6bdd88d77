using Translator.Machine.Devices;
using Xunit;

namespace Translator.Machine.Tests.Devices;

/// <summary>The MC146818's register semantics on the virtual clock (datasheet; QEMU's mc146818rtc where it chooses).</summary>
public sealed class CmosRtcTests
{
    private const ulong Second = 1_000_000_000;
    private static readonly DateTimeOffset Base = new(2026, 12, 7, 12, 34, 56, TimeSpan.Zero); // a Monday

    private readonly VirtualClock _clock = new();
    private readonly RecordingInterruptLines _lines = new();
    private readonly CmosRtc _rtc;

    public CmosRtcTests() => _rtc = new CmosRtc(_clock, _lines, Base, 128UL << 20);

    private byte Read(int index)
    {
        _rtc.Write(CmosRtc.IndexPort, 1, (uint)index);
        return (byte)_rtc.Read(CmosRtc.DataPort, 1);
    }

    private void Write(int index, byte value)
    {
        _rtc.Write(CmosRtc.IndexPort, 1, (uint)index);
        _rtc.Write(CmosRtc.DataPort, 1, value);
    }

    private void RunTo(ulong time)
    {
        _clock.AdvanceTo(time);
        _rtc.Advance(time);
    }

    private byte[] Time() => [Read(CmosRtc.Century), Read(CmosRtc.Year), Read(CmosRtc.Month), Read(CmosRtc.DayOfMonth), Read(CmosRtc.Hours), Read(CmosRtc.Minutes), Read(CmosRtc.Seconds), Read(CmosRtc.DayOfWeek)];

    [Fact]
    public void AfterResetTheClockReadsTheBaseInBcdWith24Hours()
    {
        Assert.Equal(new byte[] { 0x20, 0x26, 0x12, 0x07, 0x12, 0x34, 0x56, 0x02 }, Time());
        Assert.Equal(0x26, Read(CmosRtc.RegisterA));
        Assert.Equal(0x02, Read(CmosRtc.RegisterB));
        Assert.Equal(0x00, Read(CmosRtc.RegisterC));
        Assert.Equal(0x80, Read(CmosRtc.RegisterD));
        Assert.Equal(0x20, Read(CmosRtc.Ps2Century));
    }

    [Fact]
    public void TheSecondsAdvanceWithVirtualTimeAndCarryIntoTheDate()
    {
        _clock.AdvanceTo((11 * 3600 + 25 * 60 + 4) * Second); // to 2026-12-08 00:00:00
        Assert.Equal(new byte[] { 0x20, 0x26, 0x12, 0x08, 0x00, 0x00, 0x00, 0x03 }, Time());
    }

    [Fact]
    public void BinaryAnd12HourModesRenderTheSameTime()
    {
        Write(CmosRtc.RegisterB, CmosRtc.BBinary | CmosRtc.B24Hour);
        Assert.Equal(new byte[] { 20, 26, 12, 7, 12, 34, 56, 2 }, Time());
        Write(CmosRtc.RegisterB, 0);                      // BCD, 12-hour: 12:34 is 12 PM
        Assert.Equal(0x92, Read(CmosRtc.Hours));
        Write(CmosRtc.RegisterB, CmosRtc.BBinary);        // binary, 12-hour
        Assert.Equal(0x8C, Read(CmosRtc.Hours));
    }

    [Theory]
    [InlineData(0x12, 0x00)] // 12 AM is midnight
    [InlineData(0x81, 0x13)] // 1 PM
    [InlineData(0x92, 0x12)] // 12 PM is noon
    [InlineData(0x11, 0x11)]
    public void HoursWrittenIn12HourModeReadBackIn24HourMode(byte written, byte read)
    {
        Write(CmosRtc.RegisterB, CmosRtc.BSet);
        Write(CmosRtc.Hours, written);
        Write(CmosRtc.RegisterB, CmosRtc.B24Hour);
        Assert.Equal(read, Read(CmosRtc.Hours));
    }

    [Fact]
    public void SetFreezesTheRegistersAndClearsUie()
    {
        Write(CmosRtc.RegisterB, CmosRtc.BSet | CmosRtc.BUpdateEndedEnable | CmosRtc.B24Hour);
        Assert.Equal(CmosRtc.BSet | CmosRtc.B24Hour, Read(CmosRtc.RegisterB));
        _clock.AdvanceTo(5 * Second);
        Assert.Equal(0x56, Read(CmosRtc.Seconds));
        Assert.Equal(0, Read(CmosRtc.RegisterA) & CmosRtc.AUpdateInProgress);
        Write(CmosRtc.Seconds, 0x10);
        Write(CmosRtc.RegisterB, CmosRtc.B24Hour);
        Assert.Equal(0x10, Read(CmosRtc.Seconds));
        _clock.AdvanceTo(6 * Second);                   // the phase of the second went on during SET
        Assert.Equal(0x11, Read(CmosRtc.Seconds));
    }

    [Fact]
    public void UipIsSetFor244MicrosecondsBeforeEachUpdate()
    {
        _clock.AdvanceTo(Second - CmosRtc.UpdateInProgressNanoseconds - 1);
        Assert.Equal(0x26, Read(CmosRtc.RegisterA));
        _clock.AdvanceTo(Second - CmosRtc.UpdateInProgressNanoseconds);
        Assert.Equal(0xA6, Read(CmosRtc.RegisterA));
        Assert.Equal(0x56, Read(CmosRtc.Seconds));
        _clock.AdvanceTo(Second);
        Assert.Equal(0x26, Read(CmosRtc.RegisterA));
        Assert.Equal(0x57, Read(CmosRtc.Seconds));
        Write(CmosRtc.RegisterA, 0xA6);                 // UIP is read-only
        Assert.Equal(0x26, Read(CmosRtc.RegisterA));
    }

    [Fact]
    public void UpdateEndedInterruptRaisesIrq8AndReadingCLowersIt()
    {
        Write(CmosRtc.RegisterB, CmosRtc.BUpdateEndedEnable | CmosRtc.B24Hour);
        Assert.Equal(Second, _rtc.NextDeadline);
        RunTo(Second - 1);
        Assert.False(_lines.Level(CmosRtc.Irq));
        RunTo(Second);
        Assert.True(_lines.Level(CmosRtc.Irq));
        Assert.Equal(ulong.MaxValue, _rtc.NextDeadline); // the line is up: nothing can rise until C is read
        Assert.Equal(CmosRtc.CIrqFlag | CmosRtc.CUpdateEnded, Read(CmosRtc.RegisterC));
        Assert.False(_lines.Level(CmosRtc.Irq));
        Assert.Equal(0, Read(CmosRtc.RegisterC));
        Assert.Equal(2 * Second, _rtc.NextDeadline);
    }

    [Fact]
    public void FlagsAreSetWithoutTheirEnablesAndAnEnableSetLaterRaisesTheLineAtOnce()
    {
        _clock.AdvanceTo(3 * Second + 5);
        Assert.False(_lines.Level(CmosRtc.Irq));
        Write(CmosRtc.RegisterB, CmosRtc.BUpdateEndedEnable | CmosRtc.B24Hour);
        Assert.True(_lines.Level(CmosRtc.Irq));
        Assert.Equal(CmosRtc.CIrqFlag | CmosRtc.CUpdateEnded, Read(CmosRtc.RegisterC));
        Write(CmosRtc.RegisterB, CmosRtc.B24Hour);
        Assert.Equal(1, _lines.RisingEdges(CmosRtc.Irq));
    }

    [Theory]
    [InlineData(0x57, 0x34, 0x12, 1)]          // the next second
    [InlineData(0xFF, 0xFF, 0xFF, 1)]          // don't care everywhere: every second
    [InlineData(0x00, 0xC0, 0xC0, 4)]          // at the next whole minute
    [InlineData(0x00, 0x35, 0xFF, 4)]
    [InlineData(0x56, 0x34, 0x12, 86_400)]     // the time just passed: tomorrow
    public void TheAlarmFiresWhenTheTimeMatchesItsNonDontCareFields(byte seconds, byte minutes, byte hours, int secondsAway)
    {
        Write(CmosRtc.SecondsAlarm, seconds);
        Write(CmosRtc.MinutesAlarm, minutes);
        Write(CmosRtc.HoursAlarm, hours);
        Write(CmosRtc.RegisterB, CmosRtc.BAlarmEnable | CmosRtc.B24Hour);
        ulong due = (ulong)secondsAway * Second;
        RunTo(due - 1);
        Assert.False(_lines.Level(CmosRtc.Irq));
        RunTo(due);
        Assert.True(_lines.Level(CmosRtc.Irq));
        Assert.Equal(CmosRtc.CIrqFlag | CmosRtc.CAlarm | CmosRtc.CUpdateEnded, Read(CmosRtc.RegisterC));
    }

    [Theory]
    [InlineData(0x26, 32)]      // RS 6: 1024 Hz, 32 ticks of 32.768 kHz
    [InlineData(0x23, 4)]       // RS 3: 8192 Hz
    [InlineData(0x21, 128)]     // RS 1 is RS 8's 256 Hz
    [InlineData(0x22, 256)]     // RS 2 is RS 9's 128 Hz
    [InlineData(0x2F, 16_384)]  // RS 15: 2 Hz
    public void ThePeriodicInterruptComesEveryPeriodOnceEnabled(byte registerA, int ticks)
    {
        Write(CmosRtc.RegisterA, registerA);
        Write(CmosRtc.RegisterB, CmosRtc.BPeriodicEnable | CmosRtc.B24Hour);
        for (int n = 1; n <= 3; n++)
        {
            ulong due = (ulong)((UInt128)(ulong)(n * ticks) * Second / 32_768) + 1;
            Assert.Equal(due, _rtc.NextDeadline);
            RunTo(due - 1);
            Assert.False(_lines.Level(CmosRtc.Irq));
            RunTo(due);
            Assert.True(_lines.Level(CmosRtc.Irq));
            Assert.Equal(CmosRtc.CIrqFlag | CmosRtc.CPeriodic, Read(CmosRtc.RegisterC) & ~CmosRtc.CUpdateEnded);
        }
    }

    [Fact]
    public void RateSelectZeroOrPieClearGivesNoPeriodicInterrupt()
    {
        Write(CmosRtc.RegisterA, 0x20);
        Write(CmosRtc.RegisterB, CmosRtc.BPeriodicEnable | CmosRtc.B24Hour);
        Assert.Equal(ulong.MaxValue, _rtc.NextDeadline);
        Write(CmosRtc.RegisterA, 0x26);
        Write(CmosRtc.RegisterB, CmosRtc.B24Hour);
        RunTo(Second / 2);
        Assert.Equal(0, Read(CmosRtc.RegisterC) & CmosRtc.CPeriodic);
    }

    [Fact]
    public void ALongAbsenceLatchesEachFlagOnceAndSchedulesFromTheLastPeriod()
    {
        Write(CmosRtc.RegisterB, CmosRtc.BPeriodicEnable | CmosRtc.B24Hour);
        _clock.AdvanceTo(3 * 86_400 * Second + 7);
        Assert.Equal(CmosRtc.CIrqFlag | CmosRtc.CPeriodic | CmosRtc.CUpdateEnded | CmosRtc.CAlarm, Read(CmosRtc.RegisterC));
        Assert.Equal(1, _lines.RisingEdges(CmosRtc.Irq));
        Assert.Equal(new byte[] { 0x20, 0x26, 0x12, 0x10, 0x12, 0x34, 0x56, 0x05 }, Time());
        ulong next = _rtc.NextDeadline;
        Assert.InRange(next, _clock.Now + 1, _clock.Now + (Second / 1024) + 1);
    }

    [Fact]
    public void LeavingDividerResetStartsTheFirstUpdateHalfASecondLater()
    {
        _clock.AdvanceTo(Second / 4);
        Write(CmosRtc.RegisterA, 0x76);
        Assert.Equal(0x76, Read(CmosRtc.RegisterA));
        _clock.AdvanceTo(3 * Second);
        Assert.Equal(0x56, Read(CmosRtc.Seconds)); // stopped
        Assert.Equal(0, Read(CmosRtc.RegisterC));  // no update cycles either
        Write(CmosRtc.RegisterA, 0x26);
        _clock.AdvanceTo((3 * Second) + (Second / 2) - 1);
        Assert.Equal(0x56, Read(CmosRtc.Seconds));
        _clock.AdvanceTo((3 * Second) + (Second / 2));
        Assert.Equal(0x57, Read(CmosRtc.Seconds));
    }

    [Fact]
    public void TheIndexIgnoresTheNmiBitAndIsWriteOnly()
    {
        _rtc.Write(CmosRtc.IndexPort, 1, 0x80 | CmosRtc.RegisterD);
        Assert.True(_rtc.NmiDisabled);
        Assert.Equal(0x80u, _rtc.Read(CmosRtc.DataPort, 1));
        Assert.Equal(0xFFu, _rtc.Read(CmosRtc.IndexPort, 1));
        _rtc.Write(CmosRtc.IndexPort, 1, 0x20);
        Assert.False(_rtc.NmiDisabled);
        _rtc.Write(CmosRtc.DataPort, 1, 0x5A);
        Assert.Equal(0x5Au, _rtc.Read(CmosRtc.DataPort, 1));
        Assert.Equal(0xFF5Au, _rtc.Read(CmosRtc.DataPort, 2)); // past 0x71 nothing answers
        Write(CmosRtc.RegisterC, 0xFF);
        Write(CmosRtc.RegisterD, 0x00);
        Assert.Equal(0, Read(CmosRtc.RegisterC));
        Assert.Equal(0x80, Read(CmosRtc.RegisterD));
    }

    [Theory]
    [InlineData(128, new byte[] { 0x80, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x07, 0x00, 0x00, 0x00 })]
    [InlineData(16, new byte[] { 0x80, 0x02, 0x00, 0x3C, 0x00, 0x3C, 0x00, 0x00, 0x00, 0x00, 0x00 })]
    [InlineData(32, new byte[] { 0x80, 0x02, 0x00, 0x7C, 0x00, 0x7C, 0x00, 0x01, 0x00, 0x00, 0x00 })]
    public void NvramHoldsQemusMemorySizes(int mib, byte[] expected)
    {
        var rtc = new CmosRtc(_clock, _lines, Base, (ulong)mib << 20);
        int[] at = [0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35, 0x5B, 0x5C, 0x5D];
        Assert.Equal(expected, at.Select(i => rtc.Peek(i)).ToArray());
        Assert.Equal(0x07, rtc.Peek(0x14));
        Assert.Equal(0x00, rtc.Peek(0x0F));
    }

    [Fact]
    public void AnyYearTheRegistersCanHoldRollsOverWithoutFault()
    {
        Write(CmosRtc.RegisterB, CmosRtc.BSet | CmosRtc.B24Hour);
        byte[] time = [0x99, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59]; // 9999-12-31 23:59:59
        int[] at = [CmosRtc.Century, CmosRtc.Year, CmosRtc.Month, CmosRtc.DayOfMonth, CmosRtc.Hours, CmosRtc.Minutes, CmosRtc.Seconds];
        for (int i = 0; i < at.Length; i++)
        {
            Write(at[i], time[i]);
        }

        Write(CmosRtc.RegisterB, CmosRtc.B24Hour);
        _clock.AdvanceTo(Second);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x07 }, Time()); // 10000-01-01, a Saturday
        Write(CmosRtc.RegisterB, CmosRtc.BSet | CmosRtc.B24Hour);
        Write(CmosRtc.Month, 0xFF);
        Write(CmosRtc.DayOfMonth, 0x00);
        Write(CmosRtc.RegisterB, CmosRtc.B24Hour);
        _ = Time(); // nonsense the guest wrote is some date, never an exception
    }
}
