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
public static unsafe partial class Multitasking
{
    private const int TaskCount = 3;
    private const uint Window = 0x4000_0000;
    private const uint WindowBytes = 4 * 1024 * 1024;
    private const uint PhysicalWindows = 0x0100_0000;
    private const int BufferBytes = 256;

    private const uint CallWrite = 1;
    private const uint CallExit = 2;
    private const uint CallTaskId = 3;

    /// <summary>An IA-32 page directory: 1024 entries, here 4 MiB pages; CR3 wants it page-aligned.</summary>
    private struct PageDirectory
    {
        public fixed uint Entries[1024];
    }

    /// <summary>
    /// One task: the interrupt frame it was switched out with (what the handlers' pops and IRET restore when it is
    /// switched back in), its address space, and what it wrote and returned.
    /// </summary>
    private struct Task
    {
        public InterruptFrame Registers;
        public PageDirectory* Directory;
        public bool Finished;
        public uint Result;
        public int OutputLength;
        public fixed byte Output[BufferBytes];
    }

    [Aligned(4096)]
    private static readonly PageDirectory[] Directories = new PageDirectory[TaskCount];

    private static readonly Task[] Tasks = new Task[TaskCount];
    private static int s_current;

    [Entry]
    private static void Main()
    {
        Console.WriteLine($"Multitasking: {TaskCount} ring 3 tasks, timer preemption, one address space each");
        Gdt.Install();
        Idt.Install();
        Pic.Remap();

        fixed (PageDirectory* directories = Directories)
        {
            for (int task = 0; task < TaskCount; task++)
            {
                ref Task t = ref Tasks[task];
                t.Directory = directories + task;
                Paging.IdentityMap((uint)t.Directory, 16, Paging.Writable | Paging.User);
                Paging.MapLarge((uint)t.Directory, Window, WindowOf(task), Paging.Writable | Paging.User);
                t.Registers = new InterruptFrame
                {
                    Eip = task switch { 0 => Memory.AddressOf(Sieve), 1 => Memory.AddressOf(Collatz), _ => Memory.AddressOf(Fibonacci) },
                    Eflags = 0x202,
                    UserEsp = Window + WindowBytes,
                    Cs = Gdt.UserCode,
                    UserSs = Gdt.UserData,
                    Ds = Gdt.UserData,
                    Es = Gdt.UserData,
                    Fs = Gdt.UserData,
                    Gs = Gdt.UserData,
                };
            }
        }

        Paging.Enable((uint)Tasks[0].Directory);
        Pit.StartPeriodic(1193);
        Pic.Unmask(0);
        s_current = 0;
        UserMode.Enter(Tasks[0].Registers.Eip, Tasks[0].Registers.UserEsp);
    }

    /// <summary>The physical 4 MiB page a task sees at <see cref="Window"/>.</summary>
    private static uint WindowOf(int task) => PhysicalWindows + (uint)task * WindowBytes;

    /// <summary>Round robin over the tasks still running; when none is left, the kernel reports and exits.</summary>
    private static void SwitchTask(ref InterruptFrame frame, bool saveCurrent)
    {
        if (saveCurrent)
        {
            Tasks[s_current].Registers = frame;
        }

        for (int step = 1; step <= TaskCount; step++)
        {
            int next = (s_current + step) % TaskCount;
            if (!Tasks[next].Finished)
            {
                s_current = next;
                frame = Tasks[next].Registers;
                Cpu.WriteCr3((uint)Tasks[next].Directory);
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
        ref Task current = ref Tasks[s_current];
        switch (frame.Eax)
        {
            case CallWrite:
                if (current.OutputLength < BufferBytes)
                {
                    current.Output[current.OutputLength] = (byte)frame.Ebx;
                    current.OutputLength++;
                }

                break;
            case CallTaskId:
                frame.Eax = (uint)s_current;
                break;
            case CallExit:
                current.Result = frame.Ebx;
                current.Finished = true;
                SwitchTask(ref frame, saveCurrent: false);
                break;
        }
    }

    private static void Report()
    {
        for (int task = 0; task < TaskCount; task++)
        {
            ref Task t = ref Tasks[task];
            Console.Write($"task {task} (window {WindowOf(task):X8}): ");
            for (int i = 0; i < t.OutputLength; i++)
            {
                Console.Write((char)t.Output[i]);
            }

            Console.WriteLine($" -> {t.Result,6}");
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
