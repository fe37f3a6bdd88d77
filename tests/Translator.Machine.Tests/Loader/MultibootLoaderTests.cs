using Translator.Machine.Loader;
using Translator.Machine.Memory;
using Xunit;
using static Translator.Machine.Tests.Loader.TestImages;

namespace Translator.Machine.Tests.Loader;

public class MultibootLoaderTests
{
    private const int RamMiB = 16;

    private readonly PhysicalMemory _memory = new(RamMiB);

    public MultibootLoaderTests()
    {
        // Poison RAM so that tests can tell loaded bytes and zeroed bss from untouched memory.
        _memory.Span(0, (int)_memory.Size).Fill(0xCC);
    }

    private byte[] Ram(uint address, int length) => _memory.Span(address, length).ToArray();

    private InvalidImageException Reject(byte[] image)
    {
        var e = Assert.Throws<InvalidImageException>(() => MultibootLoader.Load(image, _memory));
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    private static (byte[] Image, int[] DataOffsets, int HeaderOffset) SimpleElf() =>
        Elf(0x100000, 0x3, new TestSegment(0x100000, Pattern(0x40, 1), 0x100));

    [Fact]
    public void ElfSegmentsLoadAtTheirPhysicalAddressesWithBssZeroed()
    {
        byte[] text = Pattern(0x40, 1);
        byte[] data = Pattern(0x10, 9);
        (byte[] image, _, _) = Elf(
            0x10000C,
            0x3,
            new TestSegment(0x100000, text, 0x100, VirtualAddress: 0xC010_0000),
            new TestSegment(0x200000, data, 0x10));

        MultibootBootState state = MultibootLoader.Load(image, _memory);

        Assert.Equal(new MultibootBootState(0x10000C, 0x9500), state);
        Assert.Equal(text, Ram(0x100000, 0x40));
        Assert.Equal(new byte[0xC0], Ram(0x100040, 0xC0));
        Assert.Equal(0xCC, _memory.Read8(0x100100));
        Assert.Equal(0xCC, _memory.Read8(0xFFFFF));
        Assert.Equal(data, Ram(0x200000, 0x10));
        Assert.Equal(0xCC, _memory.Read8(0x200010));
    }

    [Fact]
    public void SegmentsThatAreNotPtLoadOrEmptyAreSkipped()
    {
        (byte[] image, _, _) = Elf(
            0x100000,
            0,
            new TestSegment(0x300000, Pattern(8, 2), 8, Type: 4),
            new TestSegment(0x100000, Pattern(8, 3), 8),
            new TestSegment(0x400000, [], 0));

        MultibootLoader.Load(image, _memory);

        Assert.Equal(Pattern(8, 3), Ram(0x100000, 8));
        Assert.Equal(0xCC, _memory.Read8(0x300000));
        Assert.Equal(0xCC, _memory.Read8(0x400000));
    }

    [Fact]
    public void BootInformationHasTheDocumentedLayout()
    {
        MultibootLoader.Load(SimpleElf().Image, _memory);

        Assert.Equal(0x241u, _memory.Read32(0x9500));                     // flags: mem, mmap, loader name
        Assert.Equal(639u, _memory.Read32(0x9504));                       // mem_lower, as QEMU reports it
        Assert.Equal((uint)((RamMiB - 1) * 1024 - 128), _memory.Read32(0x9508)); // mem_upper: below SeaBIOS's high tables
        Assert.Equal(0u, _memory.Read32(0x950C));
        Assert.Equal(144u, _memory.Read32(0x9500 + 44));                  // mmap_length
        Assert.Equal(0x9000u, _memory.Read32(0x9500 + 48));               // mmap_addr
        Assert.Equal(0x9558u, _memory.Read32(0x9500 + 64));               // boot_loader_name
        Assert.Equal("Translator\0"u8.ToArray(), Ram(0x9558, 11));

        uint[] expectedMap =
        [
            20, 0x00000, 0, 0x9FC00, 0, 1,
            20, 0x9FC00, 0, 0x00400, 0, 2,
            20, 0xF0000, 0, 0x10000, 0, 2,
            20, 0x100000, 0, ((RamMiB - 1) << 20) - 0x20000, 0, 1,
            20, (RamMiB << 20) - 0x20000, 0, 0x20000, 0, 2,
            20, 0xFFFC0000, 0, 0x40000, 0, 2,
        ];
        for (int i = 0; i < expectedMap.Length; i++)
        {
            Assert.Equal(expectedMap[i], _memory.Read32(0x9000 + (uint)(4 * i)));
        }

        // Everything else in the block is zero, not left-over memory.
        Assert.Equal(new byte[0x500 - 144], Ram(0x9000 + 144, 0x500 - 144));
        Assert.Equal(0u, _memory.Read32(0x9500 + 12));
        Assert.Equal(0u, _memory.Read32(0x9500 + 16));
        Assert.Equal(0u, _memory.Read32(0x9500 + 20));
    }

    [Fact]
    public void ACommandLineIsTheCmdlineFieldWithFlagBit2()
    {
        MultibootLoader.Load(SimpleElf().Image, _memory, "vmexit.flat cpuid é");

        Assert.Equal(0x245u, _memory.Read32(0x9500));                     // flags: mem, cmdline, mmap, loader name
        Assert.Equal(MultibootLoader.CommandLineAddress, _memory.Read32(0x9500 + 16));
        byte[] expected = [.. "vmexit.flat cpuid "u8, 0xC3, 0xA9, 0];   // UTF-8, NUL-terminated
        Assert.Equal(expected, Ram(MultibootLoader.CommandLineAddress, expected.Length));
        Assert.Equal("Translator\0"u8.ToArray(), Ram(0x9558, 11));      // the loader's name is untouched
    }

    [Theory]
    [InlineData("a\0b", "NUL")]
    [InlineData(null, "at most 4095")]
    public void ACommandLineThatCannotBePassedIsRefusedBeforeAnythingIsWritten(string? text, string reason)
    {
        text ??= new string('x', MultibootLoader.MaxCommandLineBytes + 1);
        var e = Assert.Throws<InvalidImageException>(() => MultibootLoader.Load(SimpleElf().Image, _memory, text));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Equal(0xCC, _memory.Read8(0x100000));
        Assert.Equal(0xCCCCCCCCu, _memory.Read32(0x9500));
    }

    [Fact]
    public void TheLongestCommandLineFits()
    {
        string text = new('x', MultibootLoader.MaxCommandLineBytes);
        MultibootLoader.Load(SimpleElf().Image, _memory, text);

        Assert.Equal((byte)'x', _memory.Read8(MultibootLoader.CommandLineAddress + (uint)text.Length - 1));
        Assert.Equal(0, _memory.Read8(MultibootLoader.CommandLineAddress + (uint)text.Length));
    }

    [Fact]
    public void FlatImageLoadsTheWholeFileAndItsBss()
    {
        byte[] image = Flat(0x300, 0, 0x100000, 0x100000, 0, 0x101000, 0x100020);

        MultibootBootState state = MultibootLoader.Load(image, _memory);

        Assert.Equal(new MultibootBootState(0x100020, 0x9500), state);
        Assert.Equal(image, Ram(0x100000, 0x300));
        Assert.Equal(new byte[0x1000 - 0x300], Ram(0x100300, 0x1000 - 0x300));
        Assert.Equal(0xCC, _memory.Read8(0x101000));
    }

    [Fact]
    public void FlatImageHeaderAddrLocatesTheFileInMemory()
    {
        // Header at file offset 0x80, 0x40 bytes past load_addr: file offset 0x40 lands at load_addr.
        byte[] image = Flat(0x200, 0x80, 0x200040, 0x200000, 0x200100, 0, 0x200000);

        MultibootLoader.Load(image, _memory);

        Assert.Equal(image.AsSpan(0x40, 0x100).ToArray(), Ram(0x200000, 0x100));
        Assert.Equal(0xCC, _memory.Read8(0x200100));
        Assert.Equal(0xCC, _memory.Read8(0x1FFFFF));
    }

    [Fact]
    public void FlatImageLoadEndLimitsWhatIsCopied()
    {
        byte[] image = Flat(0x400, 0, 0x100000, 0x100000, 0x100100, 0x100180, 0x100000);

        MultibootLoader.Load(image, _memory);

        Assert.Equal(image.AsSpan(0, 0x100).ToArray(), Ram(0x100000, 0x100));
        Assert.Equal(new byte[0x80], Ram(0x100100, 0x80));
        Assert.Equal(0xCC, _memory.Read8(0x100180));
    }

    [Fact]
    public void FlagBit16WinsOverElf()
    {
        (byte[] image, _, int headerOffset) = Elf(0x100000, 0x0001_0000, new TestSegment(0x300000, Pattern(32, 3), 32));
        SetU32(image, headerOffset + 12, 0x500000 + (uint)headerOffset);
        SetU32(image, headerOffset + 16, 0x500000);
        SetU32(image, headerOffset + 20, 0);
        SetU32(image, headerOffset + 24, 0);
        SetU32(image, headerOffset + 28, 0x500010);

        MultibootBootState state = MultibootLoader.Load(image, _memory);

        Assert.Equal(0x500010u, state.Entry);
        Assert.Equal(image, Ram(0x500000, image.Length));
        Assert.Equal(0xCC, _memory.Read8(0x300000));
    }

    [Theory]
    [InlineData(0x0u)]
    [InlineData(0x1u)]
    [InlineData(0x2u)]
    [InlineData(0x4u)]
    [InlineData(0x7u)]
    [InlineData(0xFFF8_0007u)]   // optional (high) bits are ignored, except 16 which is tested separately
    public void SatisfiableOrOptionalFlagsAreAccepted(uint flags)
    {
        (byte[] image, _, _) = Elf(0x100000, flags & ~0x0001_0000u, new TestSegment(0x100000, Pattern(4, 1), 4));

        Assert.Equal(0x100000u, MultibootLoader.Load(image, _memory).Entry);
    }

    [Fact]
    public void TheHeaderMayStartAnywhereQemuLooks()
    {
        byte[] image = Flat(9000, 8140, 0x100000 + 8140, 0x100000, 0, 0, 0x100000);
        Assert.Equal(0x100000u, MultibootLoader.Load(image, _memory).Entry);

        // QEMU stops looking where a full 48-byte header would no longer fit in 8 KiB.
        image = Flat(9000, 8144, 0x100000 + 8144, 0x100000, 0, 0, 0x100000);
        Assert.Contains("no multiboot header", Reject(image).Message);
    }

    [Fact]
    public void ABadChecksumIsSkippedIfAValidHeaderFollows()
    {
        byte[] image = Flat(0x400, 0x100, 0x100100, 0x100000, 0, 0, 0x100000);
        SetU32(image, 0x40, 0x1BADB002);
        SetU32(image, 0x44, 0);
        SetU32(image, 0x48, 0);

        Assert.Equal(0x100000u, MultibootLoader.Load(image, _memory).Entry);
    }

    [Fact]
    public void AFailedLoadWritesNothing()
    {
        (byte[] image, _, _) = Elf(
            0x100000,
            0,
            new TestSegment(0x100000, Pattern(16, 1), 16),
            new TestSegment(0x200000, Pattern(16, 2), 16));
        SetU32(image, ProgramHeader(1) + 4, (uint)image.Length - 8);

        Reject(image);

        Assert.Equal(0xCC, _memory.Read8(0x100000));
        Assert.Equal(0xCC, _memory.Read8(0x9500));
    }

    [Fact]
    public void ASegmentMayEndExactlyAtTheTopOfRam()
    {
        uint top = (uint)RamMiB << 20;
        (byte[] image, _, _) = Elf(0x100000, 0, new TestSegment(top - 0x100, Pattern(0x10, 1), 0x100));

        MultibootLoader.Load(image, _memory);

        Assert.Equal(Pattern(0x10, 1), Ram(top - 0x100, 0x10));
        Assert.Equal(new byte[0xF0], Ram(top - 0xF0, 0xF0));
    }
}
