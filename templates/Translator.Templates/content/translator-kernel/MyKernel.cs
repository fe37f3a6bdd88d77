namespace MyKernel;

using Translator.Guest;

/// <summary>A guest kernel: booted by multiboot at 0x00100000, ring 0, paging off (docs/dsl.md says what it may use).</summary>
[GuestKernel]
public static partial class Kernel
{
    private static readonly string Greeting = "Hello from MyKernel\n";

    [Entry]
    private static void Main()
    {
        Console.Write(Greeting);
        uint sum = 0;
        for (uint i = 1; i <= 100; i++)
        {
            sum += i;
        }

        Console.Write("1 + 2 + ... + 100 = ");
        Console.WriteDecimal(sum);
        Console.WriteLine();
        // The debug-exit port: the translator (like QEMU) exits with (value << 1) | 1, here 1.
        Machine.Exit(0);
    }
}
