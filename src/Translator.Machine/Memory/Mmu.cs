using System.Runtime.CompilerServices;
using Translator.Machine.Cpu;

namespace Translator.Machine.Memory;

/// <summary>
/// Linear-to-physical translation: two-level IA-32 paging (4 KiB pages, 4 MiB pages with CR4.PSE), U/S and R/W
/// checks with CR0.WP, accessed/dirty bits, and a direct-mapped software TLB. Like a hardware TLB, an entry stays
/// until INVLPG, a CR3 load or a paging-mode change flushes it, so a guest that edits a PTE without INVLPG keeps
/// seeing the old mapping. Entries are kept apart for supervisor and user accesses and for reads and writes, so
/// the fast path is one compare; a write entry exists only once the dirty bit is set, as hardware's.
/// </summary>
public sealed unsafe partial class Mmu
{
    private const int TlbSize = 1024;
    private const uint Invalid = 0xFFFF_FFFF;

    private const uint PtePresent = 1, PteWritable = 2, PteUser = 4, PteAccessed = 0x20, PteDirty = 0x40, PdeLargePage = 0x80;

    private readonly PhysicalMemory _memory;
    private readonly byte* _ram;
    private readonly uint _ramSize;
    private readonly GuestFault _fault;

    /// <summary>
    /// One TLB slot (32 bytes): read and write tags (linear page addresses, Invalid when empty: a tag compared with an
    /// address masked to its page and low alignment bits catches a miss and a misaligned access at once), their physical pages,
    /// and for translated code the host address of each page minus its linear base (host = addend + linear).
    /// </summary>
    private struct TlbEntry
    {
        public uint ReadTag;
        public uint WriteTag;
        public uint ReadPage;
        public uint WritePage;
        public nint ReadHost;
        public nint WriteHost;
    }

    // Two sets of TlbSize entries in unmanaged memory (no bounds checks on the hot path): [0] supervisor, [1] user.
    private readonly TlbEntry* _tlb;
    private TlbEntry* _current;

    /// <summary>One byte per physical page: nonzero while decoded code from that page is cached.</summary>
    private readonly byte[] _codePages;

    internal MmuState State;

    /// <summary>
    /// VMX non-root mode with EPT: guest-physical addresses (the guest's page-table entries and the result of its
    /// walk) go through this map on a TLB miss; the TLB then caches the host address, so hits cost the same.
    /// </summary>
    internal VmxExtendedPageTable? Ept;

    /// <summary>
    /// While a VMM emulates one guest instruction that touched a device page, that linear page translates to the
    /// device's physical page without a walk (the VMM already checked the guest's own translation and rights).
    /// Invalid otherwise. Looked at only on a TLB miss, and device pages never enter the TLB.
    /// </summary>
    private uint _deviceWindowLinear = Invalid, _deviceWindowPhysical;

    /// <summary>
    /// The one further device page the same instruction may reach (an access straddling two device pages, a string
    /// instruction crossing from one to the next), opened on its first miss when <see cref="_secondWindow"/> finds
    /// the guest's translation allows it; <see cref="_secondWindowWritable"/> once a write was allowed. Never a third:
    /// the VMM's work per instruction stays bounded.
    /// </summary>
    private uint _secondWindowLinear = Invalid, _secondWindowPhysical;
    private bool _secondWindowWritable;
    private SecondDeviceWindow? _secondWindow;

    /// <summary>
    /// Opens the device window (see <see cref="_deviceWindowLinear"/>) for the page of <paramref name="linear"/>;
    /// <paramref name="second"/>, when given, may open one more for another device page.
    /// </summary>
    public void OpenDeviceWindow(uint linear, uint physical, SecondDeviceWindow? second = null)
    {
        _deviceWindowLinear = linear & 0xFFFF_F000;
        _deviceWindowPhysical = physical & 0xFFFF_F000;
        _secondWindow = second;
        _secondWindowLinear = Invalid;
    }

    public void CloseDeviceWindow()
    {
        _deviceWindowLinear = Invalid;
        _secondWindowLinear = Invalid;
        _secondWindow = null;
    }

    /// <summary>The device windows' translation of <paramref name="la"/>, or false when neither covers it.</summary>
    private bool TryDeviceWindow(uint la, bool write, bool user, out uint physical)
    {
        uint page = la & 0xFFFF_F000;
        if (page == _deviceWindowLinear)
        {
            physical = _deviceWindowPhysical | (la & 0xFFF);
            return true;
        }

        bool covered = page == _secondWindowLinear && (_secondWindowWritable || !write);
        if (!covered && (_secondWindowLinear == Invalid || page == _secondWindowLinear) && _secondWindow?.Invoke(la, write, user) is uint device)
        {
            _secondWindowLinear = page;
            _secondWindowPhysical = device & 0xFFFF_F000;
            _secondWindowWritable = write;
            covered = true;
        }

        physical = _secondWindowPhysical | (la & 0xFFF);
        return covered;
    }

    /// <summary>Called with the physical address and size of every guest write into a page that holds decoded code.</summary>
    internal Action<uint, int>? CodePageWritten;

    public Mmu(PhysicalMemory memory, GuestFault fault)
    {
        _memory = memory;
        _ram = (byte*)Unsafe.AsPointer(ref memory.Ram[0]);
        _ramSize = memory.Size;
        _fault = fault;
        _codePages = new byte[(memory.Size >> 12) + 1];
        _tlb = (TlbEntry*)System.Runtime.InteropServices.NativeMemory.AllocZeroed((nuint)(2 * TlbSize * sizeof(TlbEntry)));
        _current = _tlb;
        FlushAll();
    }

    ~Mmu() => System.Runtime.InteropServices.NativeMemory.Free(_tlb);

    private TlbEntry* Set(bool user) => user ? _tlb + TlbSize : _tlb;

    public PhysicalMemory Physical => _memory;

    /// <summary>Counts page walks (TLB misses) for statistics.</summary>
    public long PageWalks { get; private set; }

    internal struct MmuState
    {
        public bool Paging;
        public bool WriteProtect;
        public bool PageSizeExtensions;
        public uint Cr3;
        public bool User;
    }

    /// <summary>Switches between supervisor (CPL 0-2) and user (CPL 3) access checks.</summary>
    internal void SetUserMode(bool user)
    {
        State.User = user;
        _current = Set(user);
    }

    internal void SetPaging(bool paging, bool writeProtect, bool pse, uint cr3)
    {
        State.Paging = paging;
        State.WriteProtect = writeProtect;
        State.PageSizeExtensions = pse;
        State.Cr3 = cr3;
        FlushAll();
    }

    public void FlushAll()
    {
        for (int i = 0; i < 2 * TlbSize; i++)
        {
            _tlb[i].ReadTag = Invalid;
            _tlb[i].WriteTag = Invalid;
        }
    }

    public void FlushPage(uint linear)
    {
        uint page = linear >> 12;
        uint i = page & (TlbSize - 1);
        for (uint s = 0; s < 2; s++)
        {
            TlbEntry* e = _tlb + (s * TlbSize) + i;
            if (e->ReadTag == (page << 12)) e->ReadTag = Invalid;
            if (e->WriteTag == (page << 12)) e->WriteTag = Invalid;
        }
    }

    // ---- fast paths -------------------------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Read8(uint la)
    {
        uint page = la >> 12;
        TlbEntry* e = _current + (page & (TlbSize - 1));
        if (e->ReadTag == (page << 12))
        {
            return _ram[e->ReadPage | (la & 0xFFF)];
        }

        return ReadSlow8(la, State.User);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort Read16(uint la)
    {
        uint page = la >> 12;
        TlbEntry* e = _current + (page & (TlbSize - 1));
        if (e->ReadTag == (page << 12) && (la & 0xFFF) <= 0xFFE)
        {
            return Unsafe.ReadUnaligned<ushort>(_ram + (e->ReadPage | (la & 0xFFF)));
        }

        return (ushort)ReadSlow(la, 2, State.User);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Read32(uint la)
    {
        uint page = la >> 12;
        TlbEntry* e = _current + (page & (TlbSize - 1));
        if (e->ReadTag == (page << 12) && (la & 0xFFF) <= 0xFFC)
        {
            return Unsafe.ReadUnaligned<uint>(_ram + (e->ReadPage | (la & 0xFFF)));
        }

        return ReadSlow(la, 4, State.User);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write8(uint la, byte value)
    {
        uint page = la >> 12;
        TlbEntry* e = _current + (page & (TlbSize - 1));
        if (e->WriteTag == (page << 12))
        {
            _ram[e->WritePage | (la & 0xFFF)] = value;
            return;
        }

        WriteSlow(la, 1, value, State.User);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write16(uint la, ushort value)
    {
        uint page = la >> 12;
        TlbEntry* e = _current + (page & (TlbSize - 1));
        if (e->WriteTag == (page << 12) && (la & 0xFFF) <= 0xFFE)
        {
            Unsafe.WriteUnaligned(_ram + (e->WritePage | (la & 0xFFF)), value);
            return;
        }

        WriteSlow(la, 2, value, State.User);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write32(uint la, uint value)
    {
        uint page = la >> 12;
        TlbEntry* e = _current + (page & (TlbSize - 1));
        if (e->WriteTag == (page << 12) && (la & 0xFFF) <= 0xFFC)
        {
            Unsafe.WriteUnaligned(_ram + (e->WritePage | (la & 0xFFF)), value);
            return;
        }

        WriteSlow(la, 4, value, State.User);
    }

    /// <summary>Checks that a write of <paramref name="size"/> bytes at <paramref name="la"/> would succeed (for instructions that must fault before changing anything).</summary>
    public void ProbeWrite(uint la, int size, bool user)
    {
        Translate(la, write: true, user);
        uint last = la + (uint)size - 1;
        if ((last >> 12) != (la >> 12))
        {
            Translate(last, write: true, user);
        }
    }

    // ---- supervisor-privileged accesses (descriptor tables, TSS, interrupt frames to ring 0) ---------------------

    public uint ReadSupervisor32(uint la) => ReadSlow(la, 4, user: false);

    public ushort ReadSupervisor16(uint la) => (ushort)ReadSlow(la, 2, user: false);

    public void WriteSupervisor32(uint la, uint value) => WriteSlow(la, 4, value, user: false);

    /// <summary>Writes with explicit privilege (stack pushes to an inner ring use the new privilege).</summary>
    public void Write32As(uint la, uint value, bool user) => WriteSlow(la, 4, value, user);

    // ---- slow paths -------------------------------------------------------------------------------------------

    private byte ReadSlow8(uint la, bool user)
    {
        if (_watched != 0)
        {
            RecordWatchedAccess(la, 1, write: false);
        }

        uint pa = Translate(la, write: false, user);
        return _memory.Read8(pa);
    }

    private uint ReadSlow(uint la, int size, bool user)
    {
        if (_watched != 0)
        {
            RecordWatchedAccess(la, size, write: false);
        }

        if (((la & 0xFFF) + (uint)size) > 0x1000)
        {
            // Split across pages: both translations must succeed before the value is assembled.
            uint pa0 = Translate(la, write: false, user);
            uint la1 = (la | 0xFFF) + 1;
            uint pa1 = Translate(la1, write: false, user);
            uint value = 0;
            for (int b = 0; b < size; b++)
            {
                uint a = la + (uint)b;
                uint pa = a < la1 ? pa0 + (uint)b : pa1 + (a - la1);
                value |= (uint)_memory.Read8(pa) << (8 * b);
            }

            return value;
        }

        uint phys = Translate(la, write: false, user);
        return size switch
        {
            1 => _memory.Read8(phys),
            2 => _memory.Read16(phys),
            _ => _memory.Read32(phys),
        };
    }

    private void WriteSlow(uint la, int size, uint value, bool user)
    {
        if (_watched != 0)
        {
            RecordWatchedAccess(la, size, write: true);
        }

        if (((la & 0xFFF) + (uint)size) > 0x1000)
        {
            uint pa0 = Translate(la, write: true, user);
            uint la1 = (la | 0xFFF) + 1;
            uint pa1 = Translate(la1, write: true, user);
            for (int b = 0; b < size; b++)
            {
                uint a = la + (uint)b;
                uint pa = a < la1 ? pa0 + (uint)b : pa1 + (a - la1);
                WritePhysical8(pa, (byte)(value >> (8 * b)));
            }

            return;
        }

        uint phys = Translate(la, write: true, user);
        NotifyCodeWrite(phys, size);
        switch (size)
        {
            case 1: _memory.Write8(phys, (byte)value); break;
            case 2: _memory.Write16(phys, (ushort)value); break;
            default: _memory.Write32(phys, value); break;
        }
    }

    private void WritePhysical8(uint pa, byte value)
    {
        NotifyCodeWrite(pa, 1);
        _memory.Write8(pa, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NotifyCodeWrite(uint pa, int size)
    {
        uint pfn = pa >> 12;
        if (pfn < (uint)_codePages.Length && _codePages[pfn] != 0)
        {
            CodePageWritten?.Invoke(pa, size);
        }
    }

    /// <summary>The page no longer holds decoded code: writes may use the fast path again.</summary>
    internal void UnmarkCodePage(uint physical)
    {
        uint pfn = physical >> 12;
        if (pfn < (uint)_codePages.Length)
        {
            _codePages[pfn] = 0;
        }
    }

    /// <summary>Marks a physical page as holding decoded code: writes to it now take the slow path and invalidate.</summary>
    internal void MarkCodePage(uint physical)
    {
        uint pfn = physical >> 12;
        if (pfn >= (uint)_codePages.Length || _codePages[pfn] != 0)
        {
            return;
        }

        _codePages[pfn] = 1;
        uint pageBase = pfn << 12;
        for (int i = 0; i < 2 * TlbSize; i++)
        {
            if (_tlb[i].WriteTag != Invalid && _tlb[i].WritePage == pageBase)
            {
                _tlb[i].WriteTag = Invalid;
            }
        }
    }

    internal bool IsCodePage(uint physical) => (physical >> 12) < (uint)_codePages.Length && _codePages[physical >> 12] != 0;

    /// <summary>
    /// Translates a linear address for an access, raising #PF (with CR2 and the error code) when the walk or the
    /// permission check fails, setting accessed/dirty bits, and filling the TLB on success.
    /// </summary>
    public uint Translate(uint la, bool write, bool user)
    {
        uint page = la >> 12;
        TlbEntry* e = Set(user) + (page & (TlbSize - 1));
        if (write ? e->WriteTag == (page << 12) : e->ReadTag == (page << 12))
        {
            return (write ? e->WritePage : e->ReadPage) | (la & 0xFFF);
        }

        if (_deviceWindowLinear != Invalid && TryDeviceWindow(la, write, user, out uint windowed))
        {
            return windowed;
        }

        uint pageBase;
        bool writable;
        if (!State.Paging)
        {
            pageBase = la & 0xFFFF_F000;
            writable = true;
        }
        else
        {
            PageWalks++;
            pageBase = Walk(la, write, user, out writable);
        }

        if (Ept is { } ept)
        {
            pageBase = ept.Translate(pageBase | (la & 0xFFF), la, write, finalTranslation: true) & 0xFFFF_F000;
        }

        // Only RAM is mapped in the TLB: unbacked addresses always take the slow path (reads zeros, writes dropped),
        // and so do pages a data breakpoint watches.
        if (pageBase < _ramSize && (_watched == 0 || !IsWatchedPage(la)))
        {
            if (!write)
            {
                e->ReadTag = page << 12;
                e->ReadPage = pageBase;
                e->ReadHost = (nint)(_ram + pageBase) - (nint)(la & 0xFFFF_F000);
            }

            if ((write || writable) && !IsCodePage(pageBase))
            {
                // A read fill installs the write entry only when the dirty bit is already set (Walk reports that
                // through 'writable'), so a later first write still walks and sets D.
                e->WriteTag = page << 12;
                e->WritePage = pageBase;
                e->WriteHost = (nint)(_ram + pageBase) - (nint)(la & 0xFFFF_F000);
            }
        }

        return pageBase | (la & 0xFFF);
    }

    /// <summary>
    /// Where a fetch at <paramref name="la"/> would read under the current mappings, found without side effects (no
    /// fault, exit, accessed bit or TLB fill), or null when the fetch would fault or not reach RAM. The code cache
    /// uses it to check the second page of translated code that spans two: never for the guest's own accesses.
    /// </summary>
    internal uint? PeekFetch(uint la, bool user)
    {
        uint page = la >> 12;
        TlbEntry* e = Set(user) + (page & (TlbSize - 1));
        if (e->ReadTag == (page << 12))
        {
            return e->ReadPage | (la & 0xFFF);
        }

        if (_deviceWindowLinear != Invalid && (la & 0xFFFF_F000) == _deviceWindowLinear)
        {
            return null;
        }

        uint pageBase = la & 0xFFFF_F000;
        if (State.Paging)
        {
            if (PeekEntry(DirectoryEntryAddress(la), user) is not uint pde)
            {
                return null;
            }

            if (IsLargePage(pde))
            {
                pageBase = LargePageBase(pde, la);
            }
            else if (PeekEntry(TableEntryAddress(pde, la), user) is uint pte)
            {
                pageBase = pte & 0xFFFF_F000;
            }
            else
            {
                return null;
            }
        }

        if (Ept is { } ept)
        {
            if (ept.PeekReadable(pageBase) is not uint host)
            {
                return null;
            }

            pageBase = host & 0xFFFF_F000;
        }

        return pageBase < _ramSize ? pageBase | (la & 0xFFF) : null;
    }

    /// <summary>A present paging-structure entry that lets <paramref name="user"/> through, read from RAM only; else null.</summary>
    private uint? PeekEntry(uint address, bool user)
    {
        if (Ept is { } ept)
        {
            if (ept.PeekReadable(address) is not uint host)
            {
                return null;
            }

            address = host;
        }

        if (!_memory.IsBacked(address, 4))
        {
            return null;
        }

        uint entry = _memory.Read32(address);
        return (entry & PtePresent) != 0 && (!user || (entry & PteUser) != 0) ? entry : null;
    }

    private uint DirectoryEntryAddress(uint la) => (State.Cr3 & 0xFFFF_F000) | ((la >> 22) << 2);

    private static uint TableEntryAddress(uint pde, uint la) => (pde & 0xFFFF_F000) | (((la >> 12) & 0x3FF) << 2);

    private bool IsLargePage(uint pde) => (pde & PdeLargePage) != 0 && State.PageSizeExtensions;

    private static uint LargePageBase(uint pde, uint la) => (pde & 0xFFC0_0000) | (la & 0x003F_F000);

    private uint Walk(uint la, bool write, bool user, out bool writableAndDirty)
    {
        uint pdeAddress = DirectoryEntryAddress(la);
        if (Ept is { } ept)
        {
            // Under EPT the guest's tables live in guest-physical memory too (a two-dimensional walk).
            pdeAddress = ept.Translate(pdeAddress, la, write: false, finalTranslation: false);
        }

        uint pde = _memory.Read32(pdeAddress);
        if ((pde & PtePresent) == 0)
        {
            throw PageFault(la, write, user, present: false);
        }

        if (IsLargePage(pde))
        {
            CheckAccess(pde, la, write, user);
            uint updated = pde | PteAccessed | (write ? PteDirty : 0);
            if (updated != pde)
            {
                _memory.Write32(pdeAddress, updated);
            }

            writableAndDirty = IsWritableFor(pde, user) && (updated & PteDirty) != 0;
            return LargePageBase(pde, la);
        }

        uint pteAddress = TableEntryAddress(pde, la);
        if (Ept is { } ept2)
        {
            pteAddress = ept2.Translate(pteAddress, la, write: false, finalTranslation: false);
        }

        uint pte = _memory.Read32(pteAddress);
        if ((pte & PtePresent) == 0)
        {
            throw PageFault(la, write, user, present: false);
        }

        uint combined = pte & pde; // U/S and R/W: the stricter of the two levels wins
        CheckAccess(combined, la, write, user);
        if ((pde & PteAccessed) == 0)
        {
            _memory.Write32(pdeAddress, pde | PteAccessed);
        }

        uint newPte = pte | PteAccessed | (write ? PteDirty : 0);
        if (newPte != pte)
        {
            _memory.Write32(pteAddress, newPte);
        }

        writableAndDirty = IsWritableFor(combined, user) && (newPte & PteDirty) != 0;
        return pte & 0xFFFF_F000;
    }

    private bool IsWritableFor(uint entry, bool user) =>
        (entry & PteWritable) != 0 || (!user && !State.WriteProtect);

    private void CheckAccess(uint entry, uint la, bool write, bool user)
    {
        if (user && (entry & PteUser) == 0)
        {
            throw PageFault(la, write, user, present: true);
        }

        if (write && (entry & PteWritable) == 0 && (user || State.WriteProtect))
        {
            throw PageFault(la, write, user, present: true);
        }
    }

    /// <summary>Set by the CPU: where CR2 lives.</summary>
    internal Action<uint>? SetCr2;

    private GuestFault PageFault(uint la, bool write, bool user, bool present)
    {
        uint error = (present ? 1u : 0) | (write ? 2u : 0) | (user ? 4u : 0);
        _fault.Set(ExceptionVector.PageFault, hasErrorCode: true, error);
        SetCr2?.Invoke(la); // after Set: in VMX non-root mode whether CR2 changes depends on the error code
        return _fault;
    }

    /// <summary>
    /// A store by the VMM into host-physical memory on the guest's behalf (emulated string I/O, accessed and dirty
    /// bits it sets in guest page tables): decoded code in that page is invalidated as for a guest store.
    /// </summary>
    public void WritePhysical(uint physical, int size, uint value)
    {
        for (int b = 0; b < size; b++)
        {
            WritePhysical8(physical + (uint)b, (byte)(value >> (8 * b)));
        }
    }
}

/// <summary>
/// A VMM's answer, while it emulates one instruction against a device page, for another linear page the instruction
/// reaches: the device's guest-physical address when the guest's own translation allows the access and lands on a
/// device page (accessed and dirty bits set as the access would), otherwise null (the normal walk decides).
/// </summary>
public delegate uint? SecondDeviceWindow(uint linear, bool write, bool user);
