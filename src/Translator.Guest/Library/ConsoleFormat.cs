namespace Translator.Guest;

/// <summary>
/// What <c>Console.Write($"...")</c> becomes: the kernel compiler lowers each hole of an interpolated string to one of
/// these calls at build time (the literal text to <c>Console.Write(string)</c>), so nothing is built at run time. Each
/// writes what .NET's own formatting writes for the same value, format and alignment: decimal with a minimum digit
/// count (D, Dn), hexadecimal of the value's bits (X, Xn, x, xn), True/False, characters and strings, padded with
/// spaces on the left for a positive alignment and on the right for a negative one.
/// </summary>
[GuestCode]
internal static class ConsoleFormat
{
    private static readonly string UpperDigits = "0123456789ABCDEF";
    private static readonly string LowerDigits = "0123456789abcdef";

    public static void Signed(long value, int minDigits, int alignment)
    {
        bool negative = value < 0;
        Number(negative ? 0UL - (ulong)value : (ulong)value, negative, 10, LowerDigits, minDigits, alignment);
    }

    public static void Unsigned(ulong value, int minDigits, int alignment) => Number(value, false, 10, LowerDigits, minDigits, alignment);

    /// <summary>The bits of a value (as .NET does, a negative value shows its two's complement in the type's width).</summary>
    public static void Hex(ulong bits, bool upper, int minDigits, int alignment)
        => Number(bits, false, 16, upper ? UpperDigits : LowerDigits, minDigits, alignment);

    public static void Text(string text, int alignment)
    {
        Pad(alignment, text.Length);
        Console.Write(text);
        Pad(-alignment, text.Length);
    }

    public static void Character(char c, int alignment)
    {
        Pad(alignment, 1);
        Console.Write(c);
        Pad(-alignment, 1);
    }

    public static void Boolean(bool value, int alignment) => Text(value ? "True" : "False", alignment);

    private static void Number(ulong magnitude, bool negative, uint radix, string digits, int minDigits, int alignment)
    {
        int count = DigitCount(magnitude, radix);
        int shown = System.Math.Max(count, minDigits);
        int length = shown + (negative ? 1 : 0);
        Pad(alignment, length);
        if (negative)
        {
            Console.Write('-');
        }

        for (int i = count; i < shown; i++)
        {
            Console.Write('0');
        }

        Digits(magnitude, radix, digits);
        Pad(-alignment, length);
    }

    /// <summary>Spaces up to <paramref name="width"/> for an item of <paramref name="length"/> characters (none if width is not positive).</summary>
    private static void Pad(int width, int length)
    {
        for (int i = length; i < width; i++)
        {
            Console.Write(' ');
        }
    }

    private static int DigitCount(ulong value, uint radix)
    {
        int count = 1;
        while (value >= radix)
        {
            value /= radix;
            count++;
        }

        return count;
    }

    private static void Digits(ulong value, uint radix, string digits)
    {
        if (value >= radix)
        {
            Digits(value / radix, radix, digits);
        }

        Console.Write(digits[(int)(value % radix)]);
    }
}
