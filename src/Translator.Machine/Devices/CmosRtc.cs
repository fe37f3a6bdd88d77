using Translator.Machine.Snapshots;

namespace Translator.Machine.Devices;

/// <summary>
/// The PC's CMOS real-time clock and NVRAM, an MC146818 at ports 0x70 (index) and 0x71 (data) on ISA IRQ 8, with the
/// semantics of QEMU's mc146818rtc (docs/devices.md, "CMOS RTC and NVRAM"). Time is the start time given to the board
/// (QEMU's <c>-rtc base=</c>) plus virtual time, so a run is reproducible and the same on every backend; nothing is
/// stepped: the time registers are rendered from the clock when read, and the flags of register C are brought up
/// to date (<see cref="Advance"/>) before any access, each event evaluated at its own virtual time.
/// </summary>
public sealed partial class CmosRtc : IIoDevice, ITimedDevice, IRestoredStateCheck
{
    public const ushort IndexPort = 0x70, DataPort = 0x71;
    public const int Irq = 8;

    // Register indexes (MC146818 datasheet; the century byte at 0x32 is the PC/AT's, 0x37 the PS/2's alias of it).
    public const int Seconds = 0x00, SecondsAlarm = 0x01, Minutes = 0x02, MinutesAlarm = 0x03, Hours = 0x04,
        HoursAlarm = 0x05, DayOfWeek = 0x06, DayOfMonth = 0x07, Month = 0x08, Year = 0x09,
        RegisterA = 0x0A, RegisterB = 0x0B, RegisterC = 0x0C, RegisterD = 0x0D, Century = 0x32, Ps2Century = 0x37;

    public const byte AUpdateInProgress = 0x80;
    public const byte BSet = 0x80, BPeriodicEnable = 0x40, BAlarmEnable = 0x20, BUpdateEndedEnable = 0x10,
        BSquareWave = 0x08, BBinary = 0x04, B24Hour = 0x02, BDaylightSaving = 0x01;
    public const byte CIrqFlag = 0x80, CPeriodic = 0x40, CAlarm = 0x20, CUpdateEnded = 0x10;

    private const ulong NanosecondsPerSecond = 1_000_000_000;
    private const ulong DividerHz = 32_768;

    /// <summary>UIP is set this long before each update (8 cycles of the 32.768 kHz time base: 244 µs, as QEMU).</summary>
    public const ulong UpdateInProgressNanoseconds = 8 * NanosecondsPerSecond / DividerHz;

    /// <summary>A day of update cycles: every hours:minutes:seconds an alarm can name has come round once.</summary>
    private const int CyclesPerDay = 86_400;

    private readonly VirtualClock _clock;
    private readonly IInterruptLines _irqs;
    private readonly byte[] _cmos = new byte[128];

    private byte _index;
    private bool _nmiDisabled;             // bit 7 of the last index write: latched, gates nothing on this board
    private bool _irqLevel;

    // The clock's time is _baseSeconds + (now - _lastUpdate + _offset) ns: QEMU's base_rtc, last_update and offset.
    private long _baseSeconds;
    private ulong _lastUpdate;
    private ulong _offset;

    private ulong _nextUpdate = ulong.MaxValue;   // the next update cycle's end (a whole second of the clock's time)
    private ulong _nextPeriodicTick;              // the next periodic interrupt, in 32.768 kHz ticks of virtual time
    private uint _period;                         // its period in ticks; 0 while PIE is clear (QEMU runs it only then)

    /// <param name="start">The clock's time at virtual time 0 (QEMU's <c>-rtc base</c>); UTC, as QEMU's default.</param>
    /// <param name="ramBytes">Guest RAM, for the memory-size bytes the firmware leaves in NVRAM.</param>
    public CmosRtc(VirtualClock clock, IInterruptLines irqs, DateTimeOffset start, ulong ramBytes)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(irqs);
        _clock = clock;
        _irqs = irqs;
        _cmos[RegisterA] = 0x26;    // 32.768 kHz time base, 1024 Hz rate
        _cmos[RegisterB] = B24Hour; // BCD, 24-hour
        _cmos[RegisterD] = 0x80;    // valid RAM and time
        _baseSeconds = start.ToUnixTimeSeconds();
        _lastUpdate = clock.Now;
        RenderTime(CivilTime.FromUnixSeconds(_baseSeconds));
        WriteFirmwareNvram(_cmos, ramBytes);
        ScheduleUpdate(clock.Now);
    }

    /// <summary>Whether the last write to port 0x70 set bit 7 (the PC's "NMI disable"; see docs/devices.md).</summary>
    public bool NmiDisabled => _nmiDisabled;

    /// <summary>The level this device drives on IRQ 8 (IRQF of register C).</summary>
    public bool InterruptLine => _irqLevel;

    /// <summary>The next virtual time at which the IRQ line could rise (only while it is low and an interrupt is enabled).</summary>
    public ulong NextDeadline
    {
        get
        {
            if ((_cmos[RegisterC] & CIrqFlag) != 0)
            {
                return ulong.MaxValue;
            }

            ulong next = _period != 0 ? PeriodicTime(_nextPeriodicTick) : ulong.MaxValue;
            if ((_cmos[RegisterB] & (BAlarmEnable | BUpdateEndedEnable)) != 0)
            {
                next = Math.Min(next, _nextUpdate);
            }

            return next;
        }
    }

    /// <summary>The byte at NVRAM offset <paramref name="index"/> as the guest would read it (time registers rendered now).</summary>
    public byte Peek(int index)
    {
        Advance(_clock.Now);
        if (IsTimeRegister(index) && Running)
        {
            RenderTime(TimeAt(_clock.Now).Civil);
        }

        return _cmos[index & 0x7F];
    }

    public void Advance(ulong now)
    {
        if (_period != 0)
        {
            AdvancePeriodic(now);
        }

        AdvanceUpdates(now);
    }

    public uint Read(ushort port, int size)
    {
        // QEMU's RTC answers single bytes; a wider access reads consecutive ports, and past 0x71 nothing drives the bus.
        uint value = 0;
        for (int i = 0; i < size; i++)
        {
            int offset = (port & 1) + i;
            uint b = offset == 1 ? ReadData() : 0xFFu; // the index port is write-only (QEMU reads it as 0xFF)
            value |= b << (8 * i);
        }

        return value;
    }

    public void Write(ushort port, int size, uint value)
    {
        for (int i = 0; i < size; i++)
        {
            int offset = (port & 1) + i;
            byte b = (byte)(value >> (8 * i));
            if (offset == 0)
            {
                _index = (byte)(b & 0x7F);
                _nmiDisabled = (b & 0x80) != 0;
            }
            else if (offset == 1)
            {
                WriteData(b);
            }
        }
    }

    /// <summary>
    /// The index is a 7-bit NVRAM offset (it indexes the 128 bytes), and the periodic interrupt's period, a divisor,
    /// is the one registers A and B select (each write to either recomputes it).
    /// </summary>
    void IRestoredStateCheck.CheckRestoredState()
    {
        RestoredState.InRange("the index", _index, 0, _cmos.Length - 1);
        RestoredState.Require(_period == PeriodTicks(), "the periodic interrupt's period", _period, $"registers A and B (0x{_cmos[RegisterA]:X2}, 0x{_cmos[RegisterB]:X2}) select {PeriodTicks()} ticks");
    }

    /// <summary>Time updates the registers: SET clear and the divider at 32.768 kHz (DV 0-2, as QEMU accepts).</summary>
    private bool Running => (_cmos[RegisterB] & BSet) == 0 && (_cmos[RegisterA] & 0x70) <= 0x20;

    /// <summary>Update cycles (and their flags) happen unless the divider chain is held in reset (DV = 11x).</summary>
    private bool UpdatesEnabled => (_cmos[RegisterA] & 0x60) != 0x60;

    private static bool IsTimeRegister(int index) => index is Seconds or Minutes or Hours or DayOfWeek or DayOfMonth or Month or Year or Century;

    private byte ReadData()
    {
        Advance(_clock.Now);
        if (_index == Ps2Century)
        {
            _index = Century; // QEMU moves the index to the century byte for good
        }

        switch (_index)
        {
            case RegisterA:
                return (byte)(_cmos[RegisterA] | (UpdateInProgress(_clock.Now) ? AUpdateInProgress : 0));
            case RegisterC:
            {
                byte flags = _cmos[RegisterC];
                _cmos[RegisterC] = 0;
                SetLine(false);
                return flags;
            }

            default:
                if (IsTimeRegister(_index) && Running)
                {
                    RenderTime(TimeAt(_clock.Now).Civil);
                }

                return _cmos[_index];
        }
    }

    private void WriteData(byte value)
    {
        ulong now = _clock.Now;
        Advance(now);
        if (_index == Ps2Century)
        {
            _index = Century;
        }

        switch (_index)
        {
            case SecondsAlarm or MinutesAlarm or HoursAlarm:
                _cmos[_index] = value;
                break;
            case RegisterA:
                WriteRegisterA(value, now);
                break;
            case RegisterB:
                WriteRegisterB(value, now);
                break;
            case RegisterC or RegisterD:
                break; // read-only
            default:
                _cmos[_index] = value;
                if (IsTimeRegister(_index) && Running)
                {
                    SetTimeFromRegisters(now);
                    ScheduleUpdate(now);
                }

                break;
        }
    }

    private void WriteRegisterA(byte value, ulong now)
    {
        bool rateChanged = ((_cmos[RegisterA] ^ value) & 0x0F) != 0;
        uint oldPeriod = _period;
        if ((value & 0x60) != 0x60 && (_cmos[RegisterA] & 0x60) == 0x60 && (value & 0x70) <= 0x20 && (_cmos[RegisterB] & BSet) == 0)
        {
            // Leaving divider reset: the first update comes half a second later (datasheet, as QEMU).
            _offset = NanosecondsPerSecond / 2;
            SetTimeFromRegisters(now);
        }
        else if ((value & 0x60) == 0x60 && Running)
        {
            RenderTime(TimeAt(now).Civil); // the registers keep the time the divider stopped at
        }

        _cmos[RegisterA] = (byte)(value & ~AUpdateInProgress); // UIP is read-only
        if (rateChanged)
        {
            RestartPeriodic(now, oldPeriod);
        }

        ScheduleUpdate(now);
    }

    private void WriteRegisterB(byte value, ulong now)
    {
        bool periodicChanged = ((_cmos[RegisterB] ^ value) & BPeriodicEnable) != 0;
        uint oldPeriod = _period;
        if ((value & BSet) != 0)
        {
            if (Running)
            {
                RenderTime(TimeAt(now).Civil); // SET freezes the registers for the guest to write
            }

            value &= unchecked((byte)~BUpdateEndedEnable); // SET clears UIE (datasheet)
        }
        else if ((_cmos[RegisterB] & BSet) != 0 && (_cmos[RegisterA] & 0x70) <= 0x20)
        {
            // Leaving SET: the written time starts at the same point of the second the clock had reached.
            _offset = TimeAt(now).Fraction;
            SetTimeFromRegisters(now);
        }

        // An interrupt flag already set when its enable is set raises the line at once; otherwise IRQF clears.
        if ((value & _cmos[RegisterC] & (CPeriodic | CAlarm | CUpdateEnded)) != 0)
        {
            _cmos[RegisterC] |= CIrqFlag;
            SetLine(true);
        }
        else
        {
            _cmos[RegisterC] &= unchecked((byte)~CIrqFlag);
            SetLine(false);
        }

        _cmos[RegisterB] = value;
        if (periodicChanged)
        {
            RestartPeriodic(now, oldPeriod);
        }

        ScheduleUpdate(now);
    }

    private void SetLine(bool level)
    {
        // Edge-triggered at the 8259: a rise while the line is already high is no new interrupt.
        if (level != _irqLevel)
        {
            _irqLevel = level;
            _irqs.SetIrq(Irq, level);
        }
    }

    private void RaiseFlags(byte flags)
    {
        byte fresh = (byte)(flags & ~_cmos[RegisterC]);
        _cmos[RegisterC] |= flags;
        if ((fresh & _cmos[RegisterB]) != 0)
        {
            _cmos[RegisterC] |= CIrqFlag;
            SetLine(true);
        }
    }

    /// <summary>UIP: the 244 µs before each update while the clock runs.</summary>
    private bool UpdateInProgress(ulong now) =>
        Running && TimeAt(now).Fraction >= NanosecondsPerSecond - UpdateInProgressNanoseconds;

    private void ScheduleUpdate(ulong now) =>
        _nextUpdate = UpdatesEnabled ? now + (NanosecondsPerSecond - TimeAt(now).Fraction) : ulong.MaxValue;

    /// <summary>Every update cycle that ended by <paramref name="now"/>: UF, and AF when the new time matches the alarm.</summary>
    private void AdvanceUpdates(ulong now)
    {
        int cycles = 0;
        while (_nextUpdate <= now)
        {
            ulong at = _nextUpdate;
            byte flags = CUpdateEnded;
            if (Running && AlarmMatches(TimeAt(at).Civil))
            {
                flags |= CAlarm;
            }

            RaiseFlags(flags);
            _nextUpdate = at + NanosecondsPerSecond;

            // Flags are sticky until register C is read: past a day of cycles (every alarm time has come), or once
            // UF and AF are both set, further cycles change nothing, so a long absence is skipped in one step.
            if (++cycles > CyclesPerDay || (_cmos[RegisterC] & (CUpdateEnded | CAlarm)) == (CUpdateEnded | CAlarm))
            {
                if (_nextUpdate <= now)
                {
                    _nextUpdate += (now - _nextUpdate) / NanosecondsPerSecond * NanosecondsPerSecond + NanosecondsPerSecond;
                }
            }
        }
    }

    private void AdvancePeriodic(ulong now)
    {
        if (PeriodicTime(_nextPeriodicTick) > now)
        {
            return;
        }

        // Every period that ended sets PF once (it stays set until read): only the last one schedules the next.
        ulong lastTick = LastTickAtOrBefore(now);
        ulong periods = (lastTick - _nextPeriodicTick) / _period;
        _nextPeriodicTick += (periods + 1) * _period;
        RaiseFlags(CPeriodic);
    }

    /// <summary>QEMU's timing: PIE set (or the rate changed) at tick k makes the next interrupt tick k + period, unless a period has already run since the last one.</summary>
    private void RestartPeriodic(ulong now, uint oldPeriod)
    {
        uint period = PeriodTicks();
        _period = period;
        if (period == 0)
        {
            return;
        }

        ulong tick = (ulong)((UInt128)now * DividerHz / NanosecondsPerSecond);
        ulong sinceLast = 0;
        if (oldPeriod != 0)
        {
            ulong lastTick = _nextPeriodicTick - oldPeriod;
            sinceLast = Math.Min(tick - Math.Min(tick, lastTick), period);
        }

        _nextPeriodicTick = tick + period - sinceLast;
    }

    /// <summary>Rate select (RS3-0 of register A) as 32.768 kHz ticks; 0 without PIE. RS 1 and 2 alias 8 and 9 (256 and 128 Hz).</summary>
    private uint PeriodTicks()
    {
        int rate = _cmos[RegisterA] & 0x0F;
        if ((_cmos[RegisterB] & BPeriodicEnable) == 0 || rate == 0)
        {
            return 0;
        }

        return 1u << ((rate <= 2 ? rate + 7 : rate) - 1);
    }

    /// <summary>The virtual time of 32.768 kHz tick <paramref name="tick"/>: the first nanosecond past its start, as QEMU's timer.</summary>
    private static ulong PeriodicTime(ulong tick) => (ulong)((UInt128)tick * NanosecondsPerSecond / DividerHz) + 1;

    private static ulong LastTickAtOrBefore(ulong now)
    {
        // The largest tick whose PeriodicTime is at most now: floor((now - 1) x 32768 / 10^9) and the one after it, checked.
        ulong tick = (ulong)((UInt128)(now - 1) * DividerHz / NanosecondsPerSecond);
        return PeriodicTime(tick + 1) <= now ? tick + 1 : tick;
    }
}
