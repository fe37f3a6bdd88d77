namespace Translator.Samples;
using Translator.Guest;
using Machine = Translator.Guest.Machine; // the DSL's, not the namespace Translator.Machine (referenced for the translation)

/// <summary>
/// The nanobenchmarks of Adams &amp; Agesen ("A Comparison of Software and Hardware Techniques for x86
/// Virtualization", 2006), each run <see cref="Iterations"/> times: call/ret, port in, control register write,
/// page table entry update, page fault, divide-by-zero and a ring 3 system call. The guest prints only counts;
/// what each costs under every backend comes from <c>translator run --stats</c>.
/// </summary>
[GuestKernel]
public static partial class Microbench
{
    public const uint Iterations = 1000;

    private const uint TableRegion = 0x0080_0000;
    private const uint Probe = 0x0090_0000;
    private const uint CallNull = 0;
    private const uint CallDone = 1;

    [Aligned(4096)]
    private static readonly uint[] Directory = new uint[1024];

    [Aligned(4096)]
    private static readonly uint[] Table = new uint[1024];

    [Aligned(16)]
    private static readonly uint[] UserStack = new uint[1024];

    private static uint s_pageFaults;
    private static uint s_divideFaults;
    private static uint s_systemCalls;
    private static uint s_sink;
    private static uint s_zero = 0; // a divisor the compiler cannot see is zero

    [Entry]
    private static void Main()
    {
        // Set up before the first line: each line then ends the work of one benchmark alone, which is how
        // `translator compare --html` splits the run into benchmarks (docs/report.md).
        Gdt.Install();
        Idt.Install();
        Pic.Remap();
        SetUpPaging();
        Console.Write("Microbench: 7 operations, ");
        Console.WriteDecimal(Iterations);
        Console.WriteLine(" times each");

        uint count = 0;
        for (uint i = 0; i < Iterations; i++)
        {
            Nothing();
            count++;
        }

        Result("call/ret: ", count);

        byte last = 0;
        for (uint i = 0; i < Iterations; i++)
        {
            last = Cpu.In8(0x21);
        }

        Console.Write("port in: ");
        Console.WriteDecimal(Iterations);
        Console.Write(" (last value 0x");
        Console.WriteHex((uint)last);
        Console.WriteLine(")");

        count = 0;
        for (uint i = 0; i < Iterations; i++)
        {
            Cpu.WriteCr3(Cpu.ReadCr3());
            count++;
        }

        Result("cr3 write: ", count);

        uint entry = TableAddress() + ((Probe >> 12) & 0x3FF) * 4;
        count = 0;
        for (uint i = 0; i < Iterations; i++)
        {
            Memory.Write32(entry, Memory.Read32(entry) ^ Paging.Writable);
            Cpu.InvalidatePage(Probe);
            count++;
        }

        Result("pte update: ", count);

        for (uint i = 0; i < Iterations; i++)
        {
            Paging.Unmap(TableAddress(), Probe);
            Memory.Write32(Probe, i);
        }

        Result("page fault: ", s_pageFaults);

        for (uint i = 0; i < Iterations; i++)
        {
            s_sink = 1000 / s_zero;
        }

        Result("divide error: ", s_divideFaults);
        UserMode.Enter(Memory.AddressOf(UserBench), Memory.AddressOf(UserStack) + 4096);
    }

    private static uint TableAddress() => Memory.AddressOf(Table);
    private static void Nothing()
    {
    }

    private static void Result(string name, uint count)
    {
        Console.Write(name);
        Console.WriteDecimal(count);
        Console.WriteLine();
    }

    /// <summary>Large identity pages for the first 16 MiB but one 4 MiB region in 4 KiB pages, so single pages can come and go.</summary>
    private static void SetUpPaging()
    {
        uint directory = Memory.AddressOf(Directory);
        Paging.IdentityMap(directory, 16, Paging.Writable | Paging.User);
        for (uint page = 0; page < 1024; page++)
        {
            uint linear = TableRegion + page * Paging.PageSize;
            Paging.Map(TableAddress(), linear, linear, Paging.Writable | Paging.User);
        }

        Paging.SetTable(directory, TableRegion, TableAddress(), Paging.Writable | Paging.User);
        Paging.Enable(directory);
    }

    [InterruptHandler(14)]
    private static void PageFault(ref InterruptFrame frame)
    {
        uint address = Cpu.ReadCr2();
        if ((address & 0xFFC00000) != TableRegion)
        {
            Console.Write("unexpected page fault at 0x");
            Console.WriteHex(address);
            Console.WriteLine();
            Machine.Exit(3);
        }

        Paging.Map(TableAddress(), address, address, Paging.Writable | Paging.User);
        s_pageFaults++;
    }

    /// <summary>#DE: skip the faulting <c>div r32</c> (F7 /6 with a register operand, two bytes).</summary>
    [InterruptHandler(0)]
    private static void DivideError(ref InterruptFrame frame)
    {
        if (Memory.Read8(frame.Eip) != 0xF7 || (Memory.Read8(frame.Eip + 1) & 0xC0) != 0xC0)
        {
            Console.WriteLine("unexpected divide error");
            Machine.Exit(3);
        }

        frame.Eip += 2;
        s_divideFaults++;
    }

    /// <summary>A trap gate, as Linux's int 0x80: under pv it becomes Xen's direct system-call gate (no VMM entry).</summary>
    [InterruptHandler(0x80, UserCallable = true, TrapGate = true)]
    private static void SystemCall(ref InterruptFrame frame)
    {
        if (frame.Eax == CallDone)
        {
            Result("syscall: ", s_systemCalls);
            Machine.Exit(0);
        }

        s_systemCalls++;
    }

    [UserMode]
    private static void UserBench()
    {
        for (uint i = 0; i < Iterations; i++)
        {
            Cpu.SystemCall(0x80, CallNull, i, 0);
        }

        Cpu.SystemCall(0x80, CallDone, 0, 0);
    }
}
