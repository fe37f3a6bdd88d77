namespace Translator.Machine.Devices;

/// <summary>
/// The APIC timer (SDM 11.5.4) on the virtual clock: it counts down from the initial count at the bus clock divided
/// by the divide configuration. The bus clock is 1 GHz, one tick per virtual nanosecond, as QEMU's (whose APIC timer
/// counts QEMU_CLOCK_VIRTUAL nanoseconds). One-shot mode raises the LVT timer vector once when the count reaches 0;
/// periodic mode reloads it and raises the vector every initial-count ticks. A write of 0 to the initial count stops
/// it. Ticks between two looks at the timer that would raise several interrupts raise one: the IRR holds one bit.
/// </summary>
public sealed partial class LocalApic
{
    private const uint TimerPeriodic = 1 << 17;
    private const uint TimerDivideBits = 0xB;

    private uint _timerInitialCount;
    private uint _timerDivide;
    private ulong _timerStart;
    private ulong _timerDeadline = ulong.MaxValue;

    private int DivideShift => (int)(((_timerDivide & 3) | ((_timerDivide >> 1) & 4)) + 1) & 7;

    private ulong PeriodNanoseconds => (ulong)_timerInitialCount << DivideShift;

    private bool Periodic => (_lvt[LvtTimer] & TimerPeriodic) != 0;

    private void ResetTimer()
    {
        _timerInitialCount = 0;
        _timerDivide = 0;
        _timerStart = 0;
        _timerDeadline = ulong.MaxValue;
    }

    public ulong NextDeadline => _timerDeadline;

    private void WriteTimerInitialCount(uint value)
    {
        _timerInitialCount = value;
        _timerStart = _clock.Now;
        _timerDeadline = value == 0 ? ulong.MaxValue : _timerStart + PeriodNanoseconds;
    }

    /// <summary>Only bits 0, 1 and 3 exist. A running count keeps its start and continues at the new rate.</summary>
    private void WriteTimerDivide(uint value)
    {
        _timerDivide = value & TimerDivideBits;
        if (_timerDeadline != ulong.MaxValue)
        {
            Rearm();
        }
    }

    /// <summary>A write to the LVT timer entry: the count goes on; a switch to periodic re-arms a one-shot that already expired.</summary>
    private void TimerModeChanged()
    {
        if (_timerInitialCount != 0 && (Periodic || _timerDeadline != ulong.MaxValue))
        {
            Rearm();
        }
    }

    /// <summary>Schedules the first expiry after now that the current start, count and rate give.</summary>
    private void Rearm()
    {
        ulong period = Math.Max(PeriodNanoseconds, 1);
        ulong first = _timerStart + period;
        if (first > _clock.Now)
        {
            _timerDeadline = first;
        }
        else
        {
            _timerDeadline = Periodic ? _timerStart + ((((_clock.Now - _timerStart) / period) + 1) * period) : first;
        }
    }

    /// <summary>The current count: counts down from the initial count; 0 once a one-shot expired.</summary>
    private uint TimerCurrentCount
    {
        get
        {
            if (_timerInitialCount == 0 || (_timerDeadline == ulong.MaxValue && !Periodic))
            {
                return 0;
            }

            ulong ticks = (_clock.Now - _timerStart) >> DivideShift;
            if (Periodic)
            {
                return _timerInitialCount - (uint)(ticks % _timerInitialCount);
            }

            return ticks >= _timerInitialCount ? 0 : _timerInitialCount - (uint)ticks;
        }
    }

    public void Advance(ulong now)
    {
        if (now < _timerDeadline)
        {
            return;
        }

        uint lvt = _lvt[LvtTimer];
        if ((lvt & LvtMasked) == 0)
        {
            Accept((int)(lvt & 0xFF), levelTriggered: false);
        }

        if (Periodic && _timerInitialCount != 0)
        {
            ulong period = Math.Max(PeriodNanoseconds, 1);
            _timerDeadline = _timerStart + ((((now - _timerStart) / period) + 1) * period);
        }
        else
        {
            _timerDeadline = ulong.MaxValue;
        }
    }
}
