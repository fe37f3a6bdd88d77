using Translator.Guest;

namespace Translator.Guest.Tests;

/// <summary>
/// Interpolated strings written to the console, over operands the test patches in: every integer type with no
/// format, D, Dn, X, Xn, x, xn, positive and negative alignment (wider and narrower than the value), chars, bools,
/// strings and braces. <c>FormattingTests</c> formats the same templates with .NET and compares.
/// </summary>
[GuestKernel]
public static partial class FormattingKernel
{
    public const int Cases = 24;

    [InImage]
    private static readonly ulong[] Inputs = new ulong[Cases * 2];

    private static readonly string s_word = "guest";

    [Entry]
    private static void Run()
    {
        for (int i = 0; i < Cases; i++)
        {
            Print(Inputs[i * 2], Inputs[i * 2 + 1]);
        }

        Machine.Exit(0);
    }

    private static void Print(ulong a, ulong b)
    {
        int ia = (int)a;
        uint ua = (uint)a;
        long lb = (long)b;
        short sa = (short)a;
        ushort wb = (ushort)b;
        sbyte yb = (sbyte)b;
        byte ba = (byte)a;
        char c = (char)('A' + ua % 26);
        bool flag = (ua & 1) != 0;
        Console.WriteLine($"int {ia} [{ia,12}] [{ia,-12}] [{ia,3}] {ia:D8} {ia:d2} {ia:X} {ia:x8} [{ia,10:X4}] {ia:G}");
        Console.WriteLine($"uint {ua} [{ua,3}] {ua:D12} {ua:X2} [{ua,-11:x}] [{ua,14:D11}]");
        Console.WriteLine($"long {lb} [{lb,25}] [{lb,-22:D20}] {lb:X16} {lb:x} {lb:X3}");
        Console.WriteLine($"ulong {b} {b:X} [{b,24:D}] {b:x3} [{b,-1}]");
        Console.WriteLine($"narrow {sa} {sa:X} {wb:x} {yb} {yb:X} [{yb,-5:D3}] {ba:X2} [{ba,4}]");
        Console.WriteLine($"text [{c}] [{c,3}] [{c,-3}] [{flag}] [{flag,6}] [{flag,-7}] [{s_word,8}] [{s_word,-8}] [{s_word,2}] {{braces}}");
        Console.Write($"tick {ia,8} cr3={ua:X8} delta={lb - ia}\n");
        Console.Write(ia);
        Console.Write(' ');
        Console.Write(lb);
        Console.Write(' ');
        Console.Write(b);
        Console.Write(' ');
        Console.Write(ua);
        Console.Write(' ');
        Console.Write(flag);
        Console.WriteLine();
        Log($"log [{ia,-12:x}] {ua:D10} {lb,22} {c}{flag,6} {s_word,-7}|", sa);
        Log($"" + $"{b:X16} and {yb,4}", 0);
        Console.WriteLine(lb);
        Console.WriteLine(b);
        Console.WriteLine(ia);
        Console.WriteLine(ua);
        Console.WriteLine(c);
        Console.WriteLine(flag);
        Console.Write(s_letters);
        Console.WriteLine(s_letters);
        Console.Write(ba);
        Console.Write(sa);
        Console.Write(wb);
        Console.Write(yb);
        Console.WriteLine();
    }

    private static readonly char[] s_letters = { 'k', 'e', 'r', 'n' };

    /// <summary>A kernel's own formatted method: the text is written at the call, then the body runs.</summary>
    private static void Log(ConsoleText text, int level)
    {
        Console.Write(" level ");
        Console.Write(level);
        Console.WriteLine();
    }
}
