using System.Collections.Generic;
using Microsoft.CodeAnalysis.Text;

namespace Translator.Translation.Generator;

/// <summary>
/// A compiler sees additional files only as text, so GuestImages.targets hands each guest image to the generator as
/// hexadecimal (two digits a byte, whitespace ignored); this reads it back.
/// </summary>
internal static class GuestImageText
{
    /// <summary>The bytes, or null with <paramref name="error"/> set when the text is not an even run of hex digits.</summary>
    public static byte[]? TryDecode(SourceText text, out string? error)
    {
        var bytes = new List<byte>(text.Length / 2);
        int high = -1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                continue;
            }

            int digit = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : c is >= 'A' and <= 'F' ? c - 'A' + 10 : -1;
            if (digit < 0)
            {
                error = $"the hexadecimal form of the image has '{c}' at offset {i}; rebuild to regenerate it";
                return null;
            }

            if (high < 0)
            {
                high = digit;
            }
            else
            {
                bytes.Add((byte)((high << 4) | digit));
                high = -1;
            }
        }

        if (high >= 0)
        {
            error = "the hexadecimal form of the image has an odd number of digits; rebuild to regenerate it";
            return null;
        }

        error = null;
        return bytes.ToArray();
    }
}
