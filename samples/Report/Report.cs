namespace Translator.Samples;
using Translator.Guest;
using Machine = Translator.Guest.Machine; // the DSL's, not the namespace Translator.Machine (referenced for the translation)

/// <summary>
/// The I/O-bound kernel: a 256-line table of squares, cubes and a running checksum printed through COM1. Almost all
/// it does is console output, so it shows what each technique pays per device access: on bare metal (and under
/// hw, bt and trap) every character is a line-status read and a data write on the UART; the PV build hands each
/// string to the VMM in one console_io hypercall.
/// </summary>
[GuestKernel]
public static partial class Report
{
    private const uint Rows = 256;

    [Entry]
    private static void Main()
    {
        Console.WriteLine("Report: 256 rows of n, n^2, n^3 and a running checksum");
        Console.WriteLine("     n          n^2              n^3   checksum");
        uint checksum = 0;
        for (uint n = 1; n <= Rows; n++)
        {
            uint square = n * n;
            ulong cube = (ulong)square * n;
            checksum = (checksum << 5 | checksum >> 27) ^ (uint)cube;
            Column(n, 6);
            Column(square, 13);
            Column64(cube, 17);
            Console.Write("   ");
            Console.WriteHex(checksum);
            Console.WriteLine();
        }

        Console.Write("checksum ");
        Console.WriteHex(checksum);
        Console.WriteLine();
        Machine.Exit(0);
    }

    /// <summary><paramref name="value"/> in decimal, right-aligned in <paramref name="width"/> columns.</summary>
    private static void Column(uint value, int width)
    {
        Pad(width - Digits(value));
        Console.WriteDecimal(value);
    }

    private static void Column64(ulong value, int width)
    {
        int digits = 1;
        for (ulong rest = value / 10; rest != 0; rest /= 10)
        {
            digits++;
        }

        Pad(width - digits);
        Console.WriteDecimal(value);
    }

    private static int Digits(uint value)
    {
        int digits = 1;
        for (uint rest = value / 10; rest != 0; rest /= 10)
        {
            digits++;
        }

        return digits;
    }

    private static void Pad(int spaces)
    {
        for (int i = 0; i < spaces; i++)
        {
            Console.Write(' ');
        }
    }
}
