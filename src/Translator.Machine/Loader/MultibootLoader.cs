using System.Buffers.Binary;
using Translator.Machine.Memory;

namespace Translator.Machine.Loader;

/// <summary>
/// Loads a multiboot v1 kernel the way QEMU's <c>-kernel</c> does (hw/i386/multiboot.c): an ELF32 i386 executable,
/// or any image whose header sets flag bit 16 and gives its own load addresses. The whole image is validated before
/// a byte of guest memory is written; every malformed input ends in <see cref="InvalidImageException"/>.
/// </summary>
public static class MultibootLoader
{
    public const uint HeaderMagic = 0x1BADB002;

    /// <summary>The value EAX holds at kernel entry.</summary>
    public const uint BootMagic = 0x2BADB002;

    /// <summary>Where the memory map goes; QEMU uses the same place (below 640 KiB, clear of the IVT and BDA).</summary>
    public const uint MemoryMapAddress = 0x9000;

    /// <summary>Where the multiboot information structure goes (EBX at entry), as in QEMU.</summary>
    public const uint InfoAddress = 0x9500;

    /// <summary>Images must load at or above 1 MiB: below it lie the info block, the EBDA and the VGA/ROM hole.</summary>
    public const uint LowestLoadAddress = 0x10_0000;

    public const string BootLoaderName = "Translator";

    private const int HeaderSearchLimit = 8192;

    // QEMU only looks where the full 48-byte header would still fit in the first 8192 bytes.
    private const int HeaderSearchEnd = HeaderSearchLimit - 48;

    private const uint FlagAoutKludge = 1u << 16;

    // Bits 0 (page-align modules: there are none), 1 (memory info: given) and 2 (video mode: ignored, as QEMU
    // does) can be honoured; any other required bit names a feature this loader does not know.
    private const uint SupportedRequiredFlags = 0x7;

    private const uint InfoFlagMemory = 1u << 0;
    private const uint InfoFlagCommandLine = 1u << 2;
    private const uint InfoFlagMemoryMap = 1u << 6;
    private const uint InfoFlagBootLoaderName = 1u << 9;
    private const int InfoSize = 88;
    private const uint BootLoaderNameAddress = InfoAddress + InfoSize;

    /// <summary>Where the kernel command line goes (after the boot loader's name, still below 640 KiB).</summary>
    public const uint CommandLineAddress = BootLoaderNameAddress + 16;

    /// <summary>The longest command line accepted, in UTF-8 bytes without the NUL (Linux's i386 limit is 2048).</summary>
    public const int MaxCommandLineBytes = 4095;

    // The conventional PC map below 1 MiB: 639 KiB of base memory, then the EBDA, the VGA/ROM hole and the BIOS.
    private const uint BaseMemoryEnd = 0x9FC00;
    private const uint BiosAreaStart = 0xF0000;

    // What QEMU's BIOS (SeaBIOS) reserves above 1 MiB and reports in its e820 map, which QEMU's multiboot loader
    // passes on: the top 128 KiB of RAM (its high tables) and the 256 KiB flash image below 4 GiB.
    private const uint HighTablesSize = 0x2_0000;
    private const ulong BiosFlashStart = 0xFFFC_0000;
    private const ulong BiosFlashSize = 0x4_0000;

    /// <summary>
    /// Loads <paramref name="image"/>. A <paramref name="commandLine"/> goes to the guest as the multiboot cmdline
    /// (info flag bit 2), as QEMU's <c>-append</c> does; QEMU's is the kernel's file name, a space, then the text.
    /// </summary>
    public static MultibootBootState Load(ReadOnlySpan<byte> image, PhysicalMemory memory, string? commandLine = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (image.IsEmpty)
        {
            throw Invalid("the image is empty");
        }

        byte[]? commandLineBytes = commandLine is null ? null : EncodeCommandLine(commandLine);

        // QEMU boots anything with the Linux boot-protocol signature as Linux, even if it also has a multiboot header.
        if (image.Length >= 0x206 && U32(image, 0x202) == 0x53726448)
        {
            throw Invalid("the image is a Linux boot-protocol kernel ('HdrS' at 0x202); only multiboot v1 images are supported");
        }

        int headerOffset = FindHeader(image, out uint flags);
        uint unsupported = flags & 0xFFFF & ~SupportedRequiredFlags;
        if (unsupported != 0)
        {
            throw Invalid($"the multiboot header requires features this loader does not provide (flag bits 0x{unsupported:X4})");
        }

        List<LoadSegment> segments;
        uint entry;
        if ((flags & FlagAoutKludge) != 0)
        {
            (segments, entry) = PlanFromHeaderAddresses(image, headerOffset);
        }
        else if (Elf32Image.HasElfMagic(image))
        {
            (segments, entry) = Elf32Image.Plan(image);
        }
        else
        {
            throw Invalid("the image is not ELF and its multiboot header does not set flag bit 16 (load address fields)");
        }

        foreach (LoadSegment segment in segments)
        {
            CheckPlacement(segment, memory);
        }

        foreach (LoadSegment segment in segments)
        {
            Place(segment, image, memory);
        }

        WriteBootInformation(memory, commandLineBytes);
        AcpiTables.Write(memory); // the firmware's tables, which SeaBIOS has left by the time QEMU starts a kernel
        return new MultibootBootState(entry, InfoAddress);
    }

    private static byte[] EncodeCommandLine(string commandLine)
    {
        if (commandLine.Contains('\0', StringComparison.Ordinal))
        {
            throw Invalid("the kernel command line contains a NUL character, which would end it early");
        }

        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(commandLine);
        if (bytes.Length > MaxCommandLineBytes)
        {
            throw Invalid($"the kernel command line is {bytes.Length} bytes; at most {MaxCommandLineBytes} are accepted");
        }

        return bytes;
    }

    private static int FindHeader(ReadOnlySpan<byte> image, out uint flags)
    {
        int badChecksumAt = -1;
        int limit = Math.Min(image.Length, HeaderSearchLimit);
        for (int i = 0; i + 12 <= limit && i < HeaderSearchEnd; i += 4)
        {
            if (U32(image, i) != HeaderMagic)
            {
                continue;
            }

            uint candidateFlags = U32(image, i + 4);
            if (unchecked(HeaderMagic + candidateFlags + U32(image, i + 8)) == 0)
            {
                flags = candidateFlags;
                return i;
            }

            if (badChecksumAt < 0)
            {
                badChecksumAt = i;
            }
        }

        if (badChecksumAt >= 0)
        {
            throw Invalid($"the multiboot header at offset 0x{badChecksumAt:X} has a bad checksum");
        }

        if (image.Length < 12)
        {
            throw Invalid($"the image is truncated ({image.Length} bytes): too short to hold a multiboot header");
        }

        throw Invalid("no multiboot header (magic 0x1BADB002 with a valid checksum, 4-byte aligned) in the first 8192 bytes");
    }

    /// <summary>Flag bit 16 ("a.out kludge"): the header says which file bytes go where. Checks follow QEMU's.</summary>
    private static (List<LoadSegment>, uint) PlanFromHeaderAddresses(ReadOnlySpan<byte> image, int i)
    {
        if (i + 32 > image.Length)
        {
            throw Invalid("the multiboot header is truncated: flag bit 16 needs its address fields, which run past the end of the file");
        }

        uint headerAddr = U32(image, i + 12);
        uint loadAddr = U32(image, i + 16);
        uint loadEndAddr = U32(image, i + 20);
        uint bssEndAddr = U32(image, i + 24);
        uint entry = U32(image, i + 28);

        if (headerAddr < loadAddr)
        {
            throw Invalid($"multiboot header_addr 0x{headerAddr:X8} is below load_addr 0x{loadAddr:X8}");
        }

        if (headerAddr - loadAddr > (uint)i)
        {
            throw Invalid($"multiboot header_addr 0x{headerAddr:X8} is 0x{headerAddr - loadAddr:X} past load_addr, but the header is only 0x{i:X} bytes into the file");
        }

        // The file offset whose byte lands at load_addr.
        long textOffset = i - (long)(headerAddr - loadAddr);
        long loadSize;
        if (loadEndAddr != 0)
        {
            if (loadEndAddr < loadAddr)
            {
                throw Invalid($"multiboot load_end_addr 0x{loadEndAddr:X8} is below load_addr 0x{loadAddr:X8}");
            }

            loadSize = loadEndAddr - loadAddr;
            if (textOffset + loadSize > image.Length)
            {
                throw Invalid($"multiboot load_end_addr 0x{loadEndAddr:X8} lies past the end of the file (0x{loadSize:X} bytes from offset 0x{textOffset:X}, file has 0x{image.Length:X})");
            }
        }
        else
        {
            loadSize = image.Length - textOffset;
        }

        ulong memorySize = (ulong)loadSize;
        if (bssEndAddr != 0)
        {
            if (bssEndAddr < (ulong)loadAddr + (ulong)loadSize)
            {
                throw Invalid($"multiboot bss_end_addr 0x{bssEndAddr:X8} is below the end of the loaded data (0x{(ulong)loadAddr + (ulong)loadSize:X8})");
            }

            memorySize = bssEndAddr - loadAddr;
        }

        var segment = new LoadSegment("the kernel image", loadAddr, (int)textOffset, (int)loadSize, memorySize);
        return ([segment], entry);
    }

    private static void CheckPlacement(LoadSegment segment, PhysicalMemory memory)
    {
        if (segment.Address < LowestLoadAddress)
        {
            throw Invalid($"{segment.Name} loads at 0x{segment.Address:X8}, below 1 MiB; images must load at or above 0x{LowestLoadAddress:X8}");
        }

        if (segment.End > memory.Size)
        {
            throw Invalid($"{segment.Name} (0x{segment.Address:X8}-0x{segment.End - 1:X}) does not fit in {memory.Size >> 20} MiB of guest RAM");
        }
    }

    private static void Place(LoadSegment segment, ReadOnlySpan<byte> image, PhysicalMemory memory)
    {
        if (segment.FileSize > 0)
        {
            image.Slice(segment.FileOffset, segment.FileSize).CopyTo(memory.Span(segment.Address, segment.FileSize));
        }

        // Zero the bss part in chunks: with 3 GiB of RAM it can exceed what one span can cover.
        ulong address = segment.Address + (ulong)segment.FileSize;
        while (address < segment.End)
        {
            int chunk = (int)Math.Min(segment.End - address, 1UL << 30);
            memory.Span((uint)address, chunk).Clear();
            address += (ulong)chunk;
        }
    }

    private static void WriteBootInformation(PhysicalMemory memory, byte[]? commandLine)
    {
        memory.Span(MemoryMapAddress, (int)(BootLoaderNameAddress + 16 - MemoryMapAddress)).Clear();

        // Memory map entries: size (20, not counting itself), base, length, type (1 = available, 2 = reserved).
        uint entry = MemoryMapAddress;
        entry = WriteMemoryMapEntry(memory, entry, 0, BaseMemoryEnd, 1);
        entry = WriteMemoryMapEntry(memory, entry, BaseMemoryEnd, 0xA0000 - BaseMemoryEnd, 2);
        entry = WriteMemoryMapEntry(memory, entry, BiosAreaStart, LowestLoadAddress - BiosAreaStart, 2);
        uint highTables = memory.Size - HighTablesSize;
        entry = WriteMemoryMapEntry(memory, entry, LowestLoadAddress, highTables - LowestLoadAddress, 1);
        entry = WriteMemoryMapEntry(memory, entry, highTables, HighTablesSize, 2);
        entry = WriteMemoryMapEntry(memory, entry, BiosFlashStart, BiosFlashSize, 2);

        memory.Write32(InfoAddress + 0, InfoFlagMemory | InfoFlagMemoryMap | InfoFlagBootLoaderName);
        memory.Write32(InfoAddress + 4, BaseMemoryEnd / 1024);                      // mem_lower: 639 KiB, as QEMU reports
        memory.Write32(InfoAddress + 8, (highTables - LowestLoadAddress) / 1024);   // mem_upper: usable KiB above 1 MiB
        memory.Write32(InfoAddress + 44, entry - MemoryMapAddress);                 // mmap_length
        memory.Write32(InfoAddress + 48, MemoryMapAddress);                         // mmap_addr
        memory.Write32(InfoAddress + 64, BootLoaderNameAddress);                    // boot_loader_name

        for (int k = 0; k < BootLoaderName.Length; k++)
        {
            memory.Write8(BootLoaderNameAddress + (uint)k, (byte)BootLoaderName[k]);
        }

        if (commandLine is not null)
        {
            commandLine.CopyTo(memory.Span(CommandLineAddress, commandLine.Length));
            memory.Write8(CommandLineAddress + (uint)commandLine.Length, 0);
            memory.Write32(InfoAddress + 0, memory.Read32(InfoAddress) | InfoFlagCommandLine);
            memory.Write32(InfoAddress + 16, CommandLineAddress);                   // cmdline
        }
    }

    private static uint WriteMemoryMapEntry(PhysicalMemory memory, uint at, ulong baseAddress, ulong length, uint type)
    {
        memory.Write32(at, 20);
        memory.Write32(at + 4, (uint)baseAddress);
        memory.Write32(at + 8, (uint)(baseAddress >> 32));
        memory.Write32(at + 12, (uint)length);
        memory.Write32(at + 16, (uint)(length >> 32));
        memory.Write32(at + 20, type);
        return at + 24;
    }

    private static uint U32(ReadOnlySpan<byte> image, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(image.Slice(offset, 4));

    private static InvalidImageException Invalid(string reason) => new(reason);
}
