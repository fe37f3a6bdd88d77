using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Linking;

/// <summary>
/// The map a kernel image carries after its loaded bytes, so a crash report can name the function and the C# line of
/// an address wherever the image came from (a sample, a project, a file written by <c>translator image</c>): UTF-8
/// text, then its length (u32, little-endian) and the eight bytes <c>TRNMAP1\0</c> at the very end of the file. A
/// multiboot loader reads only up to <c>load_end_addr</c> (the PV loader only up to its header's load end), so QEMU
/// and every backend load exactly what they did without it. docs/dsl.md, "The image map", gives the format.
/// </summary>
internal static class ImageMap
{
    public const string Magic = "TRNMAP1\0";

    /// <summary><paramref name="image"/> followed by the map of <paramref name="functions"/> and <paramref name="lines"/>.</summary>
    public static byte[] Append(byte[] image, IEnumerable<ImageSymbol> functions, IEnumerable<(uint Address, string File, int Line)> lines)
    {
        var text = new StringBuilder("TRNMAP1\n");
        foreach (ImageSymbol function in functions.Where(f => f.IsFunction).OrderBy(f => f.Address))
        {
            text.Append("F ").Append(Hex(function.Address)).Append(' ').Append(Hex(function.Size)).Append(' ').Append(function.Name).Append('\n');
        }

        foreach ((uint address, string file, int line) in lines)
        {
            text.Append("L ").Append(Hex(address)).Append(' ').Append(line.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(file).Append('\n');
        }

        byte[] map = Encoding.UTF8.GetBytes(text.ToString());
        byte[] magic = Encoding.ASCII.GetBytes(Magic);
        var result = new byte[image.Length + map.Length + 4 + magic.Length];
        image.CopyTo(result, 0);
        map.CopyTo(result, image.Length);
        int length = image.Length + map.Length;
        for (int i = 0; i < 4; i++)
        {
            result[length + i] = (byte)(map.Length >> (8 * i));
        }

        magic.CopyTo(result, length + 4);
        return result;
    }

    private static string Hex(uint value) => value.ToString("x8", CultureInfo.InvariantCulture);
}
