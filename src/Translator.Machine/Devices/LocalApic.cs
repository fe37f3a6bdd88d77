using Translator.Machine.Snapshots;

namespace Translator.Machine.Devices;

/// <summary>
/// The processor's local APIC in xAPIC mode (Intel SDM Vol. 3, ch. 11), for one CPU: registers in a 4 KiB window at
/// IA32_APIC_BASE (0xFEE00000 after reset), the 256-bit IRR/ISR/TMR, task and processor priority, EOI, the
/// spurious-interrupt vector with its software enable, the local vector table (timer, LINT0, LINT1, error; thermal
/// and performance counter are stored but nothing raises them), the error status register, self-IPIs through the
/// ICR, and the timer (see LocalApic.Timer.cs). It is also the processor's INTR arbiter: a pending APIC vector the
/// processor priority lets through comes first; then the 8259's INTR, which reaches the CPU through LINT0 in ExtINT
/// mode (or directly while the APIC is globally disabled), as QEMU's board wires it.
/// </summary>
public sealed partial class LocalApic : IMmioDevice, ITimedDevice, IRestoredStateCheck
{
    public const uint DefaultBase = 0xFEE0_0000;
    public const uint WindowSize = 0x1000;

    /// <summary>Version 0x14 (an integrated APIC), six LVT entries (max LVT entry 5), no EOI-broadcast suppression.</summary>
    public const uint Version = 0x0005_0014;

    private const ulong BaseBsp = 1 << 8, BaseEnable = 1 << 11;
    private const ulong BaseAddressMask = 0xFFFF_F000;
    private const ulong BaseReservedBits = 0xFFFF_FFFF_0000_06FFUL;

    private const uint SvrEnable = 1 << 8;
    private const uint LvtMasked = 1 << 16;
    private const int LvtTimer = 0, LvtThermal = 1, LvtPerformance = 2, LvtLint0 = 3, LvtLint1 = 4, LvtError = 5;

    // Writable bits of each LVT entry: vector, delivery mode where it has one, polarity and trigger on LINTn, mask,
    // and the timer's mode (one-shot or periodic; bit 18, TSC-deadline, is reserved because CPUID does not offer it).
    private static readonly uint[] s_lvtWritable = [0x0003_00FF, 0x0001_07FF, 0x0001_07FF, 0x0001_A7FF, 0x0001_A7FF, 0x0001_00FF];

    /// <summary>ESR bits (SDM 11.5.3): send/receive illegal vector, illegal register address.</summary>
    private const uint SendIllegalVector = 1 << 5, ReceiveIllegalVector = 1 << 6, IllegalRegisterAddress = 1 << 7;

    private readonly Pic8259Pair _pic;
    private readonly VirtualClock _clock;
    private readonly MmioBus? _bus;

    private readonly uint[] _irr = new uint[8];
    private readonly uint[] _isr = new uint[8];
    private readonly uint[] _tmr = new uint[8];
    private readonly uint[] _lvt = new uint[6];

    private ulong _baseMsr;
    private uint _id;
    private uint _tpr;
    private uint _ldr;
    private uint _dfr;
    private uint _svr;
    private uint _esr;
    private uint _pendingErrors;
    private uint _icrLow;
    private uint _icrHigh;

    /// <param name="pic">The 8259 pair whose INTR output is wired to LINT0.</param>
    /// <param name="bus">The MMIO bus the window lives on (moved when the guest relocates the base); null for tests.</param>
    public LocalApic(Pic8259Pair pic, VirtualClock clock, MmioBus? bus)
    {
        _pic = pic;
        _clock = clock;
        _bus = bus;
        Reset();
        bus?.Register(DefaultBase, WindowSize, this);
        pic.InterruptRequestChanged += () =>
        {
            if (pic.InterruptRequested)
            {
                LocalInterruptPinRaised(0); // the 8259's INTR is wired to LINT0
            }
        };
    }

    /// <summary>IPIs this single CPU cannot act on (INIT, SIPI, SMI, or to another APIC): dropped and counted.</summary>
    public long DroppedIpis { get; private set; }

    /// <summary>Interrupts the APIC itself delivered to the CPU (its vectors, not the 8259's).</summary>
    public long Deliveries { get; private set; }

    /// <summary>The state after power-up or RESET (SDM 11.4.7.1): base 0xFEE00000 enabled, BSP, everything masked.</summary>
    public void Reset()
    {
        _baseMsr = DefaultBase | BaseBsp | BaseEnable;
        _bus?.Move(this, DefaultBase);
        PowerUpRegisters();
    }

    private void PowerUpRegisters()
    {
        Array.Clear(_irr);
        Array.Clear(_isr);
        Array.Clear(_tmr);
        Array.Fill(_lvt, LvtMasked);
        _id = 0;
        _tpr = 0;
        _ldr = 0;
        _dfr = 0xFFFF_FFFF;
        _svr = 0xFF;
        _esr = _pendingErrors = 0;
        _icrLow = _icrHigh = 0;
        ResetTimer();
    }

    /// <summary>
    /// What SeaBIOS leaves before it hands over to a -kernel guest: the APIC software-enabled, LINT0 as the 8259's
    /// virtual wire (ExtINT, level), LINT1 as NMI.
    /// </summary>
    public void InitializeLikeFirmware()
    {
        _svr |= SvrEnable;
        _lvt[LvtLint0] = 0x8700;
        _lvt[LvtLint1] = 0x0400;
    }

    // ---- IA32_APIC_BASE (MSR 0x1B) ---------------------------------------------------------------------------------

    public const uint BaseMsrIndex = 0x1B;

    public ulong BaseMsr => _baseMsr;

    /// <summary>Puts the register window where IA32_APIC_BASE says (after a snapshot restored the MSR).</summary>
    internal void MoveWindowToBase() => _bus?.Move(this, (uint)(_baseMsr & BaseAddressMask));

    /// <summary>
    /// IA32_APIC_BASE as WRMSR leaves it (no reserved bit, BSP set: the window is moved to its base after the restore)
    /// and a divide configuration of the bits the timer's shift is made of.
    /// </summary>
    void IRestoredStateCheck.CheckRestoredState()
    {
        RestoredState.Require((_baseMsr & BaseReservedBits) == 0 && (_baseMsr & BaseBsp) != 0, "IA32_APIC_BASE", $"0x{_baseMsr:X}", "no reserved bit is set and BSP is");
        RestoredState.Require((_timerDivide & ~TimerDivideBits) == 0, "the timer's divide configuration", $"0x{_timerDivide:X}", $"only bits 0x{TimerDivideBits:X} exist");
    }

    public bool GloballyEnabled => (_baseMsr & BaseEnable) != 0;

    private bool SoftwareEnabled => GloballyEnabled && (_svr & SvrEnable) != 0;

    /// <summary>
    /// WRMSR IA32_APIC_BASE. False (the caller raises #GP) for reserved bits: bits 0-7, 9, 10 (x2APIC mode, which
    /// CPUID does not offer) and those above the 32-bit physical address width. BSP is read-only. Clearing the enable
    /// bit disables the APIC; enabling it again starts it in its power-up state (SDM 11.12.5's xAPIC transitions).
    /// </summary>
    public bool TryWriteBaseMsr(ulong value)
    {
        if ((value & BaseReservedBits) != 0)
        {
            return false;
        }

        _baseMsr = (value & (BaseAddressMask | BaseEnable)) | BaseBsp;
        _bus?.Move(this, (uint)(value & BaseAddressMask));
        if (!GloballyEnabled)
        {
            // Disabled: as a processor without an APIC (the 8259 reaches INTR directly); its state is the reset state.
            PowerUpRegisters();
        }

        return true;
    }

    // ---- register window ----------------------------------------------------------------------------------------------

    /// <summary>
    /// A register read. The SDM defines only aligned 32-bit accesses to the 16-byte-aligned registers; narrower or
    /// misaligned ones read 0 (as QEMU answers them), and an offset that is no register sets "illegal register
    /// address" in the ESR and reads 0. While the APIC is globally disabled the window reads as an undriven bus.
    /// </summary>
    public uint Read(uint offset, int size)
    {
        if (!GloballyEnabled)
        {
            return size == 4 ? 0xFFFF_FFFFu : (1u << (8 * size)) - 1;
        }

        if (size != 4 || (offset & 0xF) != 0)
        {
            return 0;
        }

        uint index = offset >> 4;
        switch (index)
        {
            case 0x02: return _id;
            case 0x03: return Version;
            case 0x08: return _tpr;
            case 0x09: return 0; // arbitration priority: P6 only; later processors do not implement it
            case 0x0A: return ProcessorPriority;
            case 0x0B: return 0; // EOI is write-only
            case 0x0C: return 0; // remote read: obsolete, never valid
            case 0x0D: return _ldr;
            case 0x0E: return _dfr;
            case 0x0F: return _svr;
            case >= 0x10 and <= 0x17: return _isr[index - 0x10];
            case >= 0x18 and <= 0x1F: return _tmr[index - 0x18];
            case >= 0x20 and <= 0x27: return _irr[index - 0x20];
            case 0x28: return _esr;
            case 0x30: return _icrLow;
            case 0x31: return _icrHigh;
            case >= 0x32 and <= 0x37: return _lvt[index - 0x32];
            case 0x38: return _timerInitialCount;
            case 0x39: return TimerCurrentCount;
            case 0x3E: return _timerDivide;
            default:
                RaiseError(IllegalRegisterAddress);
                return 0;
        }
    }

    /// <summary>A register write; read-only registers ignore it, narrower or misaligned writes are dropped (see <see cref="Read"/>).</summary>
    public void Write(uint offset, int size, uint value)
    {
        if (!GloballyEnabled || size != 4 || (offset & 0xF) != 0)
        {
            return;
        }

        uint index = offset >> 4;
        switch (index)
        {
            case 0x02: _id = value & 0xFF00_0000; break;
            case 0x03 or 0x09 or 0x0A or 0x0C or (>= 0x10 and <= 0x27) or 0x39: break; // read-only
            case 0x08: _tpr = value & 0xFF; break;
            case 0x0B: EndOfInterrupt(); break;
            case 0x0D: _ldr = value & 0xFF00_0000; break;
            case 0x0E: _dfr = value | 0x0FFF_FFFF; break;
            case 0x0F: WriteSpuriousVector(value); break;
            case 0x28:
                // A write (of any value) latches the errors collected since the last one.
                _esr = _pendingErrors;
                _pendingErrors = 0;
                break;
            case 0x30: SendIpi(value); break;
            case 0x31: _icrHigh = value & 0xFF00_0000; break;
            case >= 0x32 and <= 0x37: WriteLvt((int)(index - 0x32), value); break;
            case 0x38: WriteTimerInitialCount(value); break;
            case 0x3E: WriteTimerDivide(value); break;
            default: RaiseError(IllegalRegisterAddress); break;
        }
    }

    private void WriteSpuriousVector(uint value)
    {
        _svr = value & 0x3FF;
        if ((_svr & SvrEnable) == 0)
        {
            // Software-disabled: every LVT entry is masked (SDM 11.4.7.2); IRR and ISR are kept.
            for (int i = 0; i < _lvt.Length; i++)
            {
                _lvt[i] |= LvtMasked;
            }
        }
    }

    private void WriteLvt(int entry, uint value)
    {
        uint written = value & s_lvtWritable[entry];
        if ((_svr & SvrEnable) == 0)
        {
            written |= LvtMasked; // the mask cannot be cleared while the APIC is software-disabled
        }

        _lvt[entry] = (_lvt[entry] & ~s_lvtWritable[entry]) | written;
        if (entry == LvtTimer)
        {
            TimerModeChanged();
        }
    }

    // ---- priority and acceptance (SDM 11.8) ---------------------------------------------------------------------------

    /// <summary>PPR: the TPR if its class is at least the highest in-service class, else that class (SDM 11.8.3.1).</summary>
    public uint ProcessorPriority
    {
        get
        {
            uint isrv = (uint)Math.Max(HighestBit(_isr), 0);
            return (_tpr >> 4) >= (isrv >> 4) ? _tpr : isrv & 0xF0;
        }
    }

    /// <summary>The highest requested vector whose priority class is above the PPR's, or -1.</summary>
    private int DeliverableVector()
    {
        if (!SoftwareEnabled)
        {
            return -1;
        }

        int irrv = HighestBit(_irr);
        return irrv >= 0 && (uint)(irrv >> 4) > (ProcessorPriority >> 4) ? irrv : -1;
    }

    /// <summary>Whether the 8259's INTR reaches the CPU: LINT0 unmasked in ExtINT mode, or no APIC at all.</summary>
    private bool PicWired =>
        !GloballyEnabled || (_lvt[LvtLint0] & (LvtMasked | 0x700)) == 0x700;

    /// <summary>The CPU's INTR input: an APIC vector the PPR lets through, or the 8259 through LINT0.</summary>
    public bool InterruptRequested => DeliverableVector() >= 0 || (PicWired && _pic.InterruptRequested);

    /// <summary>
    /// The interrupt-acknowledge cycle: the APIC's vector moves from IRR to ISR; otherwise the 8259 answers (its
    /// <paramref name="irq"/> line). <paramref name="irq"/> is -1 for an APIC vector.
    /// </summary>
    public byte Acknowledge(out int irq)
    {
        int vector = DeliverableVector();
        if (vector >= 0)
        {
            Clear(_irr, vector);
            Set(_isr, vector);
            Deliveries++;
            irq = -1;
            return (byte)vector;
        }

        if (PicWired)
        {
            return _pic.Acknowledge(out irq);
        }

        // Nothing is deliverable any more (the TPR was raised in between): the spurious vector, ISR untouched.
        irq = -1;
        return (byte)_svr;
    }

    /// <summary>Latches <paramref name="vector"/> in the IRR (a fixed interrupt arriving at this APIC).</summary>
    public void Accept(int vector, bool levelTriggered)
    {
        if (vector < 16)
        {
            RaiseError(ReceiveIllegalVector); // vectors 0-15 are reserved: the APIC refuses them (SDM 11.5.2)
            return;
        }

        Set(_irr, vector);
        if (levelTriggered)
        {
            Set(_tmr, vector);
        }
        else
        {
            Clear(_tmr, vector);
        }
    }

    /// <summary>Raised with the vector of every EOI for a level-triggered interrupt (the I/O APIC's remote IRR).</summary>
    public event Action<int>? LevelTriggeredEoi;

    private void EndOfInterrupt()
    {
        int vector = HighestBit(_isr);
        if (vector < 0)
        {
            return;
        }

        Clear(_isr, vector);
        if (IsSet(_tmr, vector))
        {
            LevelTriggeredEoi?.Invoke(vector);
        }
    }

    private void RaiseError(uint error)
    {
        _pendingErrors |= error;
        uint lvt = _lvt[LvtError];
        if ((lvt & LvtMasked) == 0 && (lvt & 0xFF) >= 16)
        {
            Accept((int)(lvt & 0xFF), levelTriggered: false);
        }
    }

    // ---- interprocessor interrupts (SDM 11.6) -------------------------------------------------------------------------

    private const uint IcrDeliveryMode = 0x700, IcrLogical = 1 << 11, IcrLevelTrigger = 1 << 15;
    private const uint ModeFixed = 0, ModeLowestPriority = 1, ModeNmi = 4;
    private const uint ShorthandNone = 0, ShorthandSelf = 1, ShorthandAllIncludingSelf = 2;

    /// <summary>
    /// A write to the ICR's low half sends the IPI. With one processor the only destination is this APIC: the
    /// self / all-including-self shorthands, its physical ID (or broadcast 0xFF), or a logical destination matching
    /// its LDR. Fixed and lowest-priority IPIs are accepted at once (delivery status stays idle); an NMI IPI raises
    /// the processor's NMI (its vector is ignored, SDM 11.6.1); INIT, SIPI and SMI have nothing to act on here and are
    /// dropped, and so is anything for all-excluding-self: there is no other processor.
    /// </summary>
    private void SendIpi(uint value)
    {
        _icrLow = value & 0x000C_CFFF; // delivery status (bit 12) always reads idle
        uint shorthand = (value >> 18) & 3;
        bool toSelf = shorthand switch
        {
            ShorthandSelf or ShorthandAllIncludingSelf => true,
            ShorthandNone => AddressesThisApic(_icrHigh >> 24, (value & IcrLogical) != 0),
            _ => false, // all excluding self
        };
        uint mode = (value & IcrDeliveryMode) >> 8;
        int vector = (int)(value & 0xFF);
        if (mode is 0 or 1 && vector < 16)
        {
            RaiseError(SendIllegalVector);
            return;
        }

        if (toSelf && mode == ModeNmi)
        {
            RaiseNmi();
            return;
        }

        if (!toSelf || mode is not (ModeFixed or ModeLowestPriority))
        {
            DroppedIpis++;
            return;
        }

        Accept(vector, (value & IcrLevelTrigger) != 0);
    }

    /// <summary>Whether an interrupt message for <paramref name="destination"/> (physical APIC ID, or a logical MDA) reaches this APIC.</summary>
    public bool IsAddressedBy(uint destination, bool logical) => AddressesThisApic(destination & 0xFF, logical);

    private bool AddressesThisApic(uint destination, bool logical)
    {
        if (!logical)
        {
            return destination == 0xFF || destination == _id >> 24;
        }

        uint ldr = _ldr >> 24;
        if ((_dfr >> 28) == 0xF)
        {
            return (destination & ldr) != 0; // flat model: one bit per APIC
        }

        // Cluster model: the high nibble names the cluster (15 broadcasts), the low nibble the APICs in it.
        return ((destination >> 4) == 0xF || (destination >> 4) == (ldr >> 4)) && (destination & ldr & 0xF) != 0;
    }

    // ---- NMI and the LINT pins (SDM 11.5.1) -----------------------------------------------------------------------

    private bool _nmiPending;

    /// <summary>An NMI this APIC raised (ICR, LINT0/LINT1 in NMI mode, an I/O APIC NMI entry) that the processor has not taken yet.</summary>
    public bool NmiPending => _nmiPending;

    /// <summary>NMIs raised, whether or not the processor's one-deep latch still had room for them.</summary>
    public long NmisRaised { get; private set; }

    /// <summary>Raised with each NMI; bare metal moves it into the processor's NMI latch at once, a VMM injects it.</summary>
    public event Action? NmiRaised;

    /// <summary>Signals an NMI to the processor (edge-triggered: a second one before it is taken merges with the first).</summary>
    public void RaiseNmi()
    {
        _nmiPending = true;
        NmisRaised++;
        NmiRaised?.Invoke();
    }

    /// <summary>The processor takes the NMI: true if one was pending.</summary>
    public bool TakeNmi()
    {
        bool pending = _nmiPending;
        _nmiPending = false;
        return pending;
    }

    /// <summary>
    /// A rising edge on LINT0 (the 8259's INTR) or LINT1 (the chipset's NMI line, which nothing on this board drives):
    /// the LVT entry decides. NMI mode raises an NMI; fixed mode requests its vector (level or edge per the entry);
    /// ExtINT is the 8259's virtual wire, which the INTR arbiter already follows. A masked entry ignores the pin.
    /// </summary>
    public void LocalInterruptPinRaised(int pin)
    {
        if (pin is not (0 or 1))
        {
            throw new ArgumentOutOfRangeException(nameof(pin), pin, "the local APIC has LINT0 and LINT1");
        }

        uint lvt = _lvt[pin == 0 ? LvtLint0 : LvtLint1];
        if (!GloballyEnabled || (lvt & LvtMasked) != 0)
        {
            return;
        }

        switch ((lvt & IcrDeliveryMode) >> 8)
        {
            case ModeNmi:
                RaiseNmi();
                break;
            case ModeFixed:
                Accept((int)(lvt & 0xFF), levelTriggered: (lvt & IcrLevelTrigger) != 0);
                break;
        }
    }

    // ---- 256-bit registers ---------------------------------------------------------------------------------------------

    private static void Set(uint[] bits, int vector) => bits[vector >> 5] |= 1u << (vector & 31);

    private static void Clear(uint[] bits, int vector) => bits[vector >> 5] &= ~(1u << (vector & 31));

    private static bool IsSet(uint[] bits, int vector) => (bits[vector >> 5] & (1u << (vector & 31))) != 0;

    private static int HighestBit(uint[] bits)
    {
        for (int word = bits.Length - 1; word >= 0; word--)
        {
            if (bits[word] != 0)
            {
                return (word << 5) + 31 - System.Numerics.BitOperations.LeadingZeroCount(bits[word]);
            }
        }

        return -1;
    }
}
