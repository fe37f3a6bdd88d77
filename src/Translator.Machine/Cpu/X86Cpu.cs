using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Translator.Machine.Devices;
using Translator.Machine.Memory;

namespace Translator.Machine.Cpu;

/// <summary>Segment register numbers, in the order of the ModRM reg field (and of Iced's Register enum).</summary>
public enum SegmentRegister
{
    ES = 0,
    CS = 1,
    SS = 2,
    DS = 3,
    FS = 4,
    GS = 5,
}

/// <summary>
/// The architectural state of one IA-32 processor in protected mode, and the services instructions use:
/// register access, memory through the MMU, port I/O, faults. Segments are flat (base 0, limit 4 GiB), which is
/// what every 32-bit OS of interest uses; a guest that loads anything else is stopped with a clear message.
/// </summary>
public sealed partial class X86Cpu
{
    public const int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

    /// <summary>Index of a register that always reads 0: the decoder points absent base/index registers at it.</summary>
    internal const int ZeroRegister = 8;

    /// <summary>EAX..EDI, then the always-zero slot; inline in the object so register access is one load.</summary>
    internal RegisterFile Gpr;

    public uint Eip;

    internal readonly ushort[] Selectors = new ushort[6];

    /// <summary>
    /// Segment bases, hardware's hidden part: 0 for every segment but FS and GS, which may have a base (with a 4 GiB
    /// limit) for per-CPU and thread-local data, as 32-bit kernels and their C runtimes use them.
    /// </summary>
    internal readonly uint[] SegmentBases = new uint[6];

    /// <summary>Descriptor attribute bytes (access byte | flags nibble &lt;&lt; 8) cached at segment load, as hardware's hidden part.</summary>
    internal readonly ushort[] SegmentAttributes = new ushort[6];

    /// <summary>Current privilege level (CS.RPL of the executing code).</summary>
    public int Cpl { get; private set; }

    public uint Cr0 { get; internal set; }

    public uint Cr2 { get; internal set; }

    public uint Cr3 { get; internal set; }

    public uint Cr4 { get; internal set; }

    internal readonly uint[] DebugRegisters = new uint[8];

    public uint GdtBase { get; internal set; }

    public ushort GdtLimit { get; internal set; }

    public uint IdtBase { get; internal set; }

    public ushort IdtLimit { get; internal set; }

    public ushort LdtSelector { get; internal set; }

    internal uint LdtBase;
    internal uint LdtLimit;

    public ushort TaskRegister { get; internal set; }

    internal uint TssBase;
    internal uint TssLimit;

    /// <summary>Model-specific registers this CPU implements beyond the TSC.</summary>
    internal uint SysenterCs, SysenterEsp, SysenterEip;

    /// <summary>IA32_MISC_ENABLE (<see cref="MiscEnableRegister"/>).</summary>
    internal ulong MiscEnable = MiscEnableRegister.AtReset;

    /// <summary>
    /// The local APIC whose IA32_APIC_BASE MSR (0x1B) RDMSR/WRMSR reach: the machine's own on bare metal, the VMM's
    /// device where the VMM executes the MSR access for the guest; null: the MSR does not exist (#GP).
    /// </summary>
    public LocalApic? Apic { get; set; }

    /// <summary>Added to virtual time to form the TSC (WRMSR to IA32_TIME_STAMP_COUNTER sets it).</summary>
    internal ulong TscOffset;

    public Mmu Mmu { get; }

    public IoBus Io { get; }

    public VirtualClock Clock { get; }

    /// <summary>Reused fault object (see <see cref="GuestFault"/>).</summary>
    internal readonly GuestFault Fault = new();

    /// <summary>Index of the executing instruction in its block, so a fault can be attributed to it.</summary>
    internal int CurrentOpIndex;

    /// <summary>Instructions a compiled loop block retired in earlier iterations of the current call (for fault accounting).</summary>
    internal int LoopRetired;

    /// <summary>Set by an instruction that must end the current block early (mode changes, writes into cached code).</summary>
    internal bool StopBlock;

    /// <summary>The CPU executed HLT and waits for an interrupt.</summary>
    public bool Halted { get; internal set; }

    /// <summary>STI/MOV SS/POP SS inhibit interrupts until after the next instruction.</summary>
    internal bool InterruptShadow;

    /// <summary>
    /// Callouts of a VMM that runs this processor deprivileged (bt): replacement handlers for sensitive instructions,
    /// honoured by every block decoded after they are set. Null on bare metal.
    /// </summary>
    internal Decoders.HandlerOverrides? HandlerOverrides;

    /// <summary>The VMM whose callouts are installed (their handlers find their state through it).</summary>
    internal object? Monitor;

    /// <summary>Instructions retired since reset (virtual time is derived from this).</summary>
    public ulong Retired;

    public CpuCounters Counters { get; } = new();

    public X86Cpu(PhysicalMemory memory, IoBus io, VirtualClock clock)
    {
        Io = io;
        Clock = clock;
        Mmu = new Mmu(memory, Fault) { SetCr2 = RecordPageFaultAddress };
        Reset();
    }

    /// <summary>The state a multiboot loader hands over (QEMU's): protected mode, paging off, flat CS=0x08, data 0x10.</summary>
    public void Reset()
    {
        ((Span<uint>)Gpr).Clear();
        Eip = 0;
        WriteEFlags(0);
        Cr0 = 0x0000_0011; // PE | ET, as QEMU leaves it after its multiboot loader
        Cr2 = 0;
        Cr3 = 0;
        Cr4 = 0;
        SetCpl(0);
        const ushort flatCode = 0x9B | 0xC << 8; // present, DPL 0, code exec/read accessed; G and D
        const ushort flatData = 0x93 | 0xC << 8;
        for (int s = 0; s < 6; s++)
        {
            Selectors[s] = s == (int)SegmentRegister.CS ? (ushort)0x08 : (ushort)0x10;
            SegmentAttributes[s] = s == (int)SegmentRegister.CS ? flatCode : flatData;
            SegmentBases[s] = 0;
        }

        GdtBase = 0;
        GdtLimit = 0xFFFF;
        IdtBase = 0;
        IdtLimit = 0xFFFF;
        LdtSelector = 0;
        TaskRegister = 0;
        TssBase = 0;
        TssLimit = 0xFFFF;
        MiscEnable = MiscEnableRegister.AtReset;
        Halted = false;
        NmiPending = NmiBlocked = false;
        Fpu.Reset();
        ResetSimd();
        ResetDebugRegisters();
        SyncMmu();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref uint Reg(int index) => ref Unsafe.Add(ref Gpr.First, index);

    public uint GetRegister(int index) => Gpr[index];

    public void SetRegister(int index, uint value)
    {
        if (index is < 0 or > 7)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }

        Gpr[index] = value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte ReadReg8(int index)
    {
        // ModRM encoding: 0-3 are AL CL DL BL, 4-7 are AH CH DH BH.
        return index < 4 ? (byte)Reg(index) : (byte)(Reg(index - 4) >> 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteReg8(int index, byte value)
    {
        if (index < 4)
        {
            ref uint r = ref Reg(index);
            r = (r & 0xFFFF_FF00u) | value;
        }
        else
        {
            ref uint r = ref Reg(index - 4);
            r = (r & 0xFFFF_00FFu) | ((uint)value << 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteReg16(int index, ushort value)
    {
        ref uint r = ref Reg(index);
        r = (r & 0xFFFF_0000u) | value;
    }

    internal void SetCpl(int cpl)
    {
        if ((cpl == 3) != (Cpl == 3))
        {
            NextTranslationEpoch(); // user and supervisor fetches are checked differently: drop block links
        }

        Cpl = cpl;
        Mmu.SetUserMode(cpl == 3);
    }

    /// <summary>
    /// Changes whenever linear-to-physical mappings or the fetch privilege class may have changed. Never 0, the
    /// value of a chaining entry that was never validated (<see cref="ChainValid"/>).
    /// </summary>
    internal uint TranslationEpoch = 1;

    private void NextTranslationEpoch()
    {
        if (++TranslationEpoch == 0)
        {
            TranslationEpoch = 1;
        }
    }

    /// <summary>Pushes CR0/CR3/CR4 into the MMU after any of them changed (flushes the TLB).</summary>
    internal void SyncMmu()
    {
        Mmu.SetPaging(
            paging: (Cr0 & 0x8000_0000) != 0,
            writeProtect: (Cr0 & 0x0001_0000) != 0,
            pse: (Cr4 & 0x10) != 0,
            cr3: Cr3);
        RaiseTranslationChanged();
    }

    /// <summary>Raised when linear-to-physical mappings may have changed (the code cache drops its lookups).</summary>
    internal event Action? TranslationChanged;

    internal void RaiseTranslationChanged()
    {
        NextTranslationEpoch();
        TranslationChanged?.Invoke();
    }

    /// <summary>CR4.UMIP (bit 11): SGDT, SIDT, SLDT, SMSW and STR are ring-0 instructions.</summary>
    public const uint Cr4Umip = 1u << 11;

    /// <summary>User-mode instruction prevention: #GP(0) at CPL &gt; 0 while CR4.UMIP is set (SDM Vol. 3 2.5).</summary>
    internal void RequireUmipPrivilege()
    {
        if ((Cr4 & Cr4Umip) != 0 && Cpl > 0)
        {
            throw GeneralProtection();
        }
    }

    // ---- faults ------------------------------------------------------------------------------------------------

    internal GuestFault Exception(ExceptionVector vector) => Fault.Set(vector, hasErrorCode: false, 0);

    internal GuestFault Exception(ExceptionVector vector, uint errorCode) => Fault.Set(vector, hasErrorCode: true, errorCode);

    internal GuestFault GeneralProtection(uint errorCode = 0) => Exception(ExceptionVector.GeneralProtection, errorCode);

    internal GuestFault InvalidOpcode() => Exception(ExceptionVector.InvalidOpcode);

    /// <summary>#GP(0) unless running at CPL 0 (privileged instructions).</summary>
    internal void RequireCpl0()
    {
        if (Cpl != 0)
        {
            throw GeneralProtection();
        }
    }

    // ---- stack -------------------------------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Push32(uint value)
    {
        uint sp = Reg(ESP) - 4;
        Mmu.Write32(sp, value);
        Reg(ESP) = sp;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Push16(ushort value)
    {
        uint sp = Reg(ESP) - 2;
        Mmu.Write16(sp, value);
        Reg(ESP) = sp;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Pop32()
    {
        uint sp = Reg(ESP);
        uint value = Mmu.Read32(sp);
        Reg(ESP) = sp + 4;
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ushort Pop16()
    {
        uint sp = Reg(ESP);
        ushort value = Mmu.Read16(sp);
        Reg(ESP) = sp + 2;
        return value;
    }
}

[InlineArray(9)]
internal struct RegisterFile
{
    public uint First;
}

/// <summary>Event counts the CPU keeps for statistics (exceptions by vector, interrupts by IRQ line).</summary>
public sealed class CpuCounters
{
    public readonly long[] Exceptions = new long[32];
    public readonly long[] Irqs = new long[16];
    public long SoftwareInterrupts;

    /// <summary>NMIs delivered (vector 2 through the IDT).</summary>
    public long Nmis;

    /// <summary>INT n delivered through a gate the deprivileging VMM installed, without entering the VMM.</summary>
    public long DirectSoftwareInterrupts;
    public long BlocksDecoded;
    public long CodeInvalidations;

    /// <summary>Instructions retired inside translated regions (the rest ran on the interpreter).</summary>
    public long TranslatedInstructions;
}
