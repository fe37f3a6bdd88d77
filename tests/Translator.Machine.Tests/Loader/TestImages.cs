using System.Buffers.Binary;

namespace Translator.Machine.Tests.Loader;

/// <summary>A PT_LOAD (or other) program header to put in a test ELF.</summary>
internal sealed record TestSegment(uint PhysicalAddress, byte[] Data, uint MemorySize, uint VirtualAddress = 0, uint Type = 1);

/// <summary>Builds small multiboot images byte by byte, so tests control every field.</summary>
internal static class TestImages
{
    public const int ElfHeaderSize = 52;
    public const int ProgramHeaderSize = 32;

    public static void SetU16(byte[] image, int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(offset), value);

    public static void SetU32(byte[] image, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(offset), value);

    public static uint GetU32(byte[] image, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(offset));

    /// <summary>Writes a 12-byte multiboot header (magic, flags, checksum) at <paramref name="offset"/>.</summary>
    public static void WriteHeader(byte[] image, int offset, uint flags)
    {
        SetU32(image, offset, 0x1BADB002);
        SetU32(image, offset + 4, flags);
        SetU32(image, offset + 8, unchecked(0u - 0x1BADB002u - flags));
    }

    public static byte[] Pattern(int length, byte seed)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)(seed + i * 7);
        }

        return data;
    }

    /// <summary>
    /// An ELF32 i386 executable: ELF header, program headers, a multiboot header, then each segment's data.
    /// Returns the image and the file offset of each segment's data.
    /// </summary>
    public static (byte[] Image, int[] DataOffsets, int HeaderOffset) Elf(uint entry, uint multibootFlags, params TestSegment[] segments)
    {
        int headerOffset = (ElfHeaderSize + segments.Length * ProgramHeaderSize + 3) & ~3;
        int offset = headerOffset + 12;
        var dataOffsets = new int[segments.Length];
        for (int k = 0; k < segments.Length; k++)
        {
            dataOffsets[k] = offset;
            offset += segments[k].Data.Length;
        }

        var image = new byte[offset];
        image[0] = 0x7F;
        image[1] = (byte)'E';
        image[2] = (byte)'L';
        image[3] = (byte)'F';
        image[4] = 1;   // ELFCLASS32
        image[5] = 1;   // little-endian
        image[6] = 1;   // EV_CURRENT
        SetU16(image, 16, 2);   // ET_EXEC
        SetU16(image, 18, 3);   // EM_386
        SetU32(image, 20, 1);
        SetU32(image, 24, entry);
        SetU32(image, 28, ElfHeaderSize);
        SetU16(image, 40, ElfHeaderSize);
        SetU16(image, 42, ProgramHeaderSize);
        SetU16(image, 44, (ushort)segments.Length);

        for (int k = 0; k < segments.Length; k++)
        {
            TestSegment s = segments[k];
            int p = ElfHeaderSize + k * ProgramHeaderSize;
            SetU32(image, p, s.Type);
            SetU32(image, p + 4, (uint)dataOffsets[k]);
            SetU32(image, p + 8, s.VirtualAddress != 0 ? s.VirtualAddress : s.PhysicalAddress);
            SetU32(image, p + 12, s.PhysicalAddress);
            SetU32(image, p + 16, (uint)s.Data.Length);
            SetU32(image, p + 20, s.MemorySize);
            SetU32(image, p + 24, 5);
            SetU32(image, p + 28, 0x1000);
            s.Data.CopyTo(image, dataOffsets[k]);
        }

        WriteHeader(image, headerOffset, multibootFlags);
        return (image, dataOffsets, headerOffset);
    }

    /// <summary>The offset of program header <paramref name="k"/> in an image built by <see cref="Elf"/>.</summary>
    public static int ProgramHeader(int k) => ElfHeaderSize + k * ProgramHeaderSize;

    /// <summary>
    /// A flat image whose multiboot header (flag bit 16) sits at <paramref name="headerOffset"/> and gives its own
    /// addresses. The file is <paramref name="fileLength"/> bytes of a pattern around the header.
    /// </summary>
    public static byte[] Flat(
        int fileLength,
        int headerOffset,
        uint headerAddr,
        uint loadAddr,
        uint loadEndAddr,
        uint bssEndAddr,
        uint entryAddr,
        uint extraFlags = 0)
    {
        byte[] image = Pattern(fileLength, 0x31);
        WriteHeader(image, headerOffset, 0x0001_0000 | extraFlags);
        SetU32(image, headerOffset + 12, headerAddr);
        SetU32(image, headerOffset + 16, loadAddr);
        SetU32(image, headerOffset + 20, loadEndAddr);
        SetU32(image, headerOffset + 24, bssEndAddr);
        SetU32(image, headerOffset + 28, entryAddr);
        return image;
    }
}
