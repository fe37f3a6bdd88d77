using Translator.Machine.Snapshots;

namespace Translator.Machine.Devices;

/// <summary>
/// The 8254 programmable interval timer at 0x40-0x43 (QEMU's hw/timer/i8254.c semantics). Counters are not
/// stepped: each channel remembers when its count was loaded and derives its state from <see cref="VirtualClock"/>,
/// with the 1.193182 MHz input clock computed exactly in 128-bit integers, so nothing drifts. Channel 0's output
/// drives IRQ0; its level changes are delivered by <see cref="Advance"/>.
/// </summary>
public sealed class Pit8254 : IIoDevice, ITimedDevice, IRestoredStateCheck
{
    public const ushort FirstPort = 0x40;
    public const int PortCount = 4;
    public const int Irq = 0;

    /// <summary>The input clock: 1.193182 MHz.</summary>
    public const ulong InputHz = 1_193_182;

    private const ulong NanosecondsPerSecond = 1_000_000_000;

    // Read/write access states (QEMU's RW_STATE_*); 0 is the power-on value and behaves like LSB.
    private const byte AccessLsb = 1;
    private const byte AccessMsb = 2;
    private const byte AccessWord0 = 3;
    private const byte AccessWord1 = 4;

    private readonly VirtualClock _clock;
    private readonly IInterruptLines _irqs;
    private readonly Channel[] _channels = new Channel[3];

    private bool _irqLevel;                          // channel 0 output as last driven onto IRQ0
    private ulong _nextTransition = ulong.MaxValue;  // when channel 0's output next changes
    private ulong _nextRisingEdge = ulong.MaxValue;

    public Pit8254(VirtualClock clock, IInterruptLines irqs)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(irqs);
        _clock = clock;
        _irqs = irqs;

        // QEMU's reset state: every channel in mode 3 with count 65536, counting from now. Channel 0 runs and will
        // raise IRQ0 at 18.2 Hz until the guest reprograms it; IRQ0 is not driven until its first transition.
        for (int i = 0; i < _channels.Length; i++)
        {
            _channels[i] = new Channel { Mode = 3, Count = 0x10000, LoadTime = clock.Now };
        }

        Channel c0 = _channels[0];
        _nextTransition = TransitionTime(c0, c0.NextTransitionTick(0));
        _nextRisingEdge = FindNextRisingEdge();
    }

    /// <summary>The virtual time (ns) of IRQ0's next rising edge, or <see cref="ulong.MaxValue"/>.</summary>
    public ulong NextDeadline => _nextRisingEdge;

    public void Advance(ulong now)
    {
        int steps = 0;
        // ulong.MaxValue means "never", even when asked to advance to the end of time.
        while (_nextTransition != ulong.MaxValue && _nextTransition <= now)
        {
            Channel c0 = _channels[0];
            if (++steps > 4 && c0.IsPeriodic)
            {
                // Many periods elapsed (a long HLT): an edge-triggered IRR latches once anyway, so jump to the last
                // period boundary instead of replaying every edge.
                SkipToLastPeriod(c0, now);
                steps = 0;
                continue;
            }

            DriveIrq(_nextTransition);
        }
    }

    public uint Read(ushort port, int size)
    {
        uint value = 0;
        for (int i = 0; i < size; i++)
        {
            int offset = (port & 3) + i;
            uint b = offset < PortCount ? ReadRegister(offset) : 0xFFu;
            value |= b << (8 * i);
        }

        return value;
    }

    public void Write(ushort port, int size, uint value)
    {
        // Let IRQ0 catch up first so that edges due under the old programming are not lost.
        Advance(_clock.Now);
        for (int i = 0; i < size; i++)
        {
            int offset = (port & 3) + i;
            if (offset < PortCount)
            {
                WriteRegister(offset, (byte)(value >> (8 * i)));
            }
        }
    }

    /// <summary>Channel <paramref name="channel"/>'s OUT pin at the current virtual time.</summary>
    internal bool Output(int channel) => _channels[channel].OutAt(Ticks(_channels[channel], _clock.Now));

    private byte ReadRegister(int offset)
    {
        if (offset == 3)
        {
            // The control word register is write-only; QEMU reads it as 0.
            return 0;
        }

        Channel s = _channels[offset];
        if (s.StatusLatched)
        {
            s.StatusLatched = false;
            return s.Status;
        }

        if (s.CountLatched != 0)
        {
            switch (s.CountLatched)
            {
                case AccessMsb:
                    s.CountLatched = 0;
                    return (byte)(s.LatchedCount >> 8);
                case AccessWord0:
                    s.CountLatched = AccessMsb;
                    return (byte)s.LatchedCount;
                default:
                    s.CountLatched = 0;
                    return (byte)s.LatchedCount;
            }
        }

        int count = s.CountAt(Ticks(s, _clock.Now));
        switch (s.ReadState)
        {
            case AccessMsb:
                return (byte)(count >> 8);
            case AccessWord0:
                s.ReadState = AccessWord1;
                return (byte)count;
            case AccessWord1:
                s.ReadState = AccessWord0;
                return (byte)(count >> 8);
            default:
                return (byte)count;
        }
    }

    private void WriteRegister(int offset, byte value)
    {
        if (offset == 3)
        {
            WriteControl(value);
            return;
        }

        Channel s = _channels[offset];
        switch (s.WriteState)
        {
            case AccessMsb:
                LoadCount(offset, value << 8);
                break;
            case AccessWord0:
                s.WriteLatch = value;
                s.WriteState = AccessWord1;
                break;
            case AccessWord1:
                LoadCount(offset, s.WriteLatch | (value << 8));
                s.WriteState = AccessWord0;
                break;
            default:
                LoadCount(offset, value);
                break;
        }
    }

    private void WriteControl(byte value)
    {
        int channel = value >> 6;
        if (channel == 3)
        {
            // Read-back: bit 5 clear latches counts, bit 4 clear latches status, bits 1-3 select channels.
            for (int i = 0; i < 3; i++)
            {
                if ((value & (2 << i)) == 0)
                {
                    continue;
                }

                Channel s = _channels[i];
                if ((value & 0x20) == 0)
                {
                    LatchCount(s);
                }

                if ((value & 0x10) == 0 && !s.StatusLatched)
                {
                    // OUT, access mode, mode, BCD. Like QEMU, the null-count bit (6) is always 0.
                    bool output = s.OutAt(Ticks(s, _clock.Now));
                    s.Status = (byte)((output ? 0x80 : 0) | (s.RwMode << 4) | (s.Mode << 1) | s.Bcd);
                    s.StatusLatched = true;
                }
            }

            return;
        }

        Channel c = _channels[channel];
        int access = (value >> 4) & 3;
        if (access == 0)
        {
            LatchCount(c);
            return;
        }

        c.RwMode = (byte)access;
        c.ReadState = (byte)access;
        c.WriteState = (byte)access;
        c.Mode = (byte)((value >> 1) & 7);
        c.Bcd = (byte)(value & 1);
        if (channel == 0)
        {
            // The output follows the new mode from the next scheduled transition on (QEMU re-arms only on a count
            // load); the deadline is recomputed so the machine still wakes for it.
            _nextRisingEdge = FindNextRisingEdge();
        }
    }

    private void LatchCount(Channel s)
    {
        // A second latch before the first is read is ignored.
        if (s.CountLatched == 0)
        {
            s.LatchedCount = (ushort)s.CountAt(Ticks(s, _clock.Now));
            s.CountLatched = s.RwMode;
        }
    }

    private void LoadCount(int channel, int value)
    {
        Channel s = _channels[channel];
        s.Count = value == 0 ? 0x10000 : value;
        s.LoadTime = _clock.Now;
        if (channel == 0)
        {
            DriveIrq(s.LoadTime);
        }
    }

    /// <summary>Drives IRQ0 with channel 0's output at <paramref name="time"/> and schedules its next change.</summary>
    private void DriveIrq(ulong time)
    {
        Channel c0 = _channels[0];
        ulong d = Ticks(c0, time);
        _irqLevel = c0.OutAt(d);
        _irqs.SetIrq(Irq, _irqLevel);
        _nextTransition = TransitionTime(c0, c0.NextTransitionTick(d));
        _nextRisingEdge = FindNextRisingEdge();
    }

    private void SkipToLastPeriod(Channel c0, ulong now)
    {
        ulong period = (ulong)c0.Count;
        ulong lastBoundary = Ticks(c0, now) / period * period;
        ulong boundaryTime = TransitionTime(c0, lastBoundary);
        if (lastBoundary == 0 || boundaryTime < _nextTransition)
        {
            // That boundary was already delivered; carry on one transition at a time.
            DriveIrq(_nextTransition);
            return;
        }

        // A period boundary is a rising edge in modes 2 and 3; make sure the line is low just before it.
        if (_irqLevel)
        {
            _irqLevel = false;
            _irqs.SetIrq(Irq, false);
        }

        DriveIrq(boundaryTime);
    }

    private ulong FindNextRisingEdge()
    {
        Channel c0 = _channels[0];
        ulong time = _nextTransition;
        bool level = _irqLevel;
        for (int i = 0; i < 3 && time != ulong.MaxValue; i++)
        {
            ulong d = Ticks(c0, time);
            bool output = c0.OutAt(d);
            if (output && !level)
            {
                return time;
            }

            level = output;
            time = TransitionTime(c0, c0.NextTransitionTick(d));
        }

        return ulong.MaxValue;
    }

    /// <summary>Every channel's count, mode and access states are ones the guest can program (a count of 0 divides by zero).</summary>
    void IRestoredStateCheck.CheckRestoredState()
    {
        for (int i = 0; i < _channels.Length; i++)
        {
            _channels[i].CheckRestoredState($"channel {i}");
        }
    }

    /// <summary>Input-clock ticks from the channel's load time to <paramref name="time"/>: floor(ns * 1193182 / 1e9).</summary>
    private static ulong Ticks(Channel s, ulong time)
    {
        if (time <= s.LoadTime)
        {
            return 0;
        }

        return (ulong)((UInt128)(time - s.LoadTime) * InputHz / NanosecondsPerSecond);
    }

    /// <summary>The first ns at which <see cref="Ticks"/> reaches <paramref name="tick"/>: load + ceil(tick * 1e9 / 1193182).</summary>
    private static ulong TransitionTime(Channel s, ulong? tick)
    {
        if (tick is not ulong n)
        {
            return ulong.MaxValue;
        }

        UInt128 offset = ((UInt128)n * NanosecondsPerSecond + (InputHz - 1)) / InputHz;
        UInt128 time = s.LoadTime + offset;
        return time >= ulong.MaxValue ? ulong.MaxValue : (ulong)time;
    }

    private sealed class Channel
    {
        public int Count;          // reload value, 1..65536
        public ulong LoadTime;     // virtual ns at which Count was loaded
        public ushort LatchedCount;
        public byte CountLatched;  // access state of a pending count latch, 0 = none
        public bool StatusLatched;
        public byte Status;
        public byte ReadState;
        public byte WriteState;
        public byte WriteLatch;
        public byte RwMode;
        public byte Mode;          // as programmed (0-7)
        public byte Bcd;           // reported in status only; counting is binary, as in QEMU

        /// <summary>The ranges the ports can set: a loaded count (0 loads 65536), a 3-bit mode, a 2-bit access mode and the access states.</summary>
        public void CheckRestoredState(string channel)
        {
            RestoredState.InRange($"{channel} Count", Count, 1, 0x10000);
            RestoredState.InRange($"{channel} Mode", Mode, 0, 7);
            RestoredState.InRange($"{channel} Bcd", Bcd, 0, 1);
            RestoredState.InRange($"{channel} RwMode", RwMode, 0, AccessWord0);
            RestoredState.InRange($"{channel} CountLatched", CountLatched, 0, AccessWord0);
            RestoredState.InRange($"{channel} ReadState", ReadState, 0, AccessWord1);
            RestoredState.InRange($"{channel} WriteState", WriteState, 0, AccessWord1);
        }

        /// <summary>Modes 6 and 7 are aliases of 2 and 3 on the 8254.</summary>
        private int EffectiveMode => Mode >= 6 ? Mode - 4 : Mode;

        public bool IsPeriodic => EffectiveMode is 2 or 3 && Count > 1;

        public int CountAt(ulong d)
        {
            ulong count = (ulong)Count;
            return EffectiveMode switch
            {
                2 => (int)(count - d % count),
                // Counts down by two, twice per output period (exact for even counts, as in QEMU).
                3 => (int)(count - 2 * d % count),
                _ => (int)((count - d) & 0xFFFF),
            };
        }

        public bool OutAt(ulong d)
        {
            ulong count = (ulong)Count;
            return EffectiveMode switch
            {
                0 => d >= count,
                1 => d < count,
                // QEMU models the one-clock pulse inverted (high at each period boundary); the rising edges, which
                // are all the PIC sees, fall on the boundaries either way.
                2 => d % count == 0 && d != 0,
                3 => d % count < (count + 1) >> 1,
                _ => d == count,
            };
        }

        /// <summary>The first tick after <paramref name="d"/> at which OUT changes, or null when it never will.</summary>
        public ulong? NextTransitionTick(ulong d)
        {
            ulong count = (ulong)Count;
            switch (EffectiveMode)
            {
                case 0:
                case 1:
                    return d < count ? count : null;
                case 2:
                {
                    if (count == 1)
                    {
                        return d == 0 ? 1 : null;
                    }

                    ulong r = d % count;
                    return r == 0 && d != 0 ? d + 1 : d - r + count;
                }

                case 3:
                {
                    if (count == 1)
                    {
                        return null;
                    }

                    ulong half = (count + 1) >> 1;
                    ulong r = d % count;
                    return r < half ? d - r + half : d - r + count;
                }

                default:
                    return d < count ? count : d == count ? count + 1 : null;
            }
        }
    }
}
