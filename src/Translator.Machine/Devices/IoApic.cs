using Translator.Machine.Snapshots;

namespace Translator.Machine.Devices;

/// <summary>
/// The I/O APIC (82093AA register model, as QEMU's ioapic version 0x20) at 0xFEC00000: an index register
/// (IOREGSEL, offset 0x00) and a data window (IOWIN, offset 0x10) onto its ID, version, arbitration ID and a
/// 24-entry redirection table. Each entry routes one input pin to a vector on the local APIC: fixed or
/// lowest-priority delivery (with one CPU both reach it), physical or logical destination, edge or level trigger
/// with the remote-IRR handshake that the local APIC's EOI of a level-triggered vector completes. Every entry is
/// masked after reset. An NMI entry raises the local APIC's NMI; SMI, INIT and ExtINT entries have nothing to drive here and are not delivered.
/// </summary>
public sealed class IoApic : IMmioDevice, IInterruptLines, IRestoredStateCheck
{
    public const uint DefaultBase = 0xFEC0_0000;
    public const uint WindowSize = 0x1000;
    public const int Pins = 24;

    /// <summary>Version 0x20, maximum redirection entry 23.</summary>
    public const uint Version = 0x0017_0020;

    private const ulong Masked = 1 << 16, RemoteIrr = 1 << 14, LevelTriggered = 1 << 15, LogicalDestination = 1 << 11;
    private const ulong Writable = 0xFF00_0000_0001_AFFFUL; // all but delivery status and remote IRR (bits 12 and 14)

    private readonly LocalApic _apic;
    private readonly ulong[] _redirection = new ulong[Pins];
    private readonly bool[] _level = new bool[Pins];
    private uint _select;
    private uint _id;

    public IoApic(LocalApic apic, MmioBus? bus)
    {
        _apic = apic;
        apic.LevelTriggeredEoi += EndOfInterrupt;
        Array.Fill(_redirection, Masked);
        bus?.Register(DefaultBase, WindowSize, this);
    }

    /// <summary>The I/O APIC pin a PC's ISA IRQ line is wired to: IRQ 0 (the PIT) to pin 2, the others to their own number.</summary>
    public static int PinOfIsaIrq(int irq) => irq == 0 ? 2 : irq;

    /// <summary>Sets ISA IRQ line <paramref name="irq"/>'s level on its pin (see <see cref="PinOfIsaIrq"/>).</summary>
    public void SetIrq(int irq, bool level) => SetPin(PinOfIsaIrq(irq), level);

    /// <summary>Sets input pin <paramref name="pin"/> (0-23; others are ignored). A rising edge, or a held level, delivers.</summary>
    public void SetPin(int pin, bool level)
    {
        if ((uint)pin >= Pins)
        {
            return;
        }

        bool rising = level && !_level[pin];
        _level[pin] = level;
        ulong entry = _redirection[pin];
        if ((entry & LevelTriggered) != 0 ? level : rising)
        {
            Deliver(pin);
        }
    }

    private void Deliver(int pin)
    {
        ulong entry = _redirection[pin];
        bool level = (entry & LevelTriggered) != 0;
        if ((entry & Masked) != 0 || (level && (entry & RemoteIrr) != 0))
        {
            return;
        }

        uint mode = (uint)(entry >> 8) & 7;
        if (mode is not (0 or 1 or 4) || !_apic.IsAddressedBy((uint)(entry >> 56), (entry & LogicalDestination) != 0))
        {
            return;
        }

        if (mode == 4)
        {
            _apic.RaiseNmi(); // NMI: the vector is ignored, and NMIs are edge-triggered (no remote IRR)
            return;
        }

        if (level)
        {
            _redirection[pin] |= RemoteIrr;
        }

        _apic.Accept((int)(entry & 0xFF), level);
    }

    /// <summary>The local APIC's EOI of a level-triggered vector: remote IRR clears, and a still-asserted pin delivers again.</summary>
    private void EndOfInterrupt(int vector)
    {
        for (int pin = 0; pin < Pins; pin++)
        {
            if ((_redirection[pin] & RemoteIrr) != 0 && (int)(_redirection[pin] & 0xFF) == vector)
            {
                _redirection[pin] &= ~RemoteIrr;
                if (_level[pin])
                {
                    Deliver(pin);
                }
            }
        }
    }

    /// <summary>IOREGSEL is the 8-bit index a write leaves (it selects the redirection entry IOWIN reaches).</summary>
    void IRestoredStateCheck.CheckRestoredState() => RestoredState.InRange("IOREGSEL", _select, 0, 0xFF);

    /// <summary>IOREGSEL reads back; IOWIN reads the selected register. Anything else (other offsets, narrow IOWIN reads of QEMU's 32-bit register) reads 0.</summary>
    public uint Read(uint offset, int size)
    {
        if (offset == 0x00)
        {
            return _select;
        }

        if (offset != 0x10 || size != 4)
        {
            return 0;
        }

        return _select switch
        {
            0x00 => _id,
            0x01 => Version,
            0x02 => _id, // arbitration ID: the ID, as loaded on reset
            >= 0x10 and < 0x10 + (2 * Pins) => (_select & 1) == 0
                ? (uint)_redirection[(_select - 0x10) >> 1]
                : (uint)(_redirection[(_select - 0x10) >> 1] >> 32),
            _ => 0,
        };
    }

    public void Write(uint offset, int size, uint value)
    {
        if (offset == 0x00)
        {
            _select = value & 0xFF;
            return;
        }

        if (offset != 0x10 || size != 4)
        {
            return;
        }

        switch (_select)
        {
            case 0x00:
                _id = value & 0x0F00_0000;
                break;
            case >= 0x10 and < 0x10 + (2 * Pins):
                int pin = (int)((_select - 0x10) >> 1);
                ulong old = _redirection[pin];
                ulong written = (_select & 1) == 0 ? (old & 0xFFFF_FFFF_0000_0000UL) | value : (old & 0xFFFF_FFFFUL) | ((ulong)value << 32);
                _redirection[pin] = (written & Writable) | (old & RemoteIrr);
                if ((_redirection[pin] & LevelTriggered) == 0)
                {
                    _redirection[pin] &= ~RemoteIrr; // an edge-triggered entry has no remote IRR
                }

                if ((_redirection[pin] & (LevelTriggered | Masked)) == LevelTriggered && _level[pin])
                {
                    Deliver(pin); // unmasking a level-triggered pin that is asserted delivers it
                }

                break;
        }
    }
}

/// <summary>The ISA interrupt lines of the PC: every device's IRQ reaches both the 8259 pair and the I/O APIC, as on QEMU's board.</summary>
public sealed class IsaInterruptLines(Pic8259Pair pic, IoApic ioApic) : IInterruptLines
{
    public void SetIrq(int irq, bool level)
    {
        pic.SetIrq(irq, level);
        ioApic.SetIrq(irq, level);
    }
}
