namespace Translator.Guest;

/// <summary>
/// An interpolated-string handler for a kernel's own methods: a parameter of this type takes <c>$"..."</c>
/// (<c>static void Log(ConsoleText text)</c>, called as <c>Log($"tick {n,8} cr3={cr3:X8}")</c>), and the text is
/// written to the console when the argument is evaluated, before the method's body runs, as .NET runs a handler's
/// appends. In guest code the kernel compiler expands the call at build time into the same console calls
/// <c>Console.Write($"...")</c> becomes (holes with alignment and D/X formats), so no string is built at run time.
/// </summary>
[System.Runtime.CompilerServices.InterpolatedStringHandler]
internal struct ConsoleText
{
    public ConsoleText(int literalLength, int formattedCount)
    {
    }

    public void AppendLiteral(string value) => Console.Write(value);

    // No nullable annotations: the library is added to projects whatever their nullable context.
    public void AppendFormatted<T>(T value) => AppendFormatted(value, 0, "");

    public void AppendFormatted<T>(T value, string format) => AppendFormatted(value, 0, format);

    public void AppendFormatted<T>(T value, int alignment) => AppendFormatted(value, alignment, "");

    public void AppendFormatted<T>(T value, int alignment, string format)
        => Console.Write(string.Format(System.Globalization.CultureInfo.InvariantCulture, "{0," + alignment + (format.Length == 0 ? "" : ":" + format) + "}", value));
}
