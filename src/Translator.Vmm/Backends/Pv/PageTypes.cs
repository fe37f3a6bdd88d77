using Translator.Machine.Memory;
using Translator.Paravirt.Abi;

namespace Translator.Vmm.Backends.Pv;

/// <summary>What a guest frame is used as (Xen's page types, for two-level non-PAE paging).</summary>
internal enum FrameType : byte
{
    None,
    L1,
    L2,
}

/// <summary>
/// Direct paging with validation, Xen's way: the processor walks the guest's own page tables, so every entry that
/// can reach it is checked first. Each frame has a type (none, page table, page directory) with a count of
/// references that hold the type (pins, directory entries, the page-directory base), and a count of writable
/// mappings. A frame cannot be a table and be mapped writable at the same time, so the guest can change its tables
/// only through mmu_update / update_va_mapping; every present entry must name one of the guest's own frames.
/// </summary>
internal sealed class PageTypes
{
    public const uint Present = 1, Writable = 2, LargePage = 0x80;
    private const uint FrameMask = 0xFFFF_F000;

    private readonly PhysicalMemory _memory;
    private readonly FrameType[] _type;
    private readonly int[] _typeCount;
    private readonly int[] _writable;
    private readonly bool[] _pinned;

    public PageTypes(PhysicalMemory memory, uint frames)
    {
        _memory = memory;
        Frames = frames;
        _type = new FrameType[frames];
        _typeCount = new int[frames];
        _writable = new int[frames];
        _pinned = new bool[frames];
    }

    public uint Frames { get; }

    /// <summary>The page directory the processor uses (CR3's frame).</summary>
    public uint BaseFrame { get; private set; }

    public FrameType TypeOf(uint frame) => frame < Frames ? _type[frame] : FrameType.None;

    public int WritableMappings(uint frame) => _writable[frame];

    public bool IsPinned(uint frame) => _pinned[frame];

    // ---- validation of one entry ------------------------------------------------------------------------------------

    /// <summary>Takes the references of a page-table entry: 0 or -errno.</summary>
    private int TakeL1Entry(uint entry)
    {
        if ((entry & Present) == 0)
        {
            return 0;
        }

        uint frame = entry >> 12;
        if (frame >= Frames)
        {
            return -PvErrno.EINVAL; // a frame the guest does not own
        }

        if ((entry & Writable) != 0)
        {
            if (_type[frame] != FrameType.None)
            {
                return -PvErrno.EINVAL; // a writable mapping of a page table
            }

            _writable[frame]++;
        }

        return 0;
    }

    private void DropL1Entry(uint entry)
    {
        if ((entry & Present) != 0 && (entry & Writable) != 0 && entry >> 12 < Frames)
        {
            _writable[entry >> 12]--;
        }
    }

    /// <summary>Takes the references of a page-directory entry: the page table it names gets (or keeps) type L1.</summary>
    private int TakeL2Entry(uint entry)
    {
        if ((entry & Present) == 0)
        {
            return 0;
        }

        if ((entry & LargePage) != 0)
        {
            return -PvErrno.EINVAL; // no 4 MiB pages for PV guests (as Xen's 32-bit PV)
        }

        return GetType(entry >> 12, FrameType.L1);
    }

    private void DropL2Entry(uint entry)
    {
        if ((entry & Present) != 0 && (entry & LargePage) == 0 && entry >> 12 < Frames)
        {
            PutType(entry >> 12);
        }
    }

    /// <summary>Takes the references an entry of a table of <paramref name="level"/> holds: 0 or -errno.</summary>
    private int TakeEntry(FrameType level, uint entry) => level == FrameType.L1 ? TakeL1Entry(entry) : TakeL2Entry(entry);

    private void DropEntry(FrameType level, uint entry)
    {
        if (level == FrameType.L1)
        {
            DropL1Entry(entry);
        }
        else
        {
            DropL2Entry(entry);
        }
    }

    /// <summary>Takes one type reference on <paramref name="frame"/> as <paramref name="type"/>, validating the table on its first.</summary>
    public int GetType(uint frame, FrameType type)
    {
        if (frame >= Frames)
        {
            return -PvErrno.EINVAL;
        }

        if (_typeCount[frame] > 0)
        {
            if (_type[frame] != type)
            {
                return -PvErrno.EINVAL; // already a table of the other level
            }

            _typeCount[frame]++;
            return 0;
        }

        if (_writable[frame] > 0)
        {
            return -PvErrno.EINVAL; // still mapped writable somewhere: it cannot become a table
        }

        // Type first, so an entry of the table that maps the table itself writable is refused.
        _type[frame] = type;
        _typeCount[frame] = 1;
        uint table = frame << 12;
        for (uint i = 0; i < 1024; i++)
        {
            int result = TakeEntry(type, _memory.Read32(table + i * 4));
            if (result != 0)
            {
                for (uint j = 0; j < i; j++)
                {
                    DropEntry(type, _memory.Read32(table + j * 4));
                }

                _type[frame] = FrameType.None;
                _typeCount[frame] = 0;
                return result;
            }
        }

        return 0;
    }

    /// <summary>Drops one type reference; the last one releases every reference the table's entries held.</summary>
    public void PutType(uint frame)
    {
        if (--_typeCount[frame] > 0)
        {
            return;
        }

        FrameType type = _type[frame];
        _type[frame] = FrameType.None;
        uint table = frame << 12;
        for (uint i = 0; i < 1024; i++)
        {
            DropEntry(type, _memory.Read32(table + i * 4));
        }
    }

    // ---- the operations of mmu_update and mmuext_op -----------------------------------------------------------------

    /// <summary>MMU_NORMAL_PT_UPDATE: writes <paramref name="value"/> to the entry at guest-physical <paramref name="entryAddress"/>.</summary>
    public int UpdateEntry(uint entryAddress, uint value)
    {
        uint frame = entryAddress >> 12;
        if (frame >= Frames || (entryAddress & 3) != 0 || _typeCount[frame] == 0)
        {
            return -PvErrno.EINVAL; // not an entry of a page table the VMM knows
        }

        FrameType type = _type[frame];
        uint old = _memory.Read32(entryAddress);
        int result = TakeEntry(type, value);
        if (result != 0)
        {
            return result;
        }

        _memory.Write32(entryAddress, value);
        DropEntry(type, old);
        return 0;
    }

    public int Pin(uint frame, FrameType type)
    {
        if (frame >= Frames)
        {
            return -PvErrno.EINVAL;
        }

        if (_pinned[frame])
        {
            return -PvErrno.EINVAL; // Xen: already pinned
        }

        int result = GetType(frame, type);
        if (result == 0)
        {
            _pinned[frame] = true;
        }

        return result;
    }

    public int Unpin(uint frame)
    {
        if (frame >= Frames || !_pinned[frame])
        {
            return -PvErrno.EINVAL;
        }

        _pinned[frame] = false;
        PutType(frame);
        return 0;
    }

    /// <summary>MMUEXT_NEW_BASEPTR: the directory becomes the processor's (validated as L2 if it is not one yet).</summary>
    public int NewBase(uint frame)
    {
        int result = GetType(frame, FrameType.L2);
        if (result != 0)
        {
            return result;
        }

        uint old = BaseFrame;
        BaseFrame = frame;
        if (old != 0)
        {
            PutType(old);
        }

        return 0;
    }

    /// <summary>The guest-physical address of the page-table entry that maps <paramref name="linear"/>, or null when no page table is there.</summary>
    public uint? EntryAddressOf(uint linear)
    {
        uint directoryEntry = DirectoryEntry(linear);
        if ((directoryEntry & Present) == 0)
        {
            return null;
        }

        return (directoryEntry & FrameMask) + ((linear >> 12) & 0x3FF) * 4;
    }

    /// <summary>
    /// The guest-physical address <paramref name="linear"/> maps to for the guest kernel (supervisor, CR0.WP set), or
    /// null when it is not mapped (or not writable, for a write). Both levels are the guest's validated tables.
    /// </summary>
    public uint? Translate(uint linear, bool write)
    {
        uint directoryEntry = DirectoryEntry(linear);
        if ((directoryEntry & Present) == 0 || (write && (directoryEntry & Writable) == 0))
        {
            return null;
        }

        uint entry = _memory.Read32((directoryEntry & FrameMask) + ((linear >> 12) & 0x3FF) * 4);
        if ((entry & Present) == 0 || (write && (entry & Writable) == 0))
        {
            return null;
        }

        return (entry & FrameMask) | (linear & 0xFFF);
    }

    private uint DirectoryEntry(uint linear) => _memory.Read32((BaseFrame << 12) + (linear >> 22) * 4);

    /// <summary>Adopts the boot tables the domain builder wrote: types, counts and pins as if the guest had pinned them.</summary>
    public void AdoptBootTables(uint directoryFrame, uint tableFrames)
    {
        for (uint t = 0; t < tableFrames; t++)
        {
            int l1 = Pin(directoryFrame + 1 + t, FrameType.L1);
            if (l1 != 0)
            {
                throw new InvalidOperationException($"boot page table {t} failed its own validation ({l1})");
            }
        }

        if (Pin(directoryFrame, FrameType.L2) != 0 || NewBase(directoryFrame) != 0)
        {
            throw new InvalidOperationException("the boot page directory failed its own validation");
        }
    }
}
