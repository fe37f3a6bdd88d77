using Translator.Machine.Devices;
using Xunit;

namespace Translator.Machine.Tests.Devices;

public class Pit8254Tests
{
    private readonly VirtualClock _clock = new();
    private readonly RecordingInterruptLines _irqs = new();
    private readonly Pit8254 _pit;

    public Pit8254Tests()
    {
        _pit = new Pit8254(_clock, _irqs);
    }

    /// <summary>The first ns at which tick <paramref name="n"/> has elapsed: ceil(n * 1e9 / 1193182).</summary>
    private static ulong TickTime(ulong n) => (ulong)(((UInt128)n * 1_000_000_000 + 1_193_181) / 1_193_182);

    private void Out(ushort port, byte value) => _pit.Write(port, 1, value);

    private byte In(ushort port) => (byte)_pit.Read(port, 1);

    private void Program(int channel, int mode, int count)
    {
        Out(0x43, (byte)((channel << 6) | 0x30 | (mode << 1)));
        Out((ushort)(0x40 + channel), (byte)count);
        Out((ushort)(0x40 + channel), (byte)(count >> 8));
    }

    private int LatchAndRead(int channel)
    {
        Out(0x43, (byte)(channel << 6));
        int lo = In((ushort)(0x40 + channel));
        return lo | (In((ushort)(0x40 + channel)) << 8);
    }

    private void RunTo(ulong time)
    {
        _clock.AdvanceTo(time);
        _pit.Advance(time);
    }

    [Fact]
    public void PowerOnChannel0RunsMode3At18Hz()
    {
        Assert.Equal(54_925_402ul, _pit.NextDeadline);
        Assert.Equal(TickTime(65536), _pit.NextDeadline);
        Assert.Empty(_irqs.Calls);

        RunTo(54_925_401);
        Assert.Equal([(0, false)], _irqs.Calls);   // the half-period falling edge at tick 32768

        RunTo(54_925_402);
        Assert.Equal([(0, false), (0, true)], _irqs.Calls);
        Assert.Equal(109_850_803ul, _pit.NextDeadline);
    }

    [Fact]
    public void RateGeneratorRaisesIrq0OncePerPeriod()
    {
        Program(0, 2, 1193);
        Assert.Equal([(0, false)], _irqs.Calls);
        Assert.Equal(999_848ul, _pit.NextDeadline);

        RunTo(999_847);
        Assert.Single(_irqs.Calls);

        RunTo(999_848);
        Assert.Equal((0, true), _irqs.Calls[^1]);
        Assert.Equal(1_999_695ul, _pit.NextDeadline);

        RunTo(1_000_686);   // tick 1194: the one-clock pulse ends
        Assert.Equal((0, false), _irqs.Calls[^1]);
        Assert.Equal(1_999_695ul, _pit.NextDeadline);
    }

    [Fact]
    public void PeriodicDeadlinesDoNotDrift()
    {
        Program(0, 2, 1193);
        for (ulong k = 1; k <= 20_000; k++)
        {
            ulong deadline = _pit.NextDeadline;
            Assert.Equal(TickTime(k * 1193), deadline);
            RunTo(deadline);
        }

        Assert.Equal(20_000, _irqs.RisingEdges(0));
    }

    [Fact]
    public void CountReadsAreExactAtAnyVirtualTime()
    {
        Program(0, 2, 0);   // 0 means 65536
        _clock.AdvanceTo(1_000_000_000);

        // 1 s is exactly 1193182 ticks; 1193182 mod 65536 = 13534.
        Assert.Equal(65536 - 13534, LatchAndRead(0));

        _clock.AdvanceTo(1_000_000_838);   // 838 ns is 0.9999 ticks: still the same count
        Assert.Equal(65536 - 13534, LatchAndRead(0));

        _clock.AdvanceTo(1_000_000_839);
        Assert.Equal(65536 - 13535, LatchAndRead(0));
    }

    [Fact]
    public void UnlatchedLoHiReadsTakeTwoSamples()
    {
        Program(2, 0, 0x1234);
        _clock.AdvanceTo(TickTime(0x10));

        Assert.Equal(0x24, In(0x42));
        _clock.AdvanceTo(TickTime(0x210));
        Assert.Equal(0x10, In(0x42));   // high byte of 0x1234 - 0x210 = 0x1024
    }

    [Fact]
    public void Mode0RaisesOnceAtTerminalCountThenWraps()
    {
        Program(0, 0, 100);
        Assert.Equal([(0, false)], _irqs.Calls);
        Assert.Equal(83_810ul, _pit.NextDeadline);

        RunTo(83_810);
        Assert.Equal([(0, false), (0, true)], _irqs.Calls);
        Assert.Equal(ulong.MaxValue, _pit.NextDeadline);

        RunTo(125_715);   // tick 150
        Assert.Equal(2, _irqs.Calls.Count);
        Assert.Equal(65536 - 50, LatchAndRead(0));
        Assert.True(_pit.Output(0));
    }

    [Fact]
    public void SquareWaveStartsHighAndTogglesEachHalfPeriod()
    {
        Program(0, 3, 4);
        Assert.Equal([(0, true)], _irqs.Calls);   // QEMU drives OUT high as the count loads
        Assert.Equal(TickTime(4), _pit.NextDeadline);

        RunTo(TickTime(2));
        Assert.Equal((0, false), _irqs.Calls[^1]);
        RunTo(TickTime(4));
        Assert.Equal((0, true), _irqs.Calls[^1]);
        Assert.Equal(TickTime(8), _pit.NextDeadline);
    }

    [Fact]
    public void SquareWaveWithAnOddCountIsHighForTheLongerHalf()
    {
        Program(1, 3, 5);
        _clock.AdvanceTo(TickTime(1));
        Assert.Equal(3, LatchAndRead(1));
        Assert.True(_pit.Output(1));

        _clock.AdvanceTo(TickTime(3));
        Assert.False(_pit.Output(1));
        _clock.AdvanceTo(TickTime(5));
        Assert.True(_pit.Output(1));
    }

    [Fact]
    public void ReadBackLatchesStatusThenCount()
    {
        Program(0, 2, 1000);
        _clock.AdvanceTo(TickTime(10));

        Out(0x43, 0xC2);   // read-back: count and status of channel 0
        Assert.Equal(0x34, In(0x40));
        Assert.Equal(990 & 0xFF, In(0x40));
        Assert.Equal(990 >> 8, In(0x40));

        Program(2, 0, 50);
        _clock.AdvanceTo(TickTime(10) + TickTime(60));
        Out(0x43, 0xE8);   // status only, channel 2: terminal count reached, so OUT is high
        Assert.Equal(0xB0, In(0x42));
    }

    [Fact]
    public void ReadBackStatusShowsLsbOnlyMode()
    {
        Out(0x43, 0x5B);   // channel 1, LSB only, mode 5, BCD
        Out(0x43, 0xE4);
        Assert.Equal(0x1B, In(0x41));
    }

    [Fact]
    public void ALatchHoldsItsValueAndASecondLatchIsIgnored()
    {
        Program(0, 2, 1000);
        _clock.AdvanceTo(TickTime(100));
        Out(0x43, 0x00);
        _clock.AdvanceTo(TickTime(300));
        Out(0x43, 0x00);

        Assert.Equal(900, In(0x40) | (In(0x40) << 8));
        Assert.Equal(700, LatchAndRead(0));
    }

    [Fact]
    public void LsbOnlyAndMsbOnlyAccess()
    {
        Out(0x43, 0x90);   // channel 2, LSB only, mode 0
        Out(0x42, 0x50);
        Assert.Equal(0x50, In(0x42));

        Out(0x43, 0xA0);   // channel 2, MSB only, mode 0
        Out(0x42, 0x03);
        _clock.AdvanceTo(_clock.Now + TickTime(0x10));
        Assert.Equal(0x02, In(0x42));   // 0x300 - 0x10 = 0x2F0
    }

    [Fact]
    public void TheControlPortReadsZero()
    {
        Assert.Equal(0, In(0x43));
        Assert.Equal(0xFFFF_0000u, _pit.Read(0x42, 4) & 0xFFFF_FF00u);
    }

    [Fact]
    public void ALongHaltDeliversOneEdgeWithoutReplayingEveryPeriod()
    {
        Program(0, 2, 2);
        RunTo(10_000_000_000);   // ten seconds at ~600 kHz

        Assert.InRange(_irqs.RisingEdges(0), 1, 4);
        Assert.True(_pit.NextDeadline > 10_000_000_000);
        ulong ticks = (ulong)((UInt128)10_000_000_000 * 1_193_182 / 1_000_000_000);
        Assert.Equal(TickTime((ticks / 2 + 1) * 2), _pit.NextDeadline);
    }

    [Fact]
    public void ReprogrammingDeliversEdgesThatWereAlreadyDue()
    {
        Program(0, 2, 1193);
        _clock.AdvanceTo(1_500_000);
        Program(0, 2, 1193);

        Assert.Equal(1, _irqs.RisingEdges(0));
        Assert.Equal(1_500_000 + TickTime(1193), _pit.NextDeadline);
    }

    [Fact]
    public void AControlWordAloneDoesNotRestartAStoppedTimer()
    {
        Program(0, 0, 10);
        RunTo(TickTime(10));
        Assert.Equal(ulong.MaxValue, _pit.NextDeadline);

        Out(0x43, 0x34);
        Assert.Equal(ulong.MaxValue, _pit.NextDeadline);

        Out(0x40, 10);
        Out(0x40, 0);
        Assert.Equal(_clock.Now + TickTime(10), _pit.NextDeadline);
    }

    [Fact]
    public void OnlyChannel0DrivesAnIrq()
    {
        Program(1, 2, 10);
        Program(2, 3, 10);
        _clock.AdvanceTo(TickTime(1000));
        _pit.Advance(_clock.Now);

        Assert.All(_irqs.Calls, call => Assert.Equal(0, call.Irq));
        Assert.Equal(10 - 1000 % 10, LatchAndRead(1));
    }

    [Fact]
    public void AdvancingToTheEndOfTimeTerminates()
    {
        Program(0, 0, 10);
        _pit.Advance(ulong.MaxValue);
        Assert.Equal(ulong.MaxValue, _pit.NextDeadline);

        Program(0, 2, 1000);
        _pit.Advance(ulong.MaxValue);
        Assert.Equal(ulong.MaxValue, _pit.NextDeadline);
        // Mode 0's one edge, then two replayed periods and the jump to the last boundary before time runs out.
        Assert.Equal(4, _irqs.RisingEdges(0));
    }

    [Fact]
    public void SoftwareStrobePulsesOnceAtTerminalCount()
    {
        Program(0, 4, 20);
        Assert.Equal([(0, false)], _irqs.Calls);
        Assert.Equal(TickTime(20), _pit.NextDeadline);

        RunTo(TickTime(20));
        Assert.Equal((0, true), _irqs.Calls[^1]);
        RunTo(TickTime(21));
        Assert.Equal((0, false), _irqs.Calls[^1]);
        Assert.Equal(ulong.MaxValue, _pit.NextDeadline);
        Assert.Equal(1, _irqs.RisingEdges(0));
    }
}
