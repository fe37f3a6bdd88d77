namespace Translator.Guest;

/// <summary>
/// Two-level IA-32 paging: a page directory of 1024 entries, each a 4 MiB page or a page table of 1024 4 KiB pages.
/// Directories and tables are page-aligned <c>uint[1024]</c> arrays, or 4 KiB slices of a larger aligned array.
/// </summary>
[GuestCode]
internal static class Paging
{
    public const uint Present = 0x001;
    public const uint Writable = 0x002;
    public const uint User = 0x004;
    public const uint Accessed = 0x020;
    public const uint Dirty = 0x040;
    public const uint LargePage = 0x080;
    public const uint PageSize = 4096;
    public const uint LargePageSize = 4 * 1024 * 1024;

    private const uint EnablePaging = 0x80000000;
    private const uint EnableWriteProtect = 0x00010000;
    private const uint EnableLargePages = 0x10;

    /// <summary>Maps the 4 MiB page holding <paramref name="linear"/> to the one holding <paramref name="physical"/>.</summary>
    public static void MapLarge(uint directory, uint linear, uint physical, uint flags)
    {
        Memory.Write32(directory + (linear >> 22) * 4, (physical & 0xFFC00000) | flags | LargePage | Present);
        if (KernelImage.IsParavirtual)
        {
            Paravirt.DirectoryEntryWritten(directory, linear >> 22);
        }
    }

    /// <summary>Points the directory entry for <paramref name="linear"/> at a page table.</summary>
    public static void SetTable(uint directory, uint linear, uint table, uint flags)
    {
        Memory.Write32(directory + (linear >> 22) * 4, (table & 0xFFFFF000) | flags | Present);
        if (KernelImage.IsParavirtual)
        {
            Paravirt.DirectoryEntryWritten(directory, linear >> 22);
        }
    }

    /// <summary>Maps one 4 KiB page in a page table (the table covering <paramref name="linear"/>).</summary>
    public static void Map(uint table, uint linear, uint physical, uint flags)
    {
        Memory.Write32(table + ((linear >> 12) & 0x3FF) * 4, (physical & 0xFFFFF000) | flags | Present);
        if (KernelImage.IsParavirtual)
        {
            Paravirt.TableEntryWritten(table, (linear >> 12) & 0x3FF); // one mmu_update, as a Xen guest's set_pte
        }
    }

    /// <summary>Removes one 4 KiB mapping and flushes it from the TLB.</summary>
    public static void Unmap(uint table, uint linear)
    {
        Memory.Write32(table + ((linear >> 12) & 0x3FF) * 4, 0);
        Cpu.InvalidatePage(linear);
    }

    /// <summary>The page table entry for <paramref name="linear"/> (its accessed and dirty bits are the CPU's).</summary>
    public static uint Entry(uint table, uint linear) => Memory.Read32(table + ((linear >> 12) & 0x3FF) * 4);

    /// <summary>Identity-maps the first <paramref name="megabytes"/> MiB (rounded up to 4 MiB) with large pages.</summary>
    public static void IdentityMap(uint directory, uint megabytes, uint flags)
    {
        for (uint linear = 0; linear < megabytes * 1024 * 1024; linear += LargePageSize)
        {
            MapLarge(directory, linear, linear, flags);
        }
    }

    /// <summary>Loads CR3 and turns on large pages, write protection at ring 0 and paging.</summary>
    public static void Enable(uint directory)
    {
        Cpu.WriteCr4(Cpu.ReadCr4() | EnableLargePages);
        Cpu.WriteCr3(directory);
        Cpu.WriteCr0(Cpu.ReadCr0() | EnablePaging | EnableWriteProtect);
    }
}
