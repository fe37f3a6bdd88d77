using System.Buffers.Binary;
using Translator.Machine.Loader;
using Translator.Paravirt.Abi;

namespace Translator.Vmm.Backends.Pv;

/// <summary>
/// A PV image (docs/paravirt-abi.md, "The PV image"): a flat image that starts with the 48-byte PV header instead of
/// a multiboot header, so only the pv backend loads it (and QEMU refuses it).
/// </summary>
public sealed class ParavirtImage
{
    private ParavirtImage(uint load, uint loadEnd, uint bssEnd, uint entry, uint hypercallPage)
    {
        LoadAddress = load;
        LoadEnd = loadEnd;
        BssEnd = bssEnd;
        Entry = entry;
        HypercallPage = hypercallPage;
    }

    public uint LoadAddress { get; }

    public uint LoadEnd { get; }

    public uint BssEnd { get; }

    public uint Entry { get; }

    /// <summary>Where the VMM writes the hypercall stubs (0: the image calls int 0x82 itself).</summary>
    public uint HypercallPage { get; }

    /// <summary>Whether <paramref name="image"/> carries the PV header's magic (it may still be malformed).</summary>
    public static bool IsParavirtual(ReadOnlySpan<byte> image) =>
        image.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(image) == PvImageHeader.Magic;

    /// <summary>Checks the header against the image and a guest of <paramref name="guestBytes"/> bytes.</summary>
    public static ParavirtImage Parse(ReadOnlySpan<byte> image, uint guestBytes)
    {
        if (!IsParavirtual(image))
        {
            throw new InvalidImageException(
                "paravirtualization needs a guest built for the interface (a PV image, docs/paravirt-abi.md): this is a bare-metal image; "
                + "run it with --backend native, hw, bt or trap (a closed-source kernel cannot be rebuilt, which is why full virtualization exists)");
        }

        if (image.Length < PvImageHeader.Size)
        {
            throw new InvalidImageException($"PV image: {image.Length} bytes, shorter than its {PvImageHeader.Size}-byte header");
        }

        var words = new uint[PvImageHeader.Size / 4];
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt32LittleEndian(image[(i * 4)..]);
        }

        uint Word(int offset) => words[offset / 4];
        uint sum = 0;
        for (int offset = 0; offset < PvImageHeader.Size; offset += 4)
        {
            sum += Word(offset);
        }

        if (Word(PvImageHeader.HeaderSizeOffset) != PvImageHeader.Size)
        {
            throw new InvalidImageException($"PV image: header size {Word(PvImageHeader.HeaderSizeOffset)}, expected {PvImageHeader.Size}");
        }

        if (Word(PvImageHeader.AbiVersionOffset) != PvImageHeader.AbiVersion)
        {
            throw new InvalidImageException($"PV image: ABI version {Word(PvImageHeader.AbiVersionOffset)}; this VMM speaks version {PvImageHeader.AbiVersion}");
        }

        if (sum != 0)
        {
            throw new InvalidImageException($"PV image: header checksum wrong (the twelve words sum to 0x{sum:X8}, not 0)");
        }

        if (Word(PvImageHeader.FlagsOffset) != 0)
        {
            throw new InvalidImageException($"PV image: unknown flags 0x{Word(PvImageHeader.FlagsOffset):X8}");
        }

        uint load = Word(PvImageHeader.LoadAddressOffset), loadEnd = Word(PvImageHeader.LoadEndOffset);
        uint bssEnd = Word(PvImageHeader.BssEndOffset), entry = Word(PvImageHeader.EntryOffset);
        uint hypercallPage = Word(PvImageHeader.HypercallPageOffset);
        if (load < 0x10_0000 || (load & 0xFFF) != 0)
        {
            throw new InvalidImageException($"PV image: load address 0x{load:X8} must be page-aligned and at least 1 MiB");
        }

        if (loadEnd < load || (ulong)loadEnd - load > (ulong)image.Length)
        {
            throw new InvalidImageException($"PV image: load end 0x{loadEnd:X8} lies outside the {image.Length}-byte file loaded at 0x{load:X8}");
        }

        if (bssEnd < loadEnd)
        {
            throw new InvalidImageException($"PV image: bss end 0x{bssEnd:X8} lies before the load end 0x{loadEnd:X8}");
        }

        if (entry < load + PvImageHeader.Size || entry >= loadEnd)
        {
            throw new InvalidImageException($"PV image: entry 0x{entry:X8} lies outside the loaded code [0x{load + PvImageHeader.Size:X8}, 0x{loadEnd:X8})");
        }

        if (hypercallPage != 0 && ((hypercallPage & 0xFFF) != 0 || hypercallPage < load || (ulong)hypercallPage + 4096 > bssEnd))
        {
            throw new InvalidImageException($"PV image: hypercall page 0x{hypercallPage:X8} must be a page-aligned page inside the image [0x{load:X8}, 0x{bssEnd:X8})");
        }

        // The boot layout (start info, shared info, boot stack, page tables) follows the image and must fit too.
        ulong tables = 1 + ((guestBytes >> 12) + 1023) / 1024;
        ulong needed = (((ulong)bssEnd + 0xFFF) & ~0xFFFul) + ((ulong)PvBootLayout.StartInfoPages + PvBootLayout.SharedInfoPages + PvBootLayout.BootStackPages + tables) * 4096;
        if (needed > guestBytes)
        {
            throw new InvalidImageException($"PV image: it and its boot layout need 0x{needed:X} bytes, more than the guest's {guestBytes >> 20} MiB");
        }

        return new ParavirtImage(load, loadEnd, bssEnd, entry, hypercallPage);
    }
}
