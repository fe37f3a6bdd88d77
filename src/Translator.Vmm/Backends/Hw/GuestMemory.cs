using Translator.Machine.Devices;
using Translator.Machine.Memory;

namespace Translator.Vmm.Backends.Hw;

/// <summary>
/// The guest's physical memory as the VMM sees it: one memory slot, guest-physical [0, size) backed by host-physical
/// [0, size) (like a KVM memslot over the VMM process's RAM mapping). Guest-physical addresses past the slot are
/// backed by nothing: reads see zeros and writes vanish, as QEMU's PC treats unassigned memory. Host memory past the
/// slot holds the VMM's own structures (shadow page tables) and is never reachable from the guest. Guest-physical
/// pages <paramref name="devices"/> decodes (the APIC) are never mapped: every access to them is the VMM's to emulate.
/// </summary>
internal sealed class GuestMemory(PhysicalMemory host, Mmu mmu, uint size, MmioBus? devices = null)
{
    /// <summary>A host-physical frame no RAM backs: mappings of unbacked guest frames point here.</summary>
    public const uint UnbackedHostFrame = 0xFFFF_F000;

    public uint Size => size;

    /// <summary>
    /// The VMM's host memory: the guest's RAM, then <paramref name="vmmReserveMiB"/> for the VMM's own structures.
    /// Throws <see cref="ArgumentException"/> (bad input, not a crash) when the two do not fit the host's limit.
    /// </summary>
    public static PhysicalMemory AllocateHost(VmOptions options, int vmmReserveMiB, string backend)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MemoryMiB + vmmReserveMiB > PhysicalMemory.MaxMiB)
        {
            throw new ArgumentException(
                $"the {backend} backend needs {vmmReserveMiB} MiB of host memory beyond the guest's {options.MemoryMiB} MiB; at most {PhysicalMemory.MaxMiB - vmmReserveMiB} MiB of guest memory");
        }

        return new PhysicalMemory(options.MemoryMiB + vmmReserveMiB);
    }

    public bool IsBacked(uint guestPhysical) => guestPhysical < size;

    /// <summary>Whether <paramref name="guestPhysical"/> lies in a page one of the VMM's devices decodes (and no RAM backs).</summary>
    public bool IsDevice(uint guestPhysical) => !IsBacked(guestPhysical) && devices is not null && devices.ClaimsPage(guestPhysical);

    /// <summary>The host frame holding guest frame <paramref name="guestPhysical"/> (the memory slot's translation).</summary>
    public uint HostFrameOf(uint guestPhysical) => IsBacked(guestPhysical) ? guestPhysical & 0xFFFF_F000 : UnbackedHostFrame;

    public uint Read32(uint guestPhysical) => IsBacked(guestPhysical) && IsBacked(guestPhysical + 3) ? host.Read32(guestPhysical) : Read(guestPhysical, 4);

    /// <summary>
    /// A load on the guest's behalf: RAM, or a device page the VMM decodes (the whole access when the device takes
    /// it, as the processor's own access reaches it, else byte by byte), or zeros where nothing is.
    /// </summary>
    public uint Read(uint guestPhysical, int bytes)
    {
        if (!IsBacked(guestPhysical) && devices is not null && devices.TryRead(guestPhysical, bytes, out uint whole))
        {
            return whole;
        }

        uint value = 0;
        for (int b = 0; b < bytes; b++)
        {
            uint a = guestPhysical + (uint)b;
            uint data = IsBacked(a) ? host.Read8(a) : devices is not null && devices.TryRead(a, 1, out uint d) ? d : PhysicalMemory.Unassigned;
            value |= (data & 0xFF) << (8 * b);
        }

        return value;
    }

    /// <summary>
    /// A store on the guest's behalf: RAM (decoded code in the page is invalidated), or a device page as for
    /// <see cref="Read"/>; dropped where nothing is.
    /// </summary>
    public void Write(uint guestPhysical, int bytes, uint value)
    {
        if (!IsBacked(guestPhysical) && devices is not null && devices.TryWrite(guestPhysical, bytes, value))
        {
            return;
        }

        for (int b = 0; b < bytes; b++)
        {
            uint a = guestPhysical + (uint)b;
            if (IsBacked(a))
            {
                mmu.WritePhysical(a, 1, (byte)(value >> (8 * b)));
            }
            else
            {
                devices?.TryWrite(a, 1, (byte)(value >> (8 * b)));
            }
        }
    }
}

/// <summary>The guest's paging controls as the guest believes them to be (under shadow paging they are not the real ones).</summary>
internal readonly record struct GuestPaging(bool Enabled, bool WriteProtect, bool PageSizeExtensions, uint Cr3);

/// <summary>The outcome of a software walk of the guest's page tables.</summary>
internal readonly record struct GuestTranslation(bool Present, uint GuestPhysical, bool Writable, bool User, bool Dirty, uint FaultErrorCode)
{
    public bool Faulted => FaultErrorCode != NoFault;

    public const uint NoFault = 0xFFFF_FFFF;
}

/// <summary>
/// Walks the guest's two-level page tables in software, with the same rules the MMU applies in hardware (U/S and
/// R/W combined over both levels, CR0.WP for supervisor writes, 4 MiB pages under CR4.PSE, accessed and dirty
/// bits). The shadow-paging VMM uses it to tell hidden faults from true ones, and the exit handlers to reach guest
/// memory by linear address (string I/O).
/// </summary>
internal static class GuestPageWalker
{
    private const uint Present = 1, Writable = 2, User = 4, Accessed = 0x20, Dirty = 0x40, LargePage = 0x80;

    /// <summary>
    /// Translates <paramref name="linear"/> for an access. With <paramref name="update"/> the accessed (and, for a
    /// write, dirty) bits are set as the hardware walk would; without it nothing in guest memory changes.
    /// </summary>
    public static GuestTranslation Walk(GuestMemory memory, GuestPaging paging, uint linear, bool write, bool user, bool update)
    {
        if (!paging.Enabled)
        {
            return new GuestTranslation(true, linear, Writable: true, User: true, Dirty: true, GuestTranslation.NoFault);
        }

        uint accessBits = (write ? 2u : 0) | (user ? 4u : 0);
        uint pdeAddress = (paging.Cr3 & 0xFFFF_F000) | ((linear >> 22) << 2);
        uint pde = memory.Read32(pdeAddress);
        if ((pde & Present) == 0)
        {
            return Fault(accessBits);
        }

        if ((pde & LargePage) != 0 && paging.PageSizeExtensions)
        {
            if (!Allowed(pde, write, user, paging.WriteProtect))
            {
                return Fault(accessBits | 1);
            }

            uint updated = pde | Accessed | (write ? Dirty : 0);
            if (update && updated != pde)
            {
                memory.Write(pdeAddress, 4, updated);
            }

            return new GuestTranslation(true, (pde & 0xFFC0_0000) | (linear & 0x003F_FFFF),
                (pde & Writable) != 0, (pde & User) != 0, ((update ? updated : pde) & Dirty) != 0, GuestTranslation.NoFault);
        }

        uint pteAddress = (pde & 0xFFFF_F000) | (((linear >> 12) & 0x3FF) << 2);
        uint pte = memory.Read32(pteAddress);
        if ((pte & Present) == 0)
        {
            return Fault(accessBits);
        }

        uint combined = pte & pde;
        if (!Allowed(combined, write, user, paging.WriteProtect))
        {
            return Fault(accessBits | 1);
        }

        uint newPte = pte | Accessed | (write ? Dirty : 0);
        if (update)
        {
            if ((pde & Accessed) == 0)
            {
                memory.Write(pdeAddress, 4, pde | Accessed);
            }

            if (newPte != pte)
            {
                memory.Write(pteAddress, 4, newPte);
            }
        }

        return new GuestTranslation(true, (pte & 0xFFFF_F000) | (linear & 0xFFF),
            (combined & Writable) != 0, (combined & User) != 0, ((update ? newPte : pte) & Dirty) != 0, GuestTranslation.NoFault);
    }

    /// <summary>
    /// The device page <paramref name="linear"/> reaches, when the guest's tables allow the access and it lands on
    /// one (accessed and dirty bits then set as the access sets them); null otherwise, with nothing changed. The
    /// device emulator's second window (<see cref="Translator.Machine.Memory.SecondDeviceWindow"/>).
    /// </summary>
    public static uint? WalkToDevice(GuestMemory memory, GuestPaging paging, uint linear, bool write, bool user)
    {
        GuestTranslation probe = Walk(memory, paging, linear, write, user, update: false);
        if (probe.Faulted || !memory.IsDevice(probe.GuestPhysical))
        {
            return null;
        }

        Walk(memory, paging, linear, write, user, update: true);
        return probe.GuestPhysical;
    }

    private static bool Allowed(uint entry, bool write, bool user, bool writeProtect) =>
        !(user && (entry & User) == 0) && !(write && (entry & Writable) == 0 && (user || writeProtect));

    private static GuestTranslation Fault(uint errorCode) => new(false, 0, false, false, false, errorCode);
}
