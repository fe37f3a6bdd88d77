namespace Translator.Samples;
using Translator.Guest;
using Machine = Translator.Guest.Machine; // the DSL's, not the namespace Translator.Machine (referenced for the translation)

/// <summary>The smallest kernel: a greeting, a little arithmetic, and a clean exit.</summary>
[GuestKernel]
public static partial class Hello
{
    private static readonly string Greeting = "Hello from ring 0\n";

    [Entry]
    private static void Main()
    {
        Console.Write(Greeting);
        uint sum = 0;
        for (uint i = 1; i <= 1000; i++)
        {
            sum += i * i;
        }

        Console.Write("sum of squares 1..1000 = ");
        Console.WriteDecimal(sum);
        Console.Write(" (0x");
        Console.WriteHex(sum);
        Console.WriteLine(")");
        Machine.Exit(0);
    }
}
