namespace Translator.Samples;
using Translator.Guest;
using Machine = Translator.Guest.Machine; // the DSL's, not the namespace Translator.Machine (referenced for the translation)

/// <summary>
/// The Popek–Goldberg holes of IA-32: unprivileged instructions that read privileged state (SGDT, SIDT, SLDT,
/// SMSW, STR, LAR, LSL, VERR, VERW, the RPL of CS) or that silently behave differently when deprivileged (POPF
/// dropping an IF change). The kernel runs every probe at ring 0, then again at ring 3: a trap-and-emulate VMM
/// never gets control for any of them, so whatever ring a deprivileged guest kernel really runs in shows through.
/// Then the kernel sets CR4.UMIP, the hardware fix for five of them: SGDT, SIDT, SLDT, SMSW and STR now fault
/// above ring 0, so a VMM that runs the kernel at ring 1 gets control and shows it its own tables again.
/// </summary>
[GuestKernel]
public static partial class Holes
{
    private const uint CallReport = 1;
    private const uint CallDone = 2;
    private const uint Cr4Umip = 1u << 11;

    [Aligned(16)]
    private static readonly uint[] UserStack = new uint[1024];

    [Entry]
    private static void Main()
    {
        Console.WriteLine("Holes: what unprivileged instructions reveal");
        Gdt.Install();
        Idt.Install();
        Pic.Remap();
        Console.WriteLine("ring 0:");
        Probe(ring3: false);
        Console.WriteLine("ring 0, CR4.UMIP set (the hardware fix: these fault above ring 0):");
        uint cr4 = Cpu.ReadCr4();
        Cpu.WriteCr4(cr4 | Cr4Umip);
        Print(1, Cpu.StoreGdtBase());
        Print(2, Cpu.StoreGdtLimit());
        Print(3, Cpu.StoreIdtBase());
        Print(4, Cpu.StoreIdtLimit());
        Print(5, Cpu.StoreLdt());
        Print(6, Cpu.StoreMachineStatusWord());
        Print(7, Cpu.StoreTaskRegister());

        Cpu.WriteCr4(cr4);
        Console.WriteLine("ring 3:");
        UserMode.Enter(Memory.AddressOf(UserProbes), Memory.AddressOf(UserStack) + 4096);
    }

    /// <summary>Runs every probe; at ring 3 results travel to the kernel through system calls.</summary>
    private static void Probe(bool ring3)
    {
        Report(ring3, 0, (uint)(Cpu.ReadCodeSegment() & 3));
        Report(ring3, 1, Cpu.StoreGdtBase());
        Report(ring3, 2, Cpu.StoreGdtLimit());
        Report(ring3, 3, Cpu.StoreIdtBase());
        Report(ring3, 4, Cpu.StoreIdtLimit());
        Report(ring3, 5, Cpu.StoreLdt());
        Report(ring3, 6, Cpu.StoreMachineStatusWord());
        Report(ring3, 7, Cpu.StoreTaskRegister());

        uint flags = Cpu.ReadFlags();
        Cpu.WriteFlags(flags ^ 0x200);
        uint changed = Cpu.ReadFlags();
        Cpu.WriteFlags(flags);
        Report(ring3, 8, (flags >> 12) & 3);
        Report(ring3, 9, (changed ^ flags) & 0x200);

        Report(ring3, 10, Cpu.LoadAccessRights(Gdt.KernelCode));
        Report(ring3, 11, Cpu.LoadAccessRights(Gdt.UserCode));
        Report(ring3, 12, Cpu.LoadSegmentLimit(Gdt.KernelData));
        Report(ring3, 13, Cpu.VerifyRead(Gdt.KernelCode) ? 1u : 0u);
        Report(ring3, 14, Cpu.VerifyWrite(Gdt.KernelData) ? 1u : 0u);
        Report(ring3, 15, Cpu.VerifyWrite(Gdt.UserData) ? 1u : 0u);
    }

    private static void Report(bool ring3, uint probe, uint value)
    {
        if (ring3)
        {
            Cpu.SystemCall(0x80, CallReport, probe, value);
        }
        else
        {
            Print(probe, value);
        }
    }

    private static void Print(uint probe, uint value)
    {
        Console.Write("  ");
        switch (probe)
        {
            case 0: Console.Write("cs rpl (current privilege)  "); break;
            case 1: Console.Write("sgdt base                   "); break;
            case 2: Console.Write("sgdt limit                  "); break;
            case 3: Console.Write("sidt base                   "); break;
            case 4: Console.Write("sidt limit                  "); break;
            case 5: Console.Write("sldt                        "); break;
            case 6: Console.Write("smsw (cr0 low word)         "); break;
            case 7: Console.Write("str                         "); break;
            case 8: Console.Write("pushf iopl                  "); break;
            case 9: Console.Write("popf changed IF             "); break;
            case 10: Console.Write("lar kernel code             "); break;
            case 11: Console.Write("lar user code               "); break;
            case 12: Console.Write("lsl kernel data             "); break;
            case 13: Console.Write("verr kernel code            "); break;
            case 14: Console.Write("verw kernel data            "); break;
            default: Console.Write("verw user data              "); break;
        }

        Console.WriteHex(value);
        Console.WriteLine();
    }

    [InterruptHandler(0x80, UserCallable = true)]
    private static void SystemCall(ref InterruptFrame frame)
    {
        if (frame.Eax == CallDone)
        {
            Machine.Exit(0);
        }

        Print(frame.Ebx, frame.Ecx);
    }

    [UserMode]
    private static void UserProbes()
    {
        Probe(ring3: true);
        Cpu.SystemCall(0x80, CallDone, 0, 0);
    }
}
