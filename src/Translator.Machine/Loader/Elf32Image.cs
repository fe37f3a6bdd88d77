using System.Buffers.Binary;

namespace Translator.Machine.Loader;

/// <summary>Reads the loadable part of an ELF32 i386 executable. Every field is checked before it is trusted.</summary>
internal static class Elf32Image
{
    private const int HeaderSize = 52;
    private const int ProgramHeaderSize = 32;
    private const uint PtLoad = 1;

    public static bool HasElfMagic(ReadOnlySpan<byte> image) =>
        image.Length >= 4 && image[0] == 0x7F && image[1] == (byte)'E' && image[2] == (byte)'L' && image[3] == (byte)'F';

    /// <summary>The PT_LOAD segments (by p_paddr, as QEMU loads them) sorted by address, and e_entry.</summary>
    public static (List<LoadSegment> Segments, uint Entry) Plan(ReadOnlySpan<byte> image)
    {
        if (image.Length < HeaderSize)
        {
            throw Invalid($"the ELF header is truncated ({image.Length} of {HeaderSize} bytes)");
        }

        byte elfClass = image[4];
        if (elfClass == 2)
        {
            throw Invalid("the ELF image is 64-bit; only 32-bit i386 executables can be booted with multiboot");
        }

        if (elfClass != 1)
        {
            throw Invalid($"the ELF header has an invalid class ({elfClass})");
        }

        if (image[5] != 1)
        {
            throw Invalid("the ELF image is not little-endian");
        }

        ushort type = U16(image, 16);
        if (type != 2)
        {
            throw Invalid($"the ELF image is not an executable (e_type {type}, expected 2 = ET_EXEC)");
        }

        ushort machine = U16(image, 18);
        if (machine != 3)
        {
            throw Invalid($"the ELF image is not for i386 (e_machine {machine}, expected 3 = EM_386)");
        }

        uint entry = U32(image, 24);
        uint phoff = U32(image, 28);
        ushort phentsize = U16(image, 42);
        ushort phnum = U16(image, 44);
        if (phnum == 0)
        {
            throw Invalid("the ELF image has no program headers");
        }

        if (phentsize < ProgramHeaderSize)
        {
            throw Invalid($"the ELF program header entry size ({phentsize}) is smaller than {ProgramHeaderSize}");
        }

        if ((ulong)phoff + (ulong)phnum * phentsize > (ulong)image.Length)
        {
            throw Invalid($"the ELF program header table (offset 0x{phoff:X}, {phnum} entries of {phentsize} bytes) runs past the end of the file");
        }

        var segments = new List<LoadSegment>();
        for (int k = 0; k < phnum; k++)
        {
            int p = (int)(phoff + (uint)(k * phentsize));
            if (U32(image, p) != PtLoad)
            {
                continue;
            }

            uint offset = U32(image, p + 4);
            uint paddr = U32(image, p + 12);
            uint filesz = U32(image, p + 16);
            uint memsz = U32(image, p + 20);
            if (filesz > memsz)
            {
                throw Invalid($"ELF segment {k} has p_filesz 0x{filesz:X} larger than p_memsz 0x{memsz:X}");
            }

            if (memsz == 0)
            {
                continue;
            }

            if ((ulong)offset + filesz > (ulong)image.Length)
            {
                throw Invalid($"ELF segment {k} data (offset 0x{offset:X}, 0x{filesz:X} bytes) lies past the end of the file ({image.Length} bytes)");
            }

            if ((ulong)paddr + memsz > 0x1_0000_0000UL)
            {
                throw Invalid($"ELF segment {k} (0x{paddr:X8} + 0x{memsz:X}) runs past the 4 GiB physical address space");
            }

            // The file checks above bound offset and filesz by the image length, so both fit in an int.
            segments.Add(new LoadSegment($"ELF segment {k}", paddr, (int)offset, (int)filesz, memsz));
        }

        if (segments.Count == 0)
        {
            throw Invalid("the ELF image has no loadable (PT_LOAD) segments");
        }

        segments.Sort((a, b) => a.Address.CompareTo(b.Address));
        for (int i = 1; i < segments.Count; i++)
        {
            if (segments[i - 1].End > segments[i].Address)
            {
                throw Invalid($"{segments[i - 1].Name} (0x{segments[i - 1].Address:X8}-0x{segments[i - 1].End - 1:X8}) overlaps {segments[i].Name} (0x{segments[i].Address:X8})");
            }
        }

        return (segments, entry);
    }

    private static ushort U16(ReadOnlySpan<byte> image, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(image.Slice(offset, 2));

    private static uint U32(ReadOnlySpan<byte> image, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(image.Slice(offset, 4));

    private static InvalidImageException Invalid(string reason) => new(reason);
}
