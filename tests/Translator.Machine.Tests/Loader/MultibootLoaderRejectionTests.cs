using Translator.Machine.Loader;
using Translator.Machine.Memory;
using Xunit;
using static Translator.Machine.Tests.Loader.TestImages;

namespace Translator.Machine.Tests.Loader;

/// <summary>Every way an image can be unfit ends in one InvalidImageException with a one-line reason.</summary>
public class MultibootLoaderRejectionTests
{
    private readonly PhysicalMemory _memory = new(4);

    private void AssertRejected(byte[] image, string reasonFragment)
    {
        var e = Assert.Throws<InvalidImageException>(() => MultibootLoader.Load(image, _memory));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains(reasonFragment, e.Message);
    }

    private static byte[] ValidElf() => Elf(0x100000, 0, new TestSegment(0x100000, Pattern(0x20, 1), 0x40)).Image;

    private static byte[] ElfWith(Action<byte[]> change)
    {
        byte[] image = ValidElf();
        change(image);
        return image;
    }

    [Fact]
    public void Empty() => AssertRejected([], "empty");

    [Fact]
    public void TooShortForAHeader() => AssertRejected(new byte[8], "truncated");

    [Fact]
    public void NoHeader() => AssertRejected(Pattern(10_000, 0), "no multiboot header");

    [Fact]
    public void MisalignedHeaderIsNotFound()
    {
        byte[] image = new byte[64];
        WriteHeader(image, 6, 0);
        AssertRejected(image, "no multiboot header");
    }

    [Fact]
    public void BadChecksum()
    {
        byte[] image = new byte[64];
        WriteHeader(image, 8, 0);
        SetU32(image, 16, 0x1234);
        AssertRejected(image, "offset 0x8 has a bad checksum");
    }

    [Theory]
    [InlineData(0x0008u, "0x0008")]
    [InlineData(0x8000u, "0x8000")]
    [InlineData(0x00F3u, "0x00F0")]
    public void UnknownRequiredFlags(uint flags, string named) =>
        AssertRejected(Elf(0x100000, flags, new TestSegment(0x100000, [1], 1)).Image, named);

    [Fact]
    public void LinuxBootProtocolKernel()
    {
        byte[] image = ValidElf().Concat(new byte[0x300]).ToArray();
        SetU32(image, 0x202, 0x53726448);
        AssertRejected(image, "Linux");
    }

    [Fact]
    public void NeitherElfNorAddressFields()
    {
        byte[] image = new byte[64];
        WriteHeader(image, 0, 0);
        AssertRejected(image, "not ELF");
    }

    [Fact]
    public void TruncatedElfHeader()
    {
        byte[] image = new byte[40];
        image[0] = 0x7F;
        image[1] = (byte)'E';
        image[2] = (byte)'L';
        image[3] = (byte)'F';
        WriteHeader(image, 20, 0);
        AssertRejected(image, "ELF header is truncated");
    }

    [Fact]
    public void Elf64() => AssertRejected(ElfWith(i => i[4] = 2), "64-bit");

    [Fact]
    public void ElfInvalidClass() => AssertRejected(ElfWith(i => i[4] = 3), "invalid class");

    [Fact]
    public void ElfBigEndian() => AssertRejected(ElfWith(i => i[5] = 2), "little-endian");

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void ElfNotAnExecutable(ushort type) => AssertRejected(ElfWith(i => SetU16(i, 16, type)), "not an executable");

    [Theory]
    [InlineData(62)]
    [InlineData(40)]
    [InlineData(0)]
    public void ElfNotI386(ushort machine) => AssertRejected(ElfWith(i => SetU16(i, 18, machine)), "not for i386");

    [Fact]
    public void ElfWithoutProgramHeaders() => AssertRejected(ElfWith(i => SetU16(i, 44, 0)), "no program headers");

    [Fact]
    public void ElfProgramHeaderEntriesTooSmall() => AssertRejected(ElfWith(i => SetU16(i, 42, 16)), "smaller than 32");

    [Theory]
    [InlineData(0x0000_0061u)]
    [InlineData(0xFFFF_FFF0u)]
    public void ElfProgramHeaderTablePastTheEnd(uint phoff) =>
        AssertRejected(ElfWith(i => SetU32(i, 28, phoff)), "program header table");

    [Fact]
    public void ElfProgramHeaderCountPastTheEnd() => AssertRejected(ElfWith(i => SetU16(i, 44, 0xFFFF)), "program header table");

    [Fact]
    public void ElfWithoutLoadableSegments() => AssertRejected(ElfWith(i => SetU32(i, ProgramHeader(0), 6)), "no loadable");

    [Fact]
    public void ElfWithOnlyEmptySegments() => AssertRejected(
        ElfWith(i =>
        {
            SetU32(i, ProgramHeader(0) + 16, 0);
            SetU32(i, ProgramHeader(0) + 20, 0);
        }),
        "no loadable");

    [Fact]
    public void ElfFileSizeLargerThanMemorySize() =>
        AssertRejected(ElfWith(i => SetU32(i, ProgramHeader(0) + 20, 0x10)), "larger than p_memsz");

    [Theory]
    [InlineData(0x0000_1000u)]
    [InlineData(0xFFFF_FFFFu)]
    public void ElfSegmentDataPastTheEnd(uint offset) =>
        AssertRejected(ElfWith(i => SetU32(i, ProgramHeader(0) + 4, offset)), "past the end of the file");

    [Fact]
    public void ElfSegmentFileSizePastTheEnd() => AssertRejected(
        ElfWith(i =>
        {
            SetU32(i, ProgramHeader(0) + 16, 0x8000_0000);
            SetU32(i, ProgramHeader(0) + 20, 0x8000_0000);
        }),
        "past the end of the file");

    [Theory]
    [InlineData(0xFFFF_FFC1u)]
    [InlineData(0xFFFF_FFF0u)]
    public void ElfSegmentBeyond4GiB(uint paddr) =>
        AssertRejected(ElfWith(i => SetU32(i, ProgramHeader(0) + 12, paddr)), "4 GiB");

    [Fact]
    public void ElfSegmentHugeMemorySize() =>
        AssertRejected(ElfWith(i => SetU32(i, ProgramHeader(0) + 20, 0xFFFF_FFFF)), "4 GiB");

    [Theory]
    [InlineData(0x0000_0000u)]
    [InlineData(0x0000_9000u)]
    [InlineData(0x000F_FFFFu)]
    public void ElfSegmentBelowOneMiB(uint paddr) =>
        AssertRejected(ElfWith(i => SetU32(i, ProgramHeader(0) + 12, paddr)), "below 1 MiB");

    [Fact]
    public void ElfSegmentStraddlingOneMiB() =>
        AssertRejected(ElfWith(i => SetU32(i, ProgramHeader(0) + 12, 0xFFFF0)), "below 1 MiB");

    [Theory]
    [InlineData(0x0040_0000u)]
    [InlineData(0x003F_FFF0u)]
    [InlineData(0x8000_0000u)]
    public void ElfSegmentOutsideRam(uint paddr) =>
        AssertRejected(ElfWith(i => SetU32(i, ProgramHeader(0) + 12, paddr)), "does not fit in 4 MiB");

    [Fact]
    public void ElfSegmentsOverlap()
    {
        byte[] image = Elf(
            0x100000,
            0,
            new TestSegment(0x200000, Pattern(8, 1), 0x100),
            new TestSegment(0x100000, Pattern(8, 1), 0x10),
            new TestSegment(0x2000FF, Pattern(8, 1), 8)).Image;
        AssertRejected(image, "overlaps");
    }

    [Fact]
    public void FlatHeaderCutShort()
    {
        byte[] image = new byte[24];
        WriteHeader(image, 0, 0x0001_0000);
        AssertRejected(image, "address fields");
    }

    [Fact]
    public void FlatHeaderAddrBelowLoadAddr() =>
        AssertRejected(Flat(0x100, 0, 0x0FFFFF, 0x100000, 0, 0, 0x100000), "below load_addr");

    [Fact]
    public void FlatHeaderAddrTooFarIntoTheImage() =>
        AssertRejected(Flat(0x100, 0x10, 0x100020, 0x100000, 0, 0, 0x100000), "bytes into the file");

    [Fact]
    public void FlatLoadEndBelowLoadAddr() =>
        AssertRejected(Flat(0x100, 0, 0x100000, 0x100000, 0x0FFFF0, 0, 0x100000), "load_end_addr 0x000FFFF0 is below");

    [Theory]
    [InlineData(0x0010_0101u)]
    [InlineData(0xFFFF_FFFFu)]
    public void FlatLoadEndPastTheFile(uint loadEnd) =>
        AssertRejected(Flat(0x100, 0, 0x100000, 0x100000, loadEnd, 0, 0x100000), "past the end of the file");

    [Fact]
    public void FlatBssEndBelowTheLoadedData() =>
        AssertRejected(Flat(0x100, 0, 0x100000, 0x100000, 0x100100, 0x1000FF, 0x100000), "bss_end_addr");

    [Fact]
    public void FlatBssEndBelowTheWholeFile() =>
        AssertRejected(Flat(0x100, 0, 0x100000, 0x100000, 0, 0x100080, 0x100000), "bss_end_addr");

    [Fact]
    public void FlatImageBelowOneMiB() =>
        AssertRejected(Flat(0x100, 0, 0x8000, 0x8000, 0, 0, 0x8000), "below 1 MiB");

    [Theory]
    [InlineData(0xFFFF_FFFFu)]
    [InlineData(0x0040_0001u)]
    public void FlatBssBeyondRam(uint bssEnd) =>
        AssertRejected(Flat(0x100, 0, 0x100000, 0x100000, 0, bssEnd, 0x100000), "does not fit");

    [Fact]
    public void FlatImageLargerThanRam() =>
        AssertRejected(Flat(4 << 20, 0, 0x100000, 0x100000, 0, 0, 0x100000), "does not fit in 4 MiB");

    [Fact]
    public void FlatImageAtTheTopOfTheAddressSpace() =>
        AssertRejected(Flat(0x100, 0, 0xFFFF_FF80, 0xFFFF_FF80, 0, 0, 0xFFFF_FF80), "does not fit");
}
