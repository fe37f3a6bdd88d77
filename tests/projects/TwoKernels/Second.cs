namespace TwoKernels;
using Translator.Guest;
using Machine = Translator.Guest.Machine;

/// <summary>One of the project's two kernels: it says which it is, so a test sees which one --kernel chose.</summary>
[GuestKernel]
public static partial class Second
{
    private static readonly string Name = "second kernel\n";

    [Entry]
    private static void Main()
    {
        Console.Write(Name);
        Machine.Exit(2);
    }
}
