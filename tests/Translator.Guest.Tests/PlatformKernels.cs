using Translator.Guest;

namespace Translator.Guest.Tests;

/// <summary>An index out of range stops the guest with the panic message and debug-exit value 0x70.</summary>
[GuestKernel]
public static partial class PanicKernel
{
    private static readonly uint[] Four = new uint[4];

    [Entry]
    private static void Run()
    {
        Console.WriteLine("before");
        for (int i = 0; i <= 4; i++)
        {
            Four[i] = (uint)i;
        }

        Console.WriteLine("after");
    }
}

/// <summary>Returning from the entry point exits with debug-exit value 0.</summary>
[GuestKernel]
public static partial class ReturningKernel
{
    [Entry]
    private static void Run() => Console.WriteLine("returning");
}

/// <summary>
/// Linear and physical views of one page: with paging on, 0x40000000 maps to physical 0x01000000; what one view
/// writes the other reads, and the page fault handler sees the faulting address and error code.
/// </summary>
[GuestKernel]
public static partial class MemoryKernel
{
    private const uint Linear = 0x4000_0000;
    private const uint Physical = 0x0100_0000;
    private const uint Unmapped = 0x8000_0000;

    [Aligned(4096)]
    private static readonly uint[] Directory = new uint[1024];

    private static uint s_faultAddress;
    private static uint s_faultError;

    [Entry]
    private static void Run()
    {
        Gdt.Install();
        Idt.Install();
        uint directory = Memory.AddressOf(Directory);
        Paging.IdentityMap(directory, 32, Paging.Writable);
        Paging.MapLarge(directory, Linear, Physical, Paging.Writable);
        Paging.Enable(directory);

        Memory.Write32(Linear + 8, 0xCAFEF00D);
        Console.Write("physical read of a linear write: ");
        Console.WriteHex(Memory.ReadPhysical32(Physical + 8));
        Console.WriteLine();

        Memory.WritePhysical32(Physical + 12, 0x12345678);
        Console.Write("linear read of a physical write: ");
        Console.WriteHex(Memory.Read32(Linear + 12));
        Console.WriteLine();

        Console.Write("directory entry (accessed, dirty): ");
        Console.WriteHex(Memory.ReadPhysical32(Memory.AddressOf(Directory) + (Linear >> 22) * 4));
        Console.WriteLine();

        Memory.Write32(Unmapped + 0x10, 1);
        Console.Write("page fault at ");
        Console.WriteHex(s_faultAddress);
        Console.Write(" error ");
        Console.WriteHex(s_faultError);
        Console.WriteLine();
        Machine.Exit(0);
    }

    /// <summary>Records the fault and maps the page so that the write can be retried.</summary>
    [InterruptHandler(14)]
    private static void PageFault(ref InterruptFrame frame)
    {
        s_faultAddress = Cpu.ReadCr2();
        s_faultError = frame.ErrorCode;
        Paging.MapLarge(Memory.AddressOf(Directory), s_faultAddress, s_faultAddress, Paging.Writable);
    }
}
