using Translator.Machine.Cpu;

namespace Translator.Vmm.Backends.Deprivileged;

/// <summary>
/// The processor state the deprivileged guest believes it has and the VMM keeps for it: the descriptor-table
/// registers, the task register, IF (while the guest kernel runs) and IOPL, and CR2. CR0/CR3/CR4 live in the
/// shadow page tables, which own paging.
/// </summary>
internal struct VirtualState
{
    public uint GdtBase;
    public ushort GdtLimit;
    public uint IdtBase;
    public ushort IdtLimit;
    public ushort LdtSelector;
    public uint LdtBase;
    public uint LdtLimit;
    public ushort TaskRegister;
    public uint TssBase;
    public uint TssLimit;
    public bool InterruptsEnabled;
    public int Iopl;
    public uint Cr2;

    /// <summary>The state the processor holds now (at boot, before the VMM takes it over; in the virtual view, after an emulation).</summary>
    public static VirtualState Capture(X86Cpu c) => new()
    {
        GdtBase = c.GdtBase,
        GdtLimit = c.GdtLimit,
        IdtBase = c.IdtBase,
        IdtLimit = c.IdtLimit,
        LdtSelector = c.LdtSelector,
        LdtBase = c.LdtBase,
        LdtLimit = c.LdtLimit,
        TaskRegister = c.TaskRegister,
        TssBase = c.TssBase,
        TssLimit = c.TssLimit,
        InterruptsEnabled = c.IF,
        Iopl = c.Iopl,
        Cr2 = c.Cr2,
    };

    /// <summary>Loads the descriptor-table and task registers into the processor (CR2 and the flags are the caller's).</summary>
    public readonly void LoadTables(X86Cpu c)
    {
        c.GdtBase = GdtBase;
        c.GdtLimit = GdtLimit;
        c.IdtBase = IdtBase;
        c.IdtLimit = IdtLimit;
        c.LdtSelector = LdtSelector;
        c.LdtBase = LdtBase;
        c.LdtLimit = LdtLimit;
        c.TaskRegister = TaskRegister;
        c.TssBase = TssBase;
        c.TssLimit = TssLimit;
    }

    /// <summary>Whether the descriptor tables the VMM compresses (GDT, and the TSS/LDT descriptors in it) changed.</summary>
    public readonly bool SameTables(in VirtualState other) =>
        GdtBase == other.GdtBase && GdtLimit == other.GdtLimit && LdtSelector == other.LdtSelector && TaskRegister == other.TaskRegister;
}
