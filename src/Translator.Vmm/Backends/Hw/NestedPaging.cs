using Translator.Machine.Cpu;

namespace Translator.Vmm.Backends.Hw;

/// <summary>
/// Nested paging (EPT): the guest owns CR0/CR3/CR4, walks its own page tables and takes its own page faults; the
/// VMM only maps guest-physical pages to host frames. The map starts empty and fills lazily: the first touch of a
/// guest frame is an EPT violation, which installs the memory slot's translation (or, for a guest-physical address
/// no RAM backs, a frame backed by nothing, so the guest gets what QEMU's PC gives: zeros, dropped writes).
/// </summary>
internal sealed class NestedPaging(Vmcs vmcs, GuestMemory guest)
{
    public VmxExtendedPageTable Table { get; } = new();

    public long Violations { get; private set; }

    public void Configure()
    {
        vmcs.Ept = Table;
        vmcs.Primary |= ProcessorControls.ActivateSecondaryControls;
        vmcs.Secondary |= SecondaryControls.EnableEpt | SecondaryControls.UnrestrictedGuest;
    }

    /// <summary>An EPT violation at <paramref name="guestPhysical"/>: maps its page (read, write, execute).</summary>
    public void Resolve(uint guestPhysical)
    {
        Violations++;
        Table.Map(guestPhysical & 0xFFFF_F000, guest.HostFrameOf(guestPhysical));
    }

    public GuestPaging Paging(X86Cpu cpu) => new((cpu.Cr0 & 0x8000_0000) != 0, (cpu.Cr0 & 0x1_0000) != 0, (cpu.Cr4 & 0x10) != 0, cpu.Cr3);
}
