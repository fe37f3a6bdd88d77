using Translator.Machine.Snapshots;

namespace Translator.Machine.Devices;

/// <summary>
/// The PC's two cascaded 8259A interrupt controllers: master at 0x20/0x21 (IRQ0-7), slave at 0xA0/0xA1 (IRQ8-15),
/// slave INT wired to master IR2. Behaviour follows QEMU's hw/intc/i8259.c, including its power-on state
/// (uninitialised, vector base 0, nothing masked) and its edge detector.
/// </summary>
public sealed class Pic8259Pair : IIoDevice, IInterruptLines, IRestoredStateCheck
{
    public const ushort MasterCommandPort = 0x20;
    public const ushort MasterDataPort = 0x21;
    public const ushort SlaveCommandPort = 0xA0;
    public const ushort SlaveDataPort = 0xA1;
    public const int CascadeIrq = 2;

    private readonly Pic8259 _master;
    private readonly Pic8259 _slave;

    public Pic8259Pair()
    {
        _master = new Pic8259(isMaster: true, SetInterruptRequested);
        _slave = new Pic8259(isMaster: false, level => _master.SetIrq(CascadeIrq, level));
    }

    /// <summary>
    /// The master's INT output (the CPU's INTR pin): some unmasked request outranks everything in service.
    /// A plain field read; the CPU may poll it before each instruction.
    /// </summary>
    public bool InterruptRequested { get; private set; }

    /// <summary>The in-service registers, master in the low byte: non-zero while the guest handles an IRQ it has not yet ended with EOI.</summary>
    public ushort InService => (ushort)(_master.Isr | (_slave.Isr << 8));

    /// <summary>Raised, synchronously and from inside the device call that caused it, when <see cref="InterruptRequested"/> changes.</summary>
    public event Action? InterruptRequestChanged;

    public void SetIrq(int irq, bool level)
    {
        if ((uint)irq > 15)
        {
            throw new ArgumentOutOfRangeException(nameof(irq), "an ISA IRQ line is 0-15");
        }

        if (irq < 8)
        {
            _master.SetIrq(irq, level);
        }
        else
        {
            _slave.SetIrq(irq - 8, level);
        }
    }

    /// <summary>
    /// The CPU's interrupt-acknowledge cycle. Returns the vector, marks the line in service (unless auto-EOI) and
    /// clears its edge-triggered request. With nothing to deliver, the 8259A answers with IR7 of the chip asked
    /// (vector base + 7, nothing set in service): then <paramref name="irq"/> is -1.
    /// </summary>
    public byte Acknowledge(out int irq)
    {
        int masterIrq = _master.HighestRequest();
        if (masterIrq < 0)
        {
            irq = -1;
            return (byte)(_master.VectorBase + 7);
        }

        byte vector;
        if (masterIrq == CascadeIrq)
        {
            int slaveIrq = _slave.HighestRequest();
            if (slaveIrq >= 0)
            {
                _slave.Acknowledge(slaveIrq);
                vector = (byte)(_slave.VectorBase + slaveIrq);
                irq = slaveIrq + 8;
            }
            else
            {
                // The slave's request vanished: it answers with its IR7, but the master still puts IR2 in service.
                vector = (byte)(_slave.VectorBase + 7);
                irq = -1;
            }
        }
        else
        {
            vector = (byte)(_master.VectorBase + masterIrq);
            irq = masterIrq;
        }

        _master.Acknowledge(masterIrq);
        return vector;
    }

    public uint Read(ushort port, int size)
    {
        uint value = 0;
        for (int i = 0; i < size; i++)
        {
            int offset = (port & 1) + i;
            uint b = offset < 2 ? ChipAt(port).Read(offset) : 0xFFu;
            value |= b << (8 * i);
        }

        return value;
    }

    public void Write(ushort port, int size, uint value)
    {
        for (int i = 0; i < size; i++)
        {
            int offset = (port & 1) + i;
            if (offset < 2)
            {
                ChipAt(port).Write(offset, (byte)(value >> (8 * i)));
            }
        }
    }

    /// <summary>Register values for tests and diagnostics: (IRR, ISR, IMR) of the master (0) or slave (1).</summary>
    internal (byte Irr, byte Isr, byte Imr) Registers(int chip)
    {
        Pic8259 c = chip == 0 ? _master : _slave;
        return (c.Irr, c.Isr, c.Imr);
    }

    void IRestoredStateCheck.CheckRestoredState()
    {
        _master.CheckRestoredState("master", isMasterChip: true);
        _slave.CheckRestoredState("slave", isMasterChip: false);
    }

    private Pic8259 ChipAt(ushort port) => (port & 0x80) != 0 ? _slave : _master;

    private void SetInterruptRequested(bool level)
    {
        if (InterruptRequested != level)
        {
            InterruptRequested = level;
            InterruptRequestChanged?.Invoke();
        }
    }

    /// <summary>One 8259A. <c>output</c> receives the INT pin level each time it is re-evaluated.</summary>
    private sealed class Pic8259(bool isMaster, Action<bool> output)
    {
        private byte _lastIrr;      // line levels as last driven, for edge detection
        private byte _priorityAdd;  // the IR with highest priority (rotation)
        private bool _readIsr;
        private bool _poll;
        private bool _specialMask;
        private int _initState;     // 0 = operational, 1-3 = expecting ICW2-ICW4
        private bool _autoEoi;
        private bool _rotateOnAutoEoi;
        private bool _specialFullyNested;
        private bool _init4;
        private bool _singleMode;
        private bool _levelTriggered;

        public byte Irr { get; private set; }

        public byte Isr { get; private set; }

        public byte Imr { get; private set; }

        public byte VectorBase { get; private set; }

        public void SetIrq(int irq, bool level)
        {
            byte mask = (byte)(1 << irq);
            if (_levelTriggered)
            {
                Irr = level ? (byte)(Irr | mask) : (byte)(Irr & ~mask);
                _lastIrr = level ? (byte)(_lastIrr | mask) : (byte)(_lastIrr & ~mask);
            }
            else if (level)
            {
                // Only a low-to-high transition latches a request.
                if ((_lastIrr & mask) == 0)
                {
                    Irr |= mask;
                }

                _lastIrr |= mask;
            }
            else
            {
                _lastIrr &= (byte)~mask;
            }

            Update();
        }

        /// <summary>The IR that would be delivered now, or -1: the best unmasked request that outranks the best in-service level.</summary>
        public int HighestRequest()
        {
            int priority = Priority((byte)(Irr & ~Imr));
            if (priority == 8)
            {
                return -1;
            }

            byte inService = Isr;
            if (_specialMask)
            {
                inService &= (byte)~Imr;
            }

            // In special fully nested mode the master lets a slave request through while IR2 is in service.
            if (_specialFullyNested && isMaster)
            {
                inService &= unchecked((byte)~(1 << CascadeIrq));
            }

            return priority < Priority(inService) ? (priority + _priorityAdd) & 7 : -1;
        }

        public void Acknowledge(int irq)
        {
            if (_autoEoi)
            {
                if (_rotateOnAutoEoi)
                {
                    _priorityAdd = (byte)((irq + 1) & 7);
                }
            }
            else
            {
                Isr |= (byte)(1 << irq);
            }

            // A level-triggered request stays in IRR for as long as the line is high.
            if (!_levelTriggered)
            {
                Irr &= (byte)~(1 << irq);
            }

            Update();
        }

        public byte Read(int offset)
        {
            if (_poll)
            {
                // Poll command: the read itself is the acknowledge; bit 7 says whether anything was pending.
                _poll = false;
                int irq = HighestRequest();
                if (irq < 0)
                {
                    return 0;
                }

                Acknowledge(irq);
                return (byte)(0x80 | irq);
            }

            if (offset == 0)
            {
                return _readIsr ? Isr : Irr;
            }

            return Imr;
        }

        public void Write(int offset, byte value)
        {
            if (offset == 0)
            {
                WriteCommand(value);
            }
            else
            {
                WriteData(value);
            }
        }

        private void WriteCommand(byte value)
        {
            if ((value & 0x10) != 0)
            {
                // ICW1 restarts initialisation and forgets line history, so a line still high re-latches on its next drive.
                Reset();
                _initState = 1;
                _init4 = (value & 0x01) != 0;
                _singleMode = (value & 0x02) != 0;
                _levelTriggered = (value & 0x08) != 0;
            }
            else if ((value & 0x08) != 0)
            {
                // OCW3
                if ((value & 0x04) != 0)
                {
                    _poll = true;
                }

                if ((value & 0x02) != 0)
                {
                    _readIsr = (value & 0x01) != 0;
                }

                if ((value & 0x40) != 0)
                {
                    _specialMask = (value & 0x20) != 0;
                }
            }
            else
            {
                WriteOcw2(value);
            }
        }

        private void WriteOcw2(byte value)
        {
            int command = value >> 5;
            switch (command)
            {
                case 0:
                case 4:
                    _rotateOnAutoEoi = command == 4;
                    break;
                case 1:
                case 5:
                {
                    // Non-specific EOI clears the highest-priority in-service level (and optionally rotates).
                    int priority = Priority(Isr);
                    if (priority != 8)
                    {
                        int irq = (priority + _priorityAdd) & 7;
                        Isr &= (byte)~(1 << irq);
                        if (command == 5)
                        {
                            _priorityAdd = (byte)((irq + 1) & 7);
                        }

                        Update();
                    }

                    break;
                }

                case 3:
                    Isr &= (byte)~(1 << (value & 7));
                    Update();
                    break;
                case 6:
                    _priorityAdd = (byte)((value + 1) & 7);
                    Update();
                    break;
                case 7:
                {
                    int irq = value & 7;
                    Isr &= (byte)~(1 << irq);
                    _priorityAdd = (byte)((irq + 1) & 7);
                    Update();
                    break;
                }

                default:
                    // 2: no operation.
                    break;
            }
        }

        private void WriteData(byte value)
        {
            switch (_initState)
            {
                case 0:
                    Imr = value;
                    Update();
                    break;
                case 1:
                    VectorBase = (byte)(value & 0xF8);
                    _initState = _singleMode ? (_init4 ? 3 : 0) : 2;
                    break;
                case 2:
                    // ICW3 (cascade wiring) is fixed on a PC and therefore ignored.
                    _initState = _init4 ? 3 : 0;
                    break;
                default:
                    _specialFullyNested = (value & 0x10) != 0;
                    _autoEoi = (value & 0x02) != 0;
                    _initState = 0;
                    break;
            }
        }

        private void Reset()
        {
            _lastIrr = 0;
            Irr = 0;
            Imr = 0;
            Isr = 0;
            _priorityAdd = 0;
            VectorBase = 0;
            _readIsr = false;
            _poll = false;
            _specialMask = false;
            _initState = 0;
            _autoEoi = false;
            _rotateOnAutoEoi = false;
            _specialFullyNested = false;
            _init4 = false;
            _singleMode = false;
            Update();
        }

        /// <summary>
        /// The rotation is an IR number, the initialisation state one of ICW1's four, and the chip is the one it is
        /// wired as (the master/slave flag is a restored field too, and only the master has the cascade on IR2).
        /// </summary>
        public void CheckRestoredState(string chip, bool isMasterChip)
        {
            RestoredState.Require(isMaster == isMasterChip, $"the {chip}'s master flag", isMaster, $"the {chip} is wired as {(isMasterChip ? "the master" : "a slave")}");
            RestoredState.InRange($"the {chip}'s _priorityAdd", _priorityAdd, 0, 7);
            RestoredState.InRange($"the {chip}'s _initState", _initState, 0, 3);
        }

        /// <summary>Priority (0 = highest) of the best bit in <paramref name="mask"/> given the rotation, or 8 when empty.</summary>
        private int Priority(byte mask)
        {
            if (mask == 0)
            {
                return 8;
            }

            int priority = 0;
            while ((mask & (1 << ((priority + _priorityAdd) & 7))) == 0)
            {
                priority++;
            }

            return priority;
        }

        private void Update() => output(HighestRequest() >= 0);
    }
}
