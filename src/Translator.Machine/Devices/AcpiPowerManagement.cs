namespace Translator.Machine.Devices;

/// <summary>
/// The ACPI fixed-hardware register blocks of QEMU's PC (its PIIX4 power-management function, at QEMU's ports), as
/// the FADT describes them (<see cref="Loader.AcpiTables"/>): PM1a event block at 0x600 (PM1_STS, PM1_EN), PM1a
/// control block at 0x604 (PM1_CNT) and the power-management timer at 0x608.
/// <para>
/// The PM timer (ACPI 6.5, 4.8.3.3) is a free-running counter at 3.579545 MHz; here it is derived from the virtual
/// clock, so it is deterministic and advances at the same rate on every backend. It is 24 bits wide, as QEMU's
/// (the FADT's TMR_VAL_EXT flag says which width: <see cref="CounterBits"/>); bits past the width read 0.
/// </para>
/// <para>
/// Not modelled: the SCI (no status bit raises an interrupt; of the status bits only the timer's TMR_STS is ever set)
/// and sleep states. SCI_EN reads 1 (the FADT has no SMI command port, so ACPI mode is always on); a write that sets
/// SLP_EN is counted in <see cref="SleepRequests"/> and otherwise ignored, since this processor has no real mode to
/// resume in (docs/devices.md).
/// </para>
/// </summary>
public sealed class AcpiPowerManagement(VirtualClock clock, int counterBits = AcpiPowerManagement.QemuCounterBits) : IIoDevice
{
    public const ushort EventBlock = 0x600, ControlBlock = 0x604, TimerPort = 0x608;

    /// <summary>Ports from <see cref="EventBlock"/> to the end of the timer.</summary>
    public const int PortCount = 12;

    /// <summary>The PM timer's rate, fixed by the ACPI specification.</summary>
    public const ulong TimerHz = 3_579_545;

    public const int QemuCounterBits = 24;

    private const ushort SciEnable = 1, SleepEnable = 1 << 13, SleepTypeMask = 7 << 10;

    // PM1_EN bits ACPI defines: TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN; PM1_STS adds BM_STS, the
    // button/RTC/timer status bits and WAK_STS.
    private const ushort EnableBits = 0x0521, StatusBits = 0x8D31;

    private ushort _status, _enable, _sleepType;
    private ulong _halfPeriodsAtClear;

    /// <summary>The counter's width in bits: 24 (QEMU's) or 32 (a FADT with TMR_VAL_EXT).</summary>
    public int CounterBits { get; } = counterBits is 24 or 32 ? counterBits : throw new ArgumentOutOfRangeException(nameof(counterBits));

    /// <summary>Writes that set SLP_EN (a request to enter the sleep state in SLP_TYP), which this machine does not enter.</summary>
    public long SleepRequests { get; private set; }

    /// <summary>The counter now: ticks of 3.579545 MHz since virtual time 0, wrapped to <see cref="CounterBits"/>.</summary>
    public uint Counter
    {
        get
        {
            ulong ticks = Ticks;
            return CounterBits == 32 ? (uint)ticks : (uint)ticks & 0xFF_FFFF;
        }
    }

    public uint Read(ushort port, int size)
    {
        // Any access of 1, 2 or 4 bytes reads the little-endian bytes it covers (the blocks are byte-addressable).
        uint value = 0;
        for (int b = 0; b < size; b++)
        {
            value |= (uint)ReadByte(port + b) << (8 * b);
        }

        return value;
    }

    public void Write(ushort port, int size, uint value)
    {
        // Byte by byte: a write changes the bytes it covers of a 16-bit register (the timer is read-only).
        for (int b = 0; b < size; b++)
        {
            int at = port - EventBlock + b;
            int shift = 8 * (at & 1);
            ushort mask = (ushort)(0xFF << shift), bits = (ushort)((byte)(value >> (8 * b)) << shift);
            switch (at)
            {
                case 0 or 1:
                    ClearStatus((ushort)(bits & StatusBits)); // write 1 to clear
                    break;
                case 2 or 3:
                    _enable = (ushort)((_enable & ~mask) | (bits & EnableBits));
                    break;
                case 4 or 5:
                    _sleepType = (ushort)((_sleepType & ~mask) | (bits & SleepTypeMask));
                    SleepRequests += (bits & SleepEnable) != 0 ? 1 : 0;
                    break;
            }
        }
    }

    /// <summary>PM1_STS: TMR_STS (bit 0) is set each time the counter's top bit changes, until written with 1.</summary>
    public ushort Status => (ushort)(_status | (TimerHalfPeriods != _halfPeriodsAtClear ? 1 : 0));

    private ulong Ticks => (ulong)((UInt128)clock.Now * TimerHz / 1_000_000_000);

    private ulong TimerHalfPeriods => Ticks >> (CounterBits - 1);

    private void ClearStatus(ushort bits)
    {
        _status &= (ushort)~bits;
        if ((bits & 1) != 0)
        {
            _halfPeriodsAtClear = TimerHalfPeriods;
        }
    }

    private byte ReadByte(int port)
    {
        int offset = port - EventBlock;
        uint register = offset switch
        {
            0 or 1 => Status,
            2 or 3 => _enable,
            4 or 5 => (uint)(_sleepType | SciEnable),
            >= 8 and < 12 => Counter,
            _ => 0,
        };
        return (byte)(register >> (8 * (offset & (offset >= 8 ? 3 : 1))));
    }
}
