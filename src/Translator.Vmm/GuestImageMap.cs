using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Translator.Vmm;

/// <summary>
/// Names for guest addresses, for crash reports: the map a DSL kernel image carries after its loaded bytes (functions
/// and C# source lines: docs/dsl.md, "The image map"), or the function symbols of an ELF image's .symtab. An image
/// with neither has an empty map. Malformed maps are ignored, never trusted: this reads guest-supplied bytes.
/// </summary>
public sealed class GuestImageMap
{
    private const string Magic = "TRNMAP1\0";
    private const int MaxMapBytes = 16 << 20;

    private readonly List<(uint Address, uint Size, string Name)> _functions = new();
    private readonly List<(uint Address, int Line, string File)> _lines = new();

    public static GuestImageMap Empty { get; } = new();

    public bool IsEmpty => _functions.Count == 0;

    public static GuestImageMap Read(ReadOnlySpan<byte> image)
    {
        var map = new GuestImageMap();
        try
        {
            if (!map.ReadTrailer(image))
            {
                map.ReadElfSymbols(image);
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            return Empty;
        }

        map._functions.Sort((a, b) => a.Address.CompareTo(b.Address));
        map._lines.Sort((a, b) => a.Address.CompareTo(b.Address));
        return map;
    }

    /// <summary>"Crash.Main+0x1a, Crash.cs:14" for <paramref name="address"/>, or null when no function holds it.</summary>
    public string? Describe(uint address)
    {
        int f = _functions.FindLastIndex(x => x.Address <= address);
        if (f < 0 || address - _functions[f].Address >= Math.Max(1u, _functions[f].Size))
        {
            return null;
        }

        (uint start, _, string name) = _functions[f];
        string where = address == start ? name : $"{name}+0x{address - start:x}";
        int l = _lines.FindLastIndex(x => x.Address <= address);
        return l >= 0 && _lines[l].Address >= start ? $"{where}, {_lines[l].File}:{_lines[l].Line.ToString(CultureInfo.InvariantCulture)}" : where;
    }

    private bool ReadTrailer(ReadOnlySpan<byte> image)
    {
        int magicAt = image.Length - Magic.Length;
        if (magicAt < 4 || !image[magicAt..].SequenceEqual(Encoding.ASCII.GetBytes(Magic)))
        {
            return false;
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(image[(magicAt - 4)..]);
        if (length < 0 || length > MaxMapBytes || length > magicAt - 4)
        {
            return false;
        }

        string text = Encoding.UTF8.GetString(image.Slice(magicAt - 4 - length, length));
        foreach (string line in text.Split('\n'))
        {
            string[] f = line.Split(' ', 4);
            if (f is ["F", _, _, _])
            {
                _functions.Add((ParseHex(f[1]), ParseHex(f[2]), f[3]));
            }
            else if (f.Length >= 4 && f[0] == "L")
            {
                _lines.Add((ParseHex(f[1]), int.Parse(f[2], CultureInfo.InvariantCulture), string.Join(' ', f[3..])));
            }
        }

        return true;
    }

    /// <summary>STT_FUNC symbols of an ELF32 image's SHT_SYMTAB section (the gcc guests keep theirs).</summary>
    private void ReadElfSymbols(ReadOnlySpan<byte> image)
    {
        if (image.Length < 52 || image[0] != 0x7F || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F' || image[4] != 1)
        {
            return;
        }

        uint sectionHeaders = BinaryPrimitives.ReadUInt32LittleEndian(image[32..]);
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(image[46..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(image[48..]);
        if (entrySize < 40 || (ulong)sectionHeaders + (ulong)count * (ulong)entrySize > (ulong)image.Length)
        {
            return;
        }

        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> section = image.Slice((int)sectionHeaders + i * entrySize, 40);
            if (BinaryPrimitives.ReadUInt32LittleEndian(section[4..]) != 2)
            {
                continue; // not SHT_SYMTAB
            }

            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(section[24..]);
            if (link >= count)
            {
                return;
            }

            ReadOnlySpan<byte> strings = SectionBytes(image, image.Slice((int)sectionHeaders + link * entrySize, 40));
            ReadOnlySpan<byte> symbols = SectionBytes(image, section);
            for (int s = 0; s + 16 <= symbols.Length; s += 16)
            {
                ReadOnlySpan<byte> symbol = symbols.Slice(s, 16);
                if ((symbol[12] & 0xF) != 2)
                {
                    continue; // not STT_FUNC
                }

                int name = (int)BinaryPrimitives.ReadUInt32LittleEndian(symbol);
                if (name >= strings.Length)
                {
                    continue;
                }

                int end = strings[name..].IndexOf((byte)0);
                _functions.Add((BinaryPrimitives.ReadUInt32LittleEndian(symbol[4..]), BinaryPrimitives.ReadUInt32LittleEndian(symbol[8..]),
                    Encoding.UTF8.GetString(end < 0 ? strings[name..] : strings.Slice(name, end))));
            }

            return;
        }
    }

    private static ReadOnlySpan<byte> SectionBytes(ReadOnlySpan<byte> image, ReadOnlySpan<byte> header)
    {
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
        return (ulong)offset + size <= (ulong)image.Length ? image.Slice((int)offset, (int)size) : [];
    }

    private static uint ParseHex(string text) => uint.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
