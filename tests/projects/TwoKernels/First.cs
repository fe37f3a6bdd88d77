namespace TwoKernels;
using Translator.Guest;
using Machine = Translator.Guest.Machine;

/// <summary>One of the project's two kernels: it says which it is, so a test sees which one --kernel chose.</summary>
[GuestKernel]
public static partial class First
{
    private static readonly string Name = "first kernel\n";

    [Entry]
    private static void Main()
    {
        Console.Write(Name);
        Machine.Exit(1);
    }
}
