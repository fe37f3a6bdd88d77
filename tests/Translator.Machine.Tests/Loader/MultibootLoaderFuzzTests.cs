using Translator.Machine.Loader;
using Translator.Machine.Memory;
using Xunit;
using static Translator.Machine.Tests.Loader.TestImages;

namespace Translator.Machine.Tests.Loader;

/// <summary>
/// Hostile input: whatever the bytes, the loader either loads or throws InvalidImageException with a one-line
/// message. Any other exception fails the test. Seeds are fixed, so failures reproduce.
/// </summary>
public class MultibootLoaderFuzzTests
{
    private static readonly uint[] ExtremeWords = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFFC, 0x000F_FFFF, 0x0010_0000, 0x0040_0000];

    private readonly PhysicalMemory _memory = new(4);

    /// <summary>Returns true when the image loaded.</summary>
    private bool LoadOrReject(byte[] image)
    {
        try
        {
            MultibootBootState state = MultibootLoader.Load(image, _memory);
            Assert.Equal(MultibootLoader.InfoAddress, state.InfoAddress);
            return true;
        }
        catch (InvalidImageException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            Assert.DoesNotContain('\n', e.Message);
            return false;
        }
    }

    private static (byte[] Image, int[] DataOffsets, int HeaderOffset) ValidElfParts() => Elf(
        0x100000,
        0x3,
        new TestSegment(0x100000, Pattern(0x40, 1), 0x80),
        new TestSegment(0x200000, Pattern(0x20, 2), 0x20));

    private static byte[] ValidElf() => ValidElfParts().Image;

    private static byte[] ValidFlat() => Flat(0x80, 0x10, 0x100010, 0x100000, 0x100060, 0x100100, 0x100000);

    [Fact]
    public void TheSeedImagesLoad()
    {
        Assert.True(LoadOrReject(ValidElf()));
        Assert.True(LoadOrReject(ValidFlat()));
    }

    [Fact]
    public void RandomBytes()
    {
        var random = new Random(1234);
        for (int n = 0; n < 3000; n++)
        {
            var image = new byte[random.Next(0, n % 10 == 0 ? 12_000 : 200)];
            random.NextBytes(image);
            LoadOrReject(image);
        }
    }

    [Fact]
    public void RandomBytesBehindAValidHeader()
    {
        var random = new Random(5678);
        for (int n = 0; n < 3000; n++)
        {
            var image = new byte[random.Next(12, 600)];
            random.NextBytes(image);
            int offset = random.Next(0, (image.Length - 12) / 4 + 1) * 4;
            uint flags = (uint)random.Next() & (n % 2 == 0 ? 0x0001_0007u : 0xFFFF_FFFFu);
            WriteHeader(image, offset, flags);
            LoadOrReject(image);
        }
    }

    [Fact]
    public void RandomElfHeadersAndProgramHeaders()
    {
        var random = new Random(91011);
        for (int n = 0; n < 3000; n++)
        {
            (byte[] image, _, int headerOffset) = ValidElfParts();
            int start = n % 3 == 0 ? 0 : 16;
            int count = random.Next(1, 8);
            for (int k = 0; k < count; k++)
            {
                int at = random.Next(start, headerOffset);
                if (random.Next(2) == 0 && at + 4 <= image.Length)
                {
                    SetU32(image, at & ~3, ExtremeWords[random.Next(ExtremeWords.Length)]);
                }
                else
                {
                    image[at] = (byte)random.Next(256);
                }
            }

            WriteHeader(image, headerOffset, 0x3);
            LoadOrReject(image);
        }
    }

    [Fact]
    public void EveryTruncationOfAValidElf()
    {
        byte[] image = ValidElf();
        for (int length = 0; length < image.Length; length++)
        {
            Assert.False(LoadOrReject(image[..length]), $"truncated to {length} bytes");
        }
    }

    [Fact]
    public void EveryTruncationOfAValidFlatImage()
    {
        byte[] image = ValidFlat();
        for (int length = 0; length < image.Length; length++)
        {
            bool loaded = LoadOrReject(image[..length]);

            // load_end_addr asks for 0x60 bytes from offset 0: any shorter file must be refused.
            Assert.Equal(length >= 0x60, loaded);
        }
    }

    [Fact]
    public void EveryByteOfTheElfHeadersSetToEdgeValues()
    {
        byte[] seed = ValidElf();
        int headersEnd = ProgramHeader(2);
        foreach (byte value in new byte[] { 0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF })
        {
            for (int at = 0; at < headersEnd; at++)
            {
                byte[] image = (byte[])seed.Clone();
                image[at] = value;
                LoadOrReject(image);
            }
        }
    }

    [Fact]
    public void EveryWordOfTheElfHeadersSetToExtremes()
    {
        byte[] seed = ValidElf();
        int headersEnd = ProgramHeader(2);
        foreach (uint value in ExtremeWords)
        {
            for (int at = 0; at + 4 <= headersEnd; at += 2)
            {
                byte[] image = (byte[])seed.Clone();
                SetU32(image, at, value);
                LoadOrReject(image);
            }
        }
    }

    [Fact]
    public void EveryAddressFieldOfAFlatHeaderSetToExtremes()
    {
        byte[] seed = ValidFlat();
        foreach (uint a in ExtremeWords)
        {
            foreach (uint b in ExtremeWords)
            {
                for (int field = 0; field < 5; field++)
                {
                    byte[] image = (byte[])seed.Clone();
                    SetU32(image, 0x10 + 12 + 4 * field, a);
                    SetU32(image, 0x10 + 12 + 4 * ((field + 1) % 5), b);
                    LoadOrReject(image);
                }
            }
        }
    }
}
