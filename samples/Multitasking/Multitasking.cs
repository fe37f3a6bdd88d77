namespace Translator.Samples;
using Translator.Guest;
using Machine = Translator.Guest.Machine; // the DSL's, not the namespace Translator.Machine (referenced for the translation)

/// <summary>
/// Three ring 3 tasks preempted by the timer, each in its own address space (one page directory per task, CR3
/// switched on every task switch), talking to the kernel through system calls on vector 0x80. Every task sees its
/// private 4 MiB window at the same linear address. Output depends only on what the tasks compute, never on where
/// the timer preempted them: tasks write into per-task buffers and the kernel prints them in task order at the end.
/// </summary>
[GuestKernel]
public static partial class Multitasking
{
    private const int TaskCount = 3;
    private const uint Window = 0x4000_0000;
    private const uint WindowBytes = 4 * 1024 * 1024;
    private const uint PhysicalWindows = 0x0100_0000;
    private const int BufferBytes = 256;

    private const uint CallWrite = 1;
    private const uint CallExit = 2;
    private const uint CallTaskId = 3;

    // Saved state of each task: the interrupt frame fields IRET and the general registers need.
    private const int SavedWords = 12;

    [Aligned(4096)]
    private static readonly uint[] Directories = new uint[TaskCount * 1024];

    private static readonly uint[] Saved = new uint[TaskCount * SavedWords];
    private static readonly bool[] Finished = new bool[TaskCount];
    private static readonly uint[] Results = new uint[TaskCount];
    private static readonly byte[] Buffers = new byte[TaskCount * BufferBytes];
    private static readonly int[] BufferLengths = new int[TaskCount];
    private static int s_current;

    [Entry]
    private static void Main()
    {
        Console.WriteLine("Multitasking: 3 ring 3 tasks, timer preemption, one address space each");
        Gdt.Install();
        Idt.Install();
        Pic.Remap();

        for (int task = 0; task < TaskCount; task++)
        {
            uint directory = DirectoryOf(task);
            Paging.IdentityMap(directory, 16, Paging.Writable | Paging.User);
            Paging.MapLarge(directory, Window, PhysicalWindows + (uint)task * WindowBytes, Paging.Writable | Paging.User);
            InitialState(task);
        }

        Paging.Enable(DirectoryOf(0));
        Pit.StartPeriodic(1193);
        Pic.Unmask(0);
        s_current = 0;
        UserMode.Enter(Saved[Slot(0, 8)], Saved[Slot(0, 10)]);
    }

    private static uint DirectoryOf(int task) => Memory.AddressOf(Directories) + (uint)task * 4096;

    private static int Slot(int task, int word) => task * SavedWords + word;

    private static void InitialState(int task)
    {
        for (int word = 0; word < SavedWords; word++)
        {
            Saved[Slot(task, word)] = 0;
        }

        uint entry = task == 0 ? Memory.AddressOf(Sieve) : task == 1 ? Memory.AddressOf(Collatz) : Memory.AddressOf(Fibonacci);
        Saved[Slot(task, 8)] = entry;
        Saved[Slot(task, 9)] = 0x202;
        Saved[Slot(task, 10)] = Window + WindowBytes;
    }

    private static void Save(ref InterruptFrame frame, int task)
    {
        Saved[Slot(task, 0)] = frame.Eax;
        Saved[Slot(task, 1)] = frame.Ebx;
        Saved[Slot(task, 2)] = frame.Ecx;
        Saved[Slot(task, 3)] = frame.Edx;
        Saved[Slot(task, 4)] = frame.Esi;
        Saved[Slot(task, 5)] = frame.Edi;
        Saved[Slot(task, 6)] = frame.Ebp;
        Saved[Slot(task, 8)] = frame.Eip;
        Saved[Slot(task, 9)] = frame.Eflags;
        Saved[Slot(task, 10)] = frame.UserEsp;
    }

    private static void Restore(ref InterruptFrame frame, int task)
    {
        frame.Eax = Saved[Slot(task, 0)];
        frame.Ebx = Saved[Slot(task, 1)];
        frame.Ecx = Saved[Slot(task, 2)];
        frame.Edx = Saved[Slot(task, 3)];
        frame.Esi = Saved[Slot(task, 4)];
        frame.Edi = Saved[Slot(task, 5)];
        frame.Ebp = Saved[Slot(task, 6)];
        frame.Eip = Saved[Slot(task, 8)];
        frame.Eflags = Saved[Slot(task, 9)];
        frame.UserEsp = Saved[Slot(task, 10)];
        frame.Cs = Gdt.UserCode;
        frame.UserSs = Gdt.UserData;
        frame.Ds = Gdt.UserData;
        frame.Es = Gdt.UserData;
        frame.Fs = Gdt.UserData;
        frame.Gs = Gdt.UserData;
    }

    /// <summary>Round robin over the tasks still running; when none is left, the kernel reports and exits.</summary>
    private static void SwitchTask(ref InterruptFrame frame, bool saveCurrent)
    {
        if (saveCurrent)
        {
            Save(ref frame, s_current);
        }

        for (int step = 1; step <= TaskCount; step++)
        {
            int next = (s_current + step) % TaskCount;
            if (!Finished[next])
            {
                s_current = next;
                Restore(ref frame, next);
                Cpu.WriteCr3(DirectoryOf(next));
                return;
            }
        }

        Report();
    }

    [InterruptHandler(0x20)]
    private static void Timer(ref InterruptFrame frame)
    {
        Pic.EndOfInterrupt(0);
        SwitchTask(ref frame, saveCurrent: true);
    }

    [InterruptHandler(0x80, UserCallable = true)]
    private static void SystemCall(ref InterruptFrame frame)
    {
        switch (frame.Eax)
        {
            case CallWrite:
                int length = BufferLengths[s_current];
                if (length < BufferBytes)
                {
                    Buffers[s_current * BufferBytes + length] = (byte)frame.Ebx;
                    BufferLengths[s_current] = length + 1;
                }

                break;
            case CallTaskId:
                frame.Eax = (uint)s_current;
                break;
            case CallExit:
                Results[s_current] = frame.Ebx;
                Finished[s_current] = true;
                SwitchTask(ref frame, saveCurrent: false);
                break;
        }
    }

    private static void Report()
    {
        for (int task = 0; task < TaskCount; task++)
        {
            Console.Write("task ");
            Console.WriteDecimal(task);
            Console.Write(": ");
            for (int i = 0; i < BufferLengths[task]; i++)
            {
                Console.Write((char)Buffers[task * BufferBytes + i]);
            }

            Console.Write(" -> ");
            Console.WriteDecimal(Results[task]);
            Console.WriteLine();
        }

        Console.WriteLine("all tasks finished");
        Machine.Exit(0);
    }

    [UserMode]
    private static void Print(string text)
    {
        foreach (char c in text)
        {
            Cpu.SystemCall(0x80, CallWrite, c, 0);
        }
    }

    [UserMode]
    private static void Finish(uint result) => Cpu.SystemCall(0x80, CallExit, result, 0);

    /// <summary>Fills the task's private window with its id and checks that no other task's writes showed through.</summary>
    [UserMode]
    private static bool WindowIsPrivate(uint rounds)
    {
        uint id = Cpu.SystemCall(0x80, CallTaskId, 0, 0);
        bool intact = true;
        for (uint round = 0; round < rounds; round++)
        {
            for (uint offset = 0; offset < 64 * 1024; offset += 4096)
            {
                Memory.Write32(Window + offset, id * 0x01010101 + round);
            }

            for (uint offset = 0; offset < 64 * 1024; offset += 4096)
            {
                intact &= Memory.Read32(Window + offset) == id * 0x01010101 + round;
            }
        }

        return intact;
    }

    [UserMode]
    private static void Sieve()
    {
        Print("sieve");
        uint count = 0;
        for (uint n = 2; n < 30000; n++)
        {
            bool prime = true;
            for (uint d = 2; d * d <= n; d++)
            {
                if (n % d == 0)
                {
                    prime = false;
                    break;
                }
            }

            if (prime)
            {
                count++;
            }
        }

        Print(WindowIsPrivate(200) ? ", window private" : ", WINDOW SHARED");
        Finish(count);
    }

    [UserMode]
    private static void Collatz()
    {
        Print("collatz");
        uint longest = 0;
        for (uint start = 1; start < 20000; start++)
        {
            uint steps = 0;
            ulong n = start;
            while (n != 1)
            {
                n = (n & 1) == 0 ? n / 2 : n * 3 + 1;
                steps++;
            }

            if (steps > longest)
            {
                longest = steps;
            }
        }

        Print(WindowIsPrivate(200) ? ", window private" : ", WINDOW SHARED");
        Finish(longest);
    }

    [UserMode]
    private static void Fibonacci()
    {
        Print("fibonacci");
        Print(WindowIsPrivate(200) ? ", window private" : ", WINDOW SHARED");
        Finish(Fib(24));
    }

    [UserMode]
    private static uint Fib(uint n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);
}
