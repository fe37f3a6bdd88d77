namespace Translator.Machine.Cpu;

/// <summary>
/// The extended page table: guest-physical to host-physical translation for the guest's whole 4 GiB physical
/// space at 4 KiB granularity, with read/write/execute permissions per page. Real EPT is a four-level radix tree
/// in host memory; this one is a flat array, because only the result of the walk is architecturally visible and
/// its cost is charged by the cost model (a TLB miss under EPT is a two-dimensional walk). The MMU consults it on
/// every TLB miss (for the guest's page-table entries as well as for the final translation) and caches the host
/// address in the TLB, so a TLB hit costs exactly what it costs without EPT. A missing or insufficient entry is
/// an EPT violation: a VM exit the VMM resolves by mapping the page.
/// <para>
/// Simplifications, because nothing here depends on them: the MMU does not tell instruction fetches from data
/// reads, so a fetch is checked against the read permission and reported as a read (qualification bit 2 is never
/// set); and setting accessed/dirty bits in the guest's own page-table entries is not checked for EPT write
/// permission (the VMM maps every page read/write/execute).
/// </para>
/// </summary>
public sealed class VmxExtendedPageTable
{
    public const uint Read = 1, Write = 2, Execute = 4, ReadWriteExecute = 7;

    private const int Pages = 1 << 20;

    // Per guest frame: host frame << 12 | permissions; 0 = not present.
    private readonly uint[] _entries = new uint[Pages];
    private Vmcs? _vmcs;
    private GuestFault? _fault;

    /// <summary>Entries currently present.</summary>
    public int MappedPages { get; private set; }

    /// <summary>Maps guest frame <paramref name="guestPhysical"/> to host frame <paramref name="hostPhysical"/> (both page-aligned).</summary>
    public void Map(uint guestPhysical, uint hostPhysical, uint permissions = ReadWriteExecute)
    {
        ref uint entry = ref _entries[guestPhysical >> 12];
        if (entry == 0 && permissions != 0)
        {
            MappedPages++;
        }
        else if (entry != 0 && permissions == 0)
        {
            MappedPages--;
        }

        entry = permissions == 0 ? 0 : (hostPhysical & 0xFFFF_F000) | (permissions & 7);
    }

    public void Unmap(uint guestPhysical) => Map(guestPhysical, 0, 0);

    /// <summary>The host-physical address <paramref name="guestPhysical"/> maps to, or null (a lookup without side effects).</summary>
    public uint? Lookup(uint guestPhysical)
    {
        uint entry = _entries[guestPhysical >> 12];
        return entry == 0 ? null : (entry & 0xFFFF_F000) | (guestPhysical & 0xFFF);
    }

    /// <summary>The host-physical address a read of <paramref name="guestPhysical"/> reaches, or null where it would exit (no side effects).</summary>
    internal uint? PeekReadable(uint guestPhysical)
    {
        uint entry = _entries[guestPhysical >> 12];
        return (entry & Read) != 0 ? (entry & 0xFFFF_F000) | (guestPhysical & 0xFFF) : null;
    }

    /// <summary>Connects the table to the CPU whose VMCS receives EPT-violation exits.</summary>
    internal void Attach(Vmcs vmcs, GuestFault fault)
    {
        _vmcs = vmcs;
        _fault = fault;
    }

    /// <summary>
    /// Translates a guest-physical address for an access by the MMU. <paramref name="finalTranslation"/> is false
    /// for the guest's own page-directory and page-table entries. A violation records the exit and throws.
    /// </summary>
    internal uint Translate(uint guestPhysical, uint linear, bool write, bool finalTranslation)
    {
        uint entry = _entries[guestPhysical >> 12];
        uint needed = write ? Write : Read;
        if ((entry & needed) != 0)
        {
            return (entry & 0xFFFF_F000) | (guestPhysical & 0xFFF);
        }

        throw Violation(guestPhysical, linear, write, finalTranslation, entry);
    }

    private GuestFault Violation(uint guestPhysical, uint linear, bool write, bool finalTranslation, uint entry)
    {
        Vmcs vmcs = _vmcs ?? throw new InvalidOperationException("the EPT is not attached to a CPU");
        uint qualification = (write ? ExitQualification.EptWrite : ExitQualification.EptRead)
            | ((entry & 7) << 3)
            | ExitQualification.EptLinearValid
            | (finalTranslation ? ExitQualification.EptFinalTranslation : 0);
        vmcs.BeginExit(VmExitReason.EptViolation, qualification, 0);
        vmcs.GuestPhysicalAddress = guestPhysical;
        vmcs.GuestLinearAddress = linear;

        // The fault object only unwinds the instruction; the pending exit tells the CPU not to deliver anything.
        return _fault!.Set(ExceptionVector.PageFault, hasErrorCode: false, 0);
    }
}
