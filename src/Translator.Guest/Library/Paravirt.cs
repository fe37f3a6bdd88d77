namespace Translator.Guest;

/// <summary>
/// The paravirtual runtime: what the PV build of a kernel does where the bare-metal build executes a privileged
/// instruction (docs/dsl.md, "The PV build"; docs/paravirt-abi.md for every hypercall). The kernel compiler calls
/// these routines in place of the intrinsics the pv_ops table maps to them, and keeps the privileged state the kernel
/// believes it has (CR0, CR3, GDTR, IDTR, TR, LDTR) in the fields below, so reading it back is a memory load.
/// <para>
/// Page tables: the kernel's own tables stay what they are on bare metal, plain arrays it writes (its description).
/// The tables the processor walks are built from that description in frames of a pool at the top of guest memory
/// (<see cref="PoolFrames"/> frames), validated by the VMM: pinned, filled through batched mmu_update, switched with
/// mmuext_op(new_baseptr). A 4 MiB page of the description becomes a shared page table of 1024 small pages (PV guests
/// have no large pages); entries that would map a page-table frame writable are made read-only (the VMM refuses them).
/// A description entry written later takes effect through the Paging helpers at once, or at the next
/// Cpu.InvalidatePage of an address it maps, as a TLB would need on bare metal.
/// </para>
/// </summary>
[GuestCode]
internal static class Paravirt
{
    // Recorded by the PV start routine (ParavirtRoutines.EmitStart); the initializers only say "written by code .NET does not see".
    public static uint StartInfo = 0;
    public static uint SharedInfo = 0;

    // The privileged registers as the kernel sees them; CR0 starts as a multiboot loader leaves it (PE, ET).
    public static uint Cr0 = 0x11;
    public static uint Cr3;
    public static uint Cr4 = 0; // written by the WriteCr4 lowering
    public static uint GdtBase;
    public static uint GdtLimit;
    public static uint IdtBase;
    public static uint IdtLimit;
    public static uint Ldt;
    public static uint TaskRegister;

    /// <summary>The vector each event channel port is handled as (0: none); the event callback dispatches by it.</summary>
    public static readonly byte[] PortVector = new byte[64];

    private const uint PagingEnabled = 0x80000000;
    private const uint Present = 0x001;
    private const uint Writable = 0x002;
    private const uint LargePage = 0x080;
    private const uint FrameMask = 0xFFFFF000;

    // ABI numbers (docs/paravirt-abi.md; Translator.Paravirt.Abi.PvAbi.cs is the header).
    private const uint DomidSelf = 0x7FF0;
    private const uint PinL1Table = 0;
    private const uint PinL2Table = 1;
    private const uint NewBaseptr = 5;
    private const uint InvlpgLocal = 7;
    private const uint UvmfInvlpg = 2;
    private const uint StartInfoNrPages = 32;
    private const uint StartInfoPtBase = 60;
    private const uint StartInfoNrPtFrames = 64;
    private const uint VcpuOpSetPeriodicTimer = 6;
    private const uint EventChannelBindVirq = 1;
    private const uint EventChannelUnmask = 9;
    private const uint VirqTimer = 0;
    private const uint ConsoleWrite = 0;
    private const uint SharedInfoEventMask = 0x880;

    /// <summary>Frames at the top of guest memory the runtime takes for the tables the processor walks.</summary>
    public const uint PoolFrames = 256;

    private const int MaxTables = 64;
    private const int MaxDirectories = 16;

    private static uint s_poolStart;
    private static uint s_poolNext;
    private static uint s_poolEnd;
    private static uint s_bootTablesStart;
    private static uint s_bootTablesEnd;
    private static int s_activeSlot = -1;

    // Description -> frame the processor walks.
    private static readonly uint[] DirectoryKeys = new uint[MaxDirectories];
    private static readonly uint[] DirectoryFrames = new uint[MaxDirectories];
    private static int s_directories;
    private static readonly uint[] DirectoryCopies = new uint[MaxDirectories * 1024]; // each description as last built
    private static readonly uint[] TableKeys = new uint[MaxTables];      // a description table's address, or a large page's entry | 1 << 8 marker
    private static readonly uint[] TableFrames = new uint[MaxTables];
    private static readonly bool[] TableIsLarge = new bool[MaxTables];
    private static int s_tables;

    // One mmu_update batch: up to 1024 requests of 16 bytes (ptr, 0, val, 0).
    private static readonly uint[] Requests = new uint[1024 * 4];
    private static uint s_requestCount;
    private static readonly uint[] ExtOp = new uint[3];
    private static readonly uint[] Argument = new uint[4];
    private static readonly uint[] Descriptors = new uint[2 * 64];
    private static readonly uint[] Traps = new uint[2 * 257];
    private static readonly byte[] Text = new byte[256];
    private static uint s_textLength;

    // ---- control registers ------------------------------------------------------------------------------------------

    /// <summary>MOV CR0: recorded; setting PG switches to the kernel's page directory (CR3).</summary>
    public static void WriteCr0(uint value)
    {
        bool enabling = (value & PagingEnabled) != 0 && (Cr0 & PagingEnabled) == 0;
        Cr0 = value;
        if (enabling)
        {
            Activate(Cr3);
        }
    }

    /// <summary>MOV CR3: recorded; with paging on, the directory built from this description becomes the base (one mmuext_op).</summary>
    public static void WriteCr3(uint directory)
    {
        Cr3 = directory;
        if ((Cr0 & PagingEnabled) != 0)
        {
            Activate(directory);
        }
    }

    /// <summary>INVLPG: re-reads the description's entries for <paramref name="linear"/> into the walked tables.</summary>
    public static void InvalidatePage(uint linear)
    {
        if ((Cr0 & PagingEnabled) == 0 || s_activeSlot < 0)
        {
            return;
        }

        uint index = linear >> 22;
        uint entry = Memory.Read32(Cr3 + index * 4);
        SyncDirectoryEntry(s_activeSlot, index, entry);
        if ((entry & Present) != 0 && (entry & LargePage) == 0)
        {
            uint table = entry & FrameMask;
            uint pte = Memory.Read32(table + ((linear >> 12) & 0x3FF) * 4);
            Hypercall.UpdateVaMapping(linear, Walked(pte), UvmfInvlpg);
            return;
        }

        ExtOp[0] = InvlpgLocal;
        ExtOp[1] = linear;
        Hypercall.MmuextOp(Memory.AddressOf(ExtOp), 1, 0, DomidSelf);
    }

    /// <summary>A page-table entry of the description was written (Paging.Map and Unmap): the walked copy follows.</summary>
    public static void TableEntryWritten(uint table, uint index)
    {
        int slot = FindTable(table, false);
        if (slot < 0)
        {
            return;
        }

        Queue(TableFrames[slot] + index * 4, Walked(Memory.Read32(table + index * 4)));
        Flush();
    }

    /// <summary>A directory entry of the description was written (Paging.MapLarge and SetTable).</summary>
    public static void DirectoryEntryWritten(uint directory, uint index)
    {
        for (int i = 0; i < s_directories; i++)
        {
            if (DirectoryKeys[i] == directory)
            {
                SyncDirectoryEntry(i, index, Memory.Read32(directory + index * 4));
            }
        }
    }

    // ---- descriptor tables ------------------------------------------------------------------------------------------

    /// <summary>LGDT: recorded; the table is copied for set_gdt with ring 0 made ring 1 and system descriptors left out.</summary>
    public static void LoadGdt(uint table, ushort limit)
    {
        GdtBase = table;
        GdtLimit = limit;
        uint entries = ((uint)limit + 1) / 8;
        if (entries > (uint)Descriptors.Length / 2)
        {
            entries = (uint)Descriptors.Length / 2;
        }

        for (uint i = 0; i < entries; i++)
        {
            uint low = Memory.Read32(table + i * 8);
            uint high = Memory.Read32(table + i * 8 + 4);
            if ((high & 0x1000) == 0)
            {
                low = 0;    // a system descriptor (TSS, LDT, gate) or the null one: the VMM keeps those
                high = 0;
            }
            else if ((high & 0x6000) == 0)
            {
                high |= 0x2000; // DPL 0 -> 1: the kernel's ring
            }

            Descriptors[i * 2] = low;
            Descriptors[i * 2 + 1] = high;
        }

        Check(Hypercall.SetGdt(Memory.AddressOf(Descriptors), entries));
    }

    /// <summary>LIDT: recorded; every present gate becomes a trap_info entry (an interrupt gate masks events on entry).</summary>
    public static void LoadIdt(uint table, ushort limit)
    {
        IdtBase = table;
        IdtLimit = limit;
        uint gates = ((uint)limit + 1) / 8;
        if (gates > (uint)Traps.Length / 2 - 1)
        {
            gates = (uint)Traps.Length / 2 - 1; // one entry left for the terminator
        }

        uint count = 0;
        for (uint vector = 0; vector < gates; vector++)
        {
            uint low = Memory.Read32(table + vector * 8);
            uint high = Memory.Read32(table + vector * 8 + 4);
            uint address = (low & 0xFFFF) | (high & 0xFFFF0000);
            if ((high & 0x8000) == 0 || address == 0)
            {
                continue;
            }

            uint flags = (high >> 13) & 3;
            if (((high >> 8) & 0xF) == 0xE)
            {
                flags |= 4;
            }

            Traps[count * 2] = vector | (flags << 8) | (low & 0xFFFF0000);
            Traps[count * 2 + 1] = address;
            count++;
        }

        Traps[count * 2] = 0;
        Traps[count * 2 + 1] = 0;
        Check(Hypercall.SetTrapTable(Memory.AddressOf(Traps)));
    }

    /// <summary>LTR: recorded; the TSS's SS0:ESP0 becomes the stack ring 3 enters the kernel on (stack_switch).</summary>
    public static void LoadTaskRegister(ushort selector)
    {
        TaskRegister = selector;
        uint low = Memory.Read32(GdtBase + (uint)(selector & 0xFFF8));
        uint high = Memory.Read32(GdtBase + (uint)(selector & 0xFFF8) + 4);
        uint tss = (low >> 16) | ((high & 0xFF) << 16) | (high & 0xFF000000);
        Check(Hypercall.StackSwitch(Memory.Read32(tss + 8) | 1, Memory.Read32(tss + 4)));
    }

    /// <summary>LLDT: recorded (no DSL kernel has a local descriptor table; a non-null one is refused).</summary>
    public static void LoadLdt(ushort selector)
    {
        Ldt = selector;
        if ((selector & 0xFFFC) != 0)
        {
            Fail("LLDT of a non-null selector has no PV form");
        }
    }

    // ---- devices ----------------------------------------------------------------------------------------------------

    /// <summary>
    /// Console output, batched as a Xen guest's console driver does: bytes collect in a buffer that goes out as one
    /// console_io at each line end, when full, and before the kernel exits (the runtime's exit paths flush it).
    /// </summary>
    public static void Write(char c)
    {
        Text[s_textLength] = (byte)c;
        s_textLength++;
        if (c == '\n' || s_textLength == (uint)Text.Length)
        {
            FlushConsole();
        }
    }

    /// <summary>What the console buffer holds, as one console_io.</summary>
    public static void FlushConsole()
    {
        if (s_textLength > 0)
        {
            uint count = s_textLength;
            s_textLength = 0;
            Hypercall.ConsoleIo(ConsoleWrite, count, Memory.AddressOf(Text));
        }
    }

    /// <summary>The PIT's periodic rate as the virtual timer: vcpu_op(set_periodic_timer), period in ns.</summary>
    public static void StartPeriodicTimer(uint inputClocks, uint inputHz)
    {
        ulong period = (ulong)inputClocks * 1000000000UL / inputHz;
        Argument[0] = (uint)period;
        Argument[1] = (uint)(period >> 32);
        Check(Hypercall.VcpuOp(VcpuOpSetPeriodicTimer, 0, Memory.AddressOf(Argument)));
    }

    /// <summary>IRQ 0 unmasked: VIRQ_TIMER bound to a port that the event callback hands to <paramref name="vector"/>'s handler.</summary>
    public static void BindTimer(byte vector)
    {
        Argument[0] = VirqTimer;
        Argument[1] = 0;
        Argument[2] = 0;
        Check(Hypercall.EventChannelOp(EventChannelBindVirq, Memory.AddressOf(Argument)));
        uint port = Argument[2];
        if (port >= 64)
        {
            Fail("VIRQ_TIMER bound to a port beyond the runtime's 64");
        }

        PortVector[port] = vector;
        Argument[0] = port;
        Check(Hypercall.EventChannelOp(EventChannelUnmask, Memory.AddressOf(Argument)));
    }

    // ---- the tables the processor walks -----------------------------------------------------------------------------

    private static void Activate(uint directory)
    {
        s_activeSlot = DirectorySlot(directory);
        ExtOp[0] = NewBaseptr;
        ExtOp[1] = DirectoryFrames[s_activeSlot] >> 12;
        Check(Hypercall.MmuextOp(Memory.AddressOf(ExtOp), 1, 0, DomidSelf));
    }

    /// <summary>The walked directory built from the description at <paramref name="directory"/> (built once, then kept in step).</summary>
    private static int DirectorySlot(uint directory)
    {
        for (int i = 0; i < s_directories; i++)
        {
            if (DirectoryKeys[i] == directory)
            {
                return i;
            }
        }

        if (s_directories == MaxDirectories)
        {
            Fail("more page directories than the PV runtime keeps");
        }

        uint frame = NewTableFrame(PinL2Table);
        int slot = s_directories;
        DirectoryKeys[slot] = directory;
        DirectoryFrames[slot] = frame;
        s_directories++;
        for (uint index = 0; index < 1024; index++)
        {
            uint entry = Memory.Read32(directory + index * 4);
            DirectoryCopies[slot * 1024 + (int)index] = entry;
            if ((entry & Present) != 0)
            {
                Queue(frame + index * 4, WalkedDirectoryEntry(entry));
            }
        }

        Flush();
        return slot;
    }

    /// <summary>A description directory entry that changed since it was built goes to the walked directory (one mmu_update).</summary>
    private static void SyncDirectoryEntry(int slot, uint index, uint entry)
    {
        int copy = slot * 1024 + (int)index;
        if (DirectoryCopies[copy] == entry)
        {
            return;
        }

        DirectoryCopies[copy] = entry;
        Queue(DirectoryFrames[slot] + index * 4, (entry & Present) != 0 ? WalkedDirectoryEntry(entry) : 0);
        Flush();
    }

    /// <summary>A description directory entry as the processor's: its page table (or a large page's) replaced by a walked one.</summary>
    private static uint WalkedDirectoryEntry(uint entry)
    {
        uint flags = entry & 0xFFF & ~LargePage;
        if ((entry & LargePage) != 0)
        {
            return LargePageTable(entry) | flags;
        }

        return WalkedTable(entry & FrameMask) | flags;
    }

    /// <summary>The page table standing for a 4 MiB page: 1024 small pages, shared by every directory that maps the same one.</summary>
    private static uint LargePageTable(uint entry)
    {
        uint key = (entry & 0xFFC00000) | (entry & 0xFFF & ~LargePage);
        int slot = FindTable(key, true);
        if (slot >= 0)
        {
            return TableFrames[slot];
        }

        uint frame = AddTable(key, true);
        uint flags = entry & 0x1FF & ~LargePage & ~0x60u;
        for (uint i = 0; i < 1024; i++)
        {
            Queue(frame + i * 4, Walked(((entry & 0xFFC00000) + i * 4096) | flags));
        }

        Flush();
        return frame;
    }

    /// <summary>The walked copy of the description's page table at <paramref name="table"/>.</summary>
    private static uint WalkedTable(uint table)
    {
        int slot = FindTable(table, false);
        if (slot >= 0)
        {
            return TableFrames[slot];
        }

        uint frame = AddTable(table, false);
        for (uint i = 0; i < 1024; i++)
        {
            uint entry = Memory.Read32(table + i * 4);
            if ((entry & Present) != 0)
            {
                Queue(frame + i * 4, Walked(entry));
            }
        }

        Flush();
        return frame;
    }

    private static int FindTable(uint key, bool large)
    {
        for (int i = 0; i < s_tables; i++)
        {
            if (TableKeys[i] == key && TableIsLarge[i] == large)
            {
                return i;
            }
        }

        return -1;
    }

    private static uint AddTable(uint key, bool large)
    {
        if (s_tables == MaxTables)
        {
            Fail("more page tables than the PV runtime keeps");
        }

        uint frame = NewTableFrame(PinL1Table);
        TableKeys[s_tables] = key;
        TableFrames[s_tables] = frame;
        TableIsLarge[s_tables] = large;
        s_tables++;
        return frame;
    }

    /// <summary>A page-table entry as the VMM accepts it: a frame that is (or may become) a page table is mapped read-only.</summary>
    private static uint Walked(uint entry)
    {
        uint address = entry & FrameMask;
        if ((address >= s_poolStart && address < s_poolEnd) || (address >= s_bootTablesStart && address < s_bootTablesEnd))
        {
            return entry & ~Writable;
        }

        return entry;
    }

    /// <summary>A zeroed pool frame, made read-only in the boot tables on first use, pinned as a table of the given level.</summary>
    private static uint NewTableFrame(uint pin)
    {
        if (s_poolStart == 0)
        {
            ReservePool();
        }

        if (s_poolNext == s_poolEnd)
        {
            Fail("the PV runtime's page-table pool is exhausted");
        }

        uint frame = s_poolNext;
        s_poolNext += 4096;
        ExtOp[0] = pin;
        ExtOp[1] = frame >> 12;
        Check(Hypercall.MmuextOp(Memory.AddressOf(ExtOp), 1, 0, DomidSelf));
        return frame;
    }

    /// <summary>The top <see cref="PoolFrames"/> frames of guest memory, unmapped for writing in the boot tables (one mmu_update).</summary>
    private static void ReservePool()
    {
        uint pages = Memory.Read32(StartInfo + StartInfoNrPages);
        uint directory = Memory.Read32(StartInfo + StartInfoPtBase);
        s_bootTablesStart = directory;
        s_bootTablesEnd = directory + Memory.Read32(StartInfo + StartInfoNrPtFrames) * 4096;
        s_poolEnd = pages * 4096;
        s_poolStart = s_poolEnd - PoolFrames * 4096;
        s_poolNext = s_poolStart;
        uint firstBootTable = directory + 4096;
        for (uint frame = s_poolStart; frame < s_poolEnd; frame += 4096)
        {
            Queue(firstBootTable + (frame >> 12) * 4, frame | Present | 4);
        }

        Flush();
    }

    private static void Queue(uint entryAddress, uint value)
    {
        if (s_requestCount == 1024)
        {
            Flush();
        }

        uint at = s_requestCount * 4;
        Requests[at] = entryAddress;
        Requests[at + 1] = 0;
        Requests[at + 2] = value;
        Requests[at + 3] = 0;
        s_requestCount++;
    }

    /// <summary>Every queued page-table write as one mmu_update (Xen's batching).</summary>
    private static void Flush()
    {
        if (s_requestCount == 0)
        {
            return;
        }

        uint count = s_requestCount;
        s_requestCount = 0;
        Check(Hypercall.MmuUpdate(Memory.AddressOf(Requests), count, 0, DomidSelf));
    }

    /// <summary>A refused hypercall is a bug of this runtime or of the kernel: say which and stop (exit 0x71).</summary>
    private static void Check(int result)
    {
        if (result < 0)
        {
            Console.Write("\nguest panic: hypercall refused (-");
            Console.WriteDecimal((uint)-result);
            Console.Write(")\n");
            Machine.Exit(0x71);
        }
    }

    private static void Fail(string message)
    {
        Console.Write("\nguest panic: ");
        Console.Write(message);
        Console.Write("\n");
        Machine.Exit(0x71);
    }
}
