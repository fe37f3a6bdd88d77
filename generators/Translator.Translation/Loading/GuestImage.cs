using System;
using System.Collections.Generic;
using Translator.Paravirt.Abi;

namespace Translator.Translation.Loading;

/// <summary>
/// One range of loaded guest bytes: where the code runs (<see cref="Linear"/>, the ELF p_vaddr, which a higher-half
/// kernel links above 3 GiB) and where the loader puts it (<see cref="Physical"/>, p_paddr, as QEMU loads it).
/// </summary>
internal sealed class LoadedRange
{
    public LoadedRange(uint linear, uint physical, byte[] bytes)
    {
        Linear = linear;
        Physical = physical;
        Bytes = bytes;
    }

    public uint Linear { get; }

    public uint Physical { get; }

    public byte[] Bytes { get; }

    public bool Contains(uint linear) => linear - Linear < (uint)Bytes.Length;
}

/// <summary>
/// A multiboot v1 image as the translator sees it: the bytes the loader places (file contents only; bss holds no
/// code), the entry point and the function symbols. Parsed here rather than by Translator.Machine's loader because
/// this project must run inside the compiler (netstandard2.0); the checks mirror that loader so an image it would
/// refuse is refused here with the same kind of message.
/// </summary>
internal sealed class GuestImage
{
    private const uint HeaderMagic = 0x1BADB002;
    private const uint FlagAoutKludge = 1u << 16;
    private const int HeaderSearchEnd = 8192 - 48;

    private GuestImage(List<LoadedRange> ranges, uint entry, List<uint> functions, bool paravirtual = false, uint hypercallPage = 0)
    {
        Ranges = ranges;
        Entry = entry;
        Functions = functions;
        IsParavirtual = paravirtual;
        HypercallPage = hypercallPage;
    }

    /// <summary>A PV image (Translator.Paravirt.Abi.PvImageHeader at offset 0): its kernel runs in ring 1 and calls the VMM.</summary>
    public bool IsParavirtual { get; }

    /// <summary>The PV image's hypercall page (filled by the VMM at load time, so never code of the file); 0: none.</summary>
    public uint HypercallPage { get; }

    /// <summary>Whether <paramref name="linear"/> lies in the hypercall page.</summary>
    public bool InHypercallPage(uint linear) => HypercallPage != 0 && linear - HypercallPage < 4096;

    public IReadOnlyList<LoadedRange> Ranges { get; }

    public uint Entry { get; }

    /// <summary>STT_FUNC symbol addresses (ELF only).</summary>
    public IReadOnlyList<uint> Functions { get; }

    /// <summary>
    /// Where <paramref name="linear"/> is loaded. Code may run at the linked (virtual) address or, before the
    /// guest enables paging, at the physical one; both are accepted.
    /// </summary>
    public bool TryLocate(uint linear, out LoadedRange range, out int offset)
    {
        foreach (LoadedRange r in Ranges)
        {
            if (r.Contains(linear))
            {
                range = r;
                offset = (int)(linear - r.Linear);
                return true;
            }
        }

        range = null!;
        offset = 0;
        return false;
    }

    public static GuestImage Parse(byte[] image)
    {
        if (image is null || image.Length == 0)
        {
            throw Invalid("the image is empty");
        }

        if (image.Length >= 4 && U32(image, PvImageHeader.MagicOffset) == PvImageHeader.Magic)
        {
            return FromParavirtHeader(image);
        }

        int header = FindHeader(image, out uint flags);
        if ((flags & FlagAoutKludge) != 0)
        {
            return FromHeaderAddresses(image, header);
        }

        if (image.Length >= 4 && image[0] == 0x7F && image[1] == (byte)'E' && image[2] == (byte)'L' && image[3] == (byte)'F')
        {
            return FromElf(image);
        }

        throw Invalid("the image is not ELF and its multiboot header does not set flag bit 16 (load address fields)");
    }

    private static int FindHeader(byte[] image, out uint flags)
    {
        int limit = Math.Min(image.Length, 8192);
        for (int i = 0; i + 12 <= limit && i < HeaderSearchEnd; i += 4)
        {
            if (U32(image, i) == HeaderMagic && unchecked(HeaderMagic + U32(image, i + 4) + U32(image, i + 8)) == 0)
            {
                flags = U32(image, i + 4);
                return i;
            }
        }

        throw Invalid("no multiboot header (magic 0x1BADB002 with a valid checksum, 4-byte aligned) in the first 8192 bytes");
    }

    private static GuestImage FromHeaderAddresses(byte[] image, int i)
    {
        if (i + 32 > image.Length)
        {
            throw Invalid("the multiboot header is truncated: flag bit 16 needs its address fields, which run past the end of the file");
        }

        uint headerAddr = U32(image, i + 12), loadAddr = U32(image, i + 16), loadEndAddr = U32(image, i + 20), entry = U32(image, i + 28);
        if (headerAddr < loadAddr || headerAddr - loadAddr > (uint)i)
        {
            throw Invalid($"multiboot header_addr 0x{headerAddr:X8} does not lie within the file relative to load_addr 0x{loadAddr:X8}");
        }

        long textOffset = i - (long)(headerAddr - loadAddr);
        long size = loadEndAddr != 0 ? (long)loadEndAddr - loadAddr : image.Length - textOffset;
        if (size < 0 || textOffset + size > image.Length)
        {
            throw Invalid($"multiboot load_end_addr 0x{loadEndAddr:X8} lies outside the file");
        }

        var bytes = new byte[size];
        Array.Copy(image, textOffset, bytes, 0, size);
        return new GuestImage(new List<LoadedRange> { new LoadedRange(loadAddr, loadAddr, bytes) }, entry, new List<uint>());
    }

    /// <summary>A PV image: flat, its 48-byte header at offset 0 (the checks mirror the pv backend's loader).</summary>
    private static GuestImage FromParavirtHeader(byte[] image)
    {
        if (image.Length < PvImageHeader.Size)
        {
            throw Invalid($"the PV image header is truncated ({image.Length} of {PvImageHeader.Size} bytes)");
        }

        uint sum = 0;
        for (int k = 0; k < PvImageHeader.Size; k += 4)
        {
            sum = unchecked(sum + U32(image, k));
        }

        if (sum != 0)
        {
            throw Invalid("the PV image header's checksum is wrong (its twelve dwords must sum to 0)");
        }

        if (U32(image, PvImageHeader.HeaderSizeOffset) != PvImageHeader.Size || U32(image, PvImageHeader.AbiVersionOffset) != PvImageHeader.AbiVersion)
        {
            throw Invalid($"the PV image header is not ABI version {PvImageHeader.AbiVersion} with a {PvImageHeader.Size}-byte header");
        }

        uint load = U32(image, PvImageHeader.LoadAddressOffset), loadEnd = U32(image, PvImageHeader.LoadEndOffset);
        uint bssEnd = U32(image, PvImageHeader.BssEndOffset), entry = U32(image, PvImageHeader.EntryOffset);
        uint page = U32(image, PvImageHeader.HypercallPageOffset);
        if (load < 0x10_0000 || (load & 0xFFF) != 0 || loadEnd < load || (ulong)loadEnd - load > (ulong)image.Length || bssEnd < loadEnd)
        {
            throw Invalid($"the PV image's load range 0x{load:X8}..0x{loadEnd:X8} (bss to 0x{bssEnd:X8}) is not a page-aligned range at or above 1 MiB inside the file");
        }

        if (entry < load || entry >= loadEnd)
        {
            throw Invalid($"the PV image's entry 0x{entry:X8} is not in its loaded bytes 0x{load:X8}..0x{loadEnd:X8}");
        }

        if (page != 0 && ((page & 0xFFF) != 0 || page < load || page >= bssEnd))
        {
            throw Invalid($"the PV image's hypercall page 0x{page:X8} is not a page-aligned page of the image");
        }

        var bytes = new byte[loadEnd - load];
        Array.Copy(image, 0, bytes, 0, bytes.Length);
        return new GuestImage(new List<LoadedRange> { new LoadedRange(load, load, bytes) }, entry, new List<uint>(), paravirtual: true, hypercallPage: page);
    }

    private static GuestImage FromElf(byte[] image)
    {
        if (image.Length < 52)
        {
            throw Invalid($"the ELF header is truncated ({image.Length} of 52 bytes)");
        }

        if (image[4] != 1 || image[5] != 1 || U16(image, 16) != 2 || U16(image, 18) != 3)
        {
            throw Invalid("the ELF image is not a 32-bit little-endian i386 executable");
        }

        uint entry = U32(image, 24), phoff = U32(image, 28), shoff = U32(image, 32);
        int phentsize = U16(image, 42), phnum = U16(image, 44), shentsize = U16(image, 46), shnum = U16(image, 48);
        if (phnum == 0 || phentsize < 32 || (ulong)phoff + (ulong)phnum * (ulong)phentsize > (ulong)image.Length)
        {
            throw Invalid("the ELF program header table is missing or runs past the end of the file");
        }

        var ranges = new List<LoadedRange>();
        for (int k = 0; k < phnum; k++)
        {
            int p = (int)(phoff + (uint)(k * phentsize));
            if (U32(image, p) != 1)
            {
                continue;
            }

            uint offset = U32(image, p + 4), vaddr = U32(image, p + 8), paddr = U32(image, p + 12), filesz = U32(image, p + 16), memsz = U32(image, p + 20);
            if (filesz > memsz || (ulong)offset + filesz > (ulong)image.Length || (ulong)paddr + memsz > 0x1_0000_0000UL)
            {
                throw Invalid($"ELF segment {k} (offset 0x{offset:X}, 0x{filesz:X} bytes at 0x{paddr:X8}) lies outside the file or the address space");
            }

            if (filesz == 0)
            {
                continue;
            }

            var bytes = new byte[filesz];
            Array.Copy(image, offset, bytes, 0, filesz);
            ranges.Add(new LoadedRange(vaddr, paddr, bytes));
            if (vaddr != paddr)
            {
                // Before paging is on (a higher-half kernel's boot code), the same bytes execute at their physical address.
                ranges.Add(new LoadedRange(paddr, paddr, bytes));
            }
        }

        if (ranges.Count == 0)
        {
            throw Invalid("the ELF image has no loadable (PT_LOAD) segments with contents");
        }

        return new GuestImage(ranges, entry, ReadFunctionSymbols(image, shoff, shentsize, shnum));
    }

    /// <summary>STT_FUNC symbols of every SHT_SYMTAB section; a malformed table is ignored (symbols only guide discovery).</summary>
    private static List<uint> ReadFunctionSymbols(byte[] image, uint shoff, int shentsize, int shnum)
    {
        var functions = new List<uint>();
        if (shnum == 0 || shentsize < 40 || (ulong)shoff + (ulong)shnum * (ulong)shentsize > (ulong)image.Length)
        {
            return functions;
        }

        for (int s = 0; s < shnum; s++)
        {
            int h = (int)(shoff + (uint)(s * shentsize));
            if (U32(image, h + 4) != 2)
            {
                continue; // not SHT_SYMTAB
            }

            uint offset = U32(image, h + 16), size = U32(image, h + 20), entsize = U32(image, h + 36);
            if (entsize < 16 || (ulong)offset + size > (ulong)image.Length)
            {
                continue;
            }

            for (uint e = 0; e + 16 <= size; e += entsize)
            {
                int sym = (int)(offset + e);
                uint value = U32(image, sym + 4);
                byte info = image[sym + 12];
                ushort section = U16(image, sym + 14);
                if ((info & 0xF) == 2 && section != 0)
                {
                    functions.Add(value);
                }
            }
        }

        return functions;
    }

    private static ushort U16(byte[] b, int o) => (ushort)(b[o] | b[o + 1] << 8);

    private static uint U32(byte[] b, int o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);

    private static TranslationException Invalid(string reason) => new TranslationException("cannot translate the image: " + reason);
}
