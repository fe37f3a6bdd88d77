namespace Translator.Samples;
using Translator.Guest;
using Machine = Translator.Guest.Machine; // the DSL's, not the namespace Translator.Machine (referenced for the translation)

/// <summary>
/// The I/O-bound kernel: a 256-line table of squares, cubes and a running checksum printed through COM1. Almost all
/// it does is console output, so it shows what each technique pays per device access: on bare metal (and under
/// hw, bt and trap) every character is a line-status read and a data write on the UART; the PV build hands each
/// string to the VMM in one console_io hypercall. Its columns are interpolated strings (<c>{n,6}</c>, <c>{checksum:x8}</c>),
/// which the kernel compiler lowers at build time to the guest library's formatting calls.
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
            Console.WriteLine($"{n,6}{square,13}{cube,17}   {checksum:x8}");
        }

        Console.WriteLine($"checksum {checksum:x8}");
        Machine.Exit(0);
    }
}
