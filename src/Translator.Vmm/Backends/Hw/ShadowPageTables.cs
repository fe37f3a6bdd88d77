using Translator.Machine.Cpu;
using Translator.Machine.Memory;

namespace Translator.Vmm.Backends.Hw;

/// <summary>
/// Shadow paging, the memory virtualization of first-generation VT-x (no EPT). The processor walks tables the VMM
/// owns: CR3 really points at a shadow page directory in VMM memory, whose entries map guest-linear pages straight
/// to host frames. The guest's own tables are only read by the VMM.
/// <para>
/// The shadow works as a large software TLB (the "virtual TLB" of early KVM and of VMware's first VT-x VMM): it
/// starts empty, every access it cannot translate raises a #PF that the exception bitmap turns into a VM exit, and
/// the VMM walks the guest tables. If the guest allows the access the fault was <em>hidden</em>: the VMM fills the
/// shadow entry (setting the guest's accessed/dirty bits as the hardware would) and resumes; otherwise it is a
/// <em>true</em> fault, reflected into the guest with the guest's error code and CR2. Like a hardware TLB the shadow
/// may keep a translation until the guest invalidates it, so it is dropped exactly where a TLB would be flushed:
/// INVLPG (which exits) drops one entry, a CR3 load or a paging-mode change (which exit) drops everything.
/// </para>
/// <para>
/// CR0.PG and CR0.WP are owned by the VMM (the real CR0 always has both: paging is how the shadow maps guest
/// memory, and WP makes supervisor writes honour read-only shadow entries so dirty bits can be tracked); CR4.PSE is
/// owned too (the shadow uses 4 KiB pages only). The guest reads its own values through the read shadows.
/// </para>
/// <para>
/// The deprivileging VMMs (<c>trap</c>, <c>bt</c>) use the same shadow without a VMCS: their guest kernel runs at
/// CPL 1, where every control-register access traps or is a callout, so all of CR0/CR3/CR4 are virtual and the
/// #PF reaches the VMM through the processor's event interception instead of the exception bitmap.
/// </para>
/// </summary>
internal sealed partial class ShadowPageTables
{
    private const uint Cr0Pg = 0x8000_0000, Cr0Wp = 0x1_0000, Cr4Pse = 0x10;
    private const uint Present = 1, Writable = 2, User = 4;

    private readonly X86Cpu _cpu;
    private readonly Vmcs? _vmcs;
    private readonly GuestMemory _guest;
    private readonly PhysicalMemory _host;
    private readonly uint _poolBase;
    private readonly uint _firstTable;
    private uint _directory;
    private readonly int _tableFrames;
    private int _tablesUsed;

    /// <param name="poolBase">Host-physical start of the VMM's frames for shadow tables (past guest RAM).</param>
    /// <param name="poolFrames">How many frames: the directories plus up to 1024 tables covers the whole 4 GiB.</param>
    /// <param name="tracedContexts">
    /// 0: a virtual TLB (one directory, dropped on every CR3 load); otherwise traced shadows, one directory per
    /// address space for up to this many (ShadowPageTables.Traces.cs).
    /// </param>
    public ShadowPageTables(X86Cpu cpu, Vmcs? vmcs, GuestMemory guest, PhysicalMemory host, uint poolBase, int poolFrames, int tracedContexts = 0)
    {
        _cpu = cpu;
        _vmcs = vmcs;
        _guest = guest;
        _host = host;
        _poolBase = poolBase;
        _directory = poolBase;
        int directories = Math.Max(1, tracedContexts);
        _firstTable = poolBase + ((uint)directories << 12);
        _tableFrames = poolFrames - directories;
        _contextCr3 = new uint[tracedContexts];
        _contextValid = new bool[tracedContexts];
    }

    public uint GuestCr0 { get; private set; }

    public uint GuestCr3 { get; private set; }

    public uint GuestCr4 { get; private set; }

    public long HiddenFaults { get; private set; }

    public long Fills { get; private set; }

    public long Flushes { get; private set; }

    public long InvlpgDrops { get; private set; }

    public GuestPaging Paging => new((GuestCr0 & Cr0Pg) != 0, (GuestCr0 & Cr0Wp) != 0, (GuestCr4 & Cr4Pse) != 0, GuestCr3);

    /// <summary>Takes over the guest's paging: its current CR0/CR3/CR4 become the shadowed values; the real ones point at the shadow.</summary>
    public void Configure()
    {
        GuestCr0 = _cpu.Cr0;
        GuestCr3 = _cpu.Cr3;
        GuestCr4 = _cpu.Cr4;
        if (_vmcs is null)
        {
            Flush();
            return;
        }

        _vmcs.Primary |= ProcessorControls.Cr3LoadExiting | ProcessorControls.Cr3StoreExiting | ProcessorControls.InvlpgExiting;
        _vmcs.Cr3TargetCount = 0;
        _vmcs.ExceptionBitmap |= 1u << (int)ExceptionVector.PageFault;
        _vmcs.PageFaultErrorCodeMask = 0;
        _vmcs.PageFaultErrorCodeMatch = 0;
        _vmcs.Cr0GuestHostMask = Cr0Pg | Cr0Wp;
        _vmcs.Cr4GuestHostMask = Cr4Pse;
        Flush();
    }

    /// <summary>
    /// A #PF exit at <paramref name="linear"/>: true when it was hidden and is now fixed (the instruction restarts);
    /// false when the guest's own tables forbid the access, with the error code the guest must see.
    /// </summary>
    public bool ResolveFault(uint linear, uint errorCode, out uint guestErrorCode) =>
        ResolveFault(linear, errorCode, out guestErrorCode, out _);

    /// <summary>
    /// As <see cref="ResolveFault(uint, uint, out uint)"/>; when the guest's tables allow the access but it lands on
    /// a device page, no shadow entry is made (every access must reach the VMM) and <paramref name="device"/> is its
    /// guest-physical address: the VMM emulates the instruction. <paramref name="guestErrorCode"/> is then the
    /// error code a true fault would have (a not-present fault), for callers that cannot emulate.
    /// </summary>
    public bool ResolveFault(uint linear, uint errorCode, out uint guestErrorCode, out uint? device)
    {
        bool write = (errorCode & 2) != 0, user = (errorCode & 4) != 0;
        GuestTranslation probe = GuestPageWalker.Walk(_guest, Paging, linear, write, user, update: false);
        device = null;
        if (probe.Faulted)
        {
            guestErrorCode = probe.FaultErrorCode;
            return false;
        }

        if (_guest.IsDevice(probe.GuestPhysical))
        {
            GuestPageWalker.Walk(_guest, Paging, linear, write, user, update: true); // A/D bits, as the access would
            device = probe.GuestPhysical;
            guestErrorCode = errorCode & 6;
            return false;
        }

        HiddenFaults++;
        if (Traced && write)
        {
            HitTrace(probe.GuestPhysical);
        }

        Fill(linear, write, user);
        guestErrorCode = 0;
        return true;
    }

    /// <summary>Walks the guest tables for real (setting A/D) and installs the shadow entry for <paramref name="linear"/>.</summary>
    private void Fill(uint linear, bool write, bool user)
    {
        GuestTranslation t = GuestPageWalker.Walk(_guest, Paging, linear, write, user, update: true);
        uint flags = Present;
        if (t.User)
        {
            flags |= User;
        }

        // Writable only once the guest's dirty bit is set, so the first write exits and sets it (as the MMU's TLB does).
        if (t.Writable && t.Dirty)
        {
            flags |= Writable;
        }
        else if (!t.Writable && write && !user && !Paging.WriteProtect)
        {
            // Guest CR0.WP = 0 lets the supervisor write a read-only page, but the real WP is 1: make the shadow entry
            // writable and supervisor-only, so a later user access exits and is re-filled with the guest's rights.
            flags = Present | Writable;
        }

        uint table = TableFor(linear);
        uint entry = table + (((linear >> 12) & 0x3FF) << 2);
        if (Traced && Paging.Enabled)
        {
            if (TraceWalk(linear, t.GuestPhysical))
            {
                flags &= ~Writable; // a traced page table: the guest's writes to it must reach the VMM
            }

            if ((flags & Writable) != 0)
            {
                RecordWritableMapping(t.GuestPhysical, entry, linear);
            }
        }

        _host.Write32(entry, _guest.HostFrameOf(t.GuestPhysical) | flags);
        Fills++;
        _cpu.Mmu.FlushPage(linear);
    }

    private uint TableFor(uint linear)
    {
        uint pdeAddress = _directory + ((linear >> 22) << 2);
        uint pde = _host.Read32(pdeAddress);
        if ((pde & Present) != 0)
        {
            return pde & 0xFFFF_F000;
        }

        if (_tablesUsed == _tableFrames)
        {
            Flush(); // cannot happen with a full-size pool (1024 tables cover 4 GiB), but stays correct if it were smaller
        }

        uint table = _firstTable + ((uint)_tablesUsed++ << 12);
        _host.Span(table, 4096).Clear();
        _host.Write32(pdeAddress, table | Present | Writable | User);
        return table;
    }

    /// <summary>MOV to CR3 exit: the guest switches address spaces; the shadow context is rebuilt lazily.</summary>
    public void WriteCr3(uint value)
    {
        GuestCr3 = value;
        GuestCr0 = GuestVisibleCr0;
        GuestCr4 = GuestVisibleCr4;
        if (Traced && Paging.Enabled)
        {
            SwitchContext(value);
            return;
        }

        Flush();
    }

    /// <summary>MOV to CR0 exit (a VMM-owned bit changed): a paging-mode change drops the shadow.</summary>
    public void WriteCr0(uint value)
    {
        GuestCr0 = value;
        Flush();
    }

    public void WriteCr4(uint value)
    {
        GuestCr4 = value;
        Flush();
    }

    /// <summary>INVLPG exit: drops the shadow translation of that page, as the instruction drops the TLB entry.</summary>
    public void Invalidate(uint linear)
    {
        InvlpgDrops++;
        if (Traced)
        {
            SyncUnsynced();
        }

        uint pde = _host.Read32(_directory + ((linear >> 22) << 2));
        if ((pde & Present) != 0)
        {
            _host.Write32((pde & 0xFFFF_F000) + (((linear >> 12) & 0x3FF) << 2), 0);
        }

        // A 4 MiB guest page is shadowed by 1024 small entries: INVLPG of any address in it invalidates all of them.
        uint guestPde = Paging.Enabled ? _guest.Read32((GuestCr3 & 0xFFFF_F000) | ((linear >> 22) << 2)) : 0;
        if ((guestPde & 0x81) == 0x81 && Paging.PageSizeExtensions && (pde & Present) != 0)
        {
            _host.Span(pde & 0xFFFF_F000, 4096).Clear();
            _cpu.InvalidateTranslations();
            return;
        }

        _cpu.InvalidateTranslations(linear);
    }

    /// <summary>
    /// Empties the shadow and reloads the real control registers (which flushes the processor's TLB). Bits the guest
    /// owns are taken from the real registers (the guest may have changed them without an exit), VMM-owned bits are
    /// forced; <see cref="GuestCr0"/> and <see cref="GuestCr4"/> are authoritative for VMM-owned bits only.
    /// </summary>
    private void Flush()
    {
        Flushes++;
        if (Traced)
        {
            ResetContexts();
        }
        else
        {
            _host.Span(_directory, 4096).Clear();
        }

        _tablesUsed = 0;
        if (_vmcs is not null)
        {
            _vmcs.Cr0ReadShadow = GuestCr0;
            _vmcs.Cr4ReadShadow = GuestCr4;
        }

        InstallRealRegisters();
    }

    /// <summary>The real CR0/CR3/CR4: the guest's, with paging and write protection on and CR3 at the current shadow directory.</summary>
    private void InstallRealRegisters() => _cpu.WriteGuestControlRegisters(GuestCr0 | Cr0Pg | Cr0Wp, _directory, GuestCr4 & ~Cr4Pse);

    /// <summary>The guest's CR0 as it reads it: guest-owned bits from the processor, VMM-owned ones from the shadow.</summary>
    public uint GuestVisibleCr0 => _vmcs is null ? GuestCr0 : (_cpu.Cr0 & ~_vmcs.Cr0GuestHostMask) | (GuestCr0 & _vmcs.Cr0GuestHostMask);

    public uint GuestVisibleCr4 => _vmcs is null ? GuestCr4 : (_cpu.Cr4 & ~_vmcs.Cr4GuestHostMask) | (GuestCr4 & _vmcs.Cr4GuestHostMask);
}
