using Iced.Intel;
using Translator.Tests.Shared;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests.Hosting;

/// <summary>Small guests for the host's tests: well-behaved ones that compute and print, and hostile ones.</summary>
internal static class HostGuests
{
    private const uint Stack = 0x9_0000;

    /// <summary>Counts forever, printing a letter every 4096 iterations (a VM that always wants the CPU).</summary>
    public static readonly byte[] Spinner = MultibootImage.Build(a => Counting(a, iterations: 0));

    /// <summary>Counts to <paramref name="iterations"/>, printing a letter every 4096, then exits with value 0.</summary>
    public static byte[] Worker(uint iterations) => MultibootImage.Build(a => Counting(a, iterations));

    /// <summary>A PV guest that computes forever (no console: its share is what it shows).</summary>
    public static readonly byte[] PvSpinner = PvTestImage.Build((a, _) =>
    {
        Label top = a.CreateLabel();
        a.Label(ref top);
        a.imul(eax, eax, 3);
        a.add(eax, 7);
        a.jmp(top);
    });

    /// <summary>A PV guest that calls xen_version(0) and sched_op(yield) in an endless loop.</summary>
    public static readonly byte[] PvHypercallFlood = PvTestImage.Build((a, _) =>
    {
        Label top = a.CreateLabel();
        a.Label(ref top);
        PvTestImage.Hypercall(a, 17);
        PvTestImage.Hypercall(a, 29, b: 0);
        a.jmp(top);
    });

    /// <summary>The hostile bare-metal guests of issue 13, by name.</summary>
    public static byte[] Hostile(string kind) => MultibootImage.Build(a =>
    {
        a.mov(esp, Stack);
        Label top = a.CreateLabel();
        switch (kind)
        {
            case "spin-cli":
                a.cli();
                a.Label(ref top);
                a.jmp(top);
                break;
            case "triple-fault":
                a.ud2(); // the IDT at 0 is all zeros: not present, #NP, #DF, shutdown
                break;
            case "exception-loop":
                Gate(a, 6, h =>
                {
                    h.mov(esp, Stack);
                    h.ud2(); // the #UD handler is itself a #UD, forever
                });
                a.ud2();
                break;
            case "page-fault-storm":
                Gate(a, 14, h =>
                {
                    h.mov(esp, Stack);
                    h.jmp(top);
                });
                a.mov(__dword_ptr[0x8_0000], 0x83u); // one 4 MiB identity page; everything else not present
                a.mov(eax, cr4);
                a.or(eax, 0x10);
                a.mov(cr4, eax);
                a.mov(eax, 0x8_0000u);
                a.mov(cr3, eax);
                a.mov(eax, cr0);
                a.or(eax, 0x8000_0000);
                a.mov(cr0, eax);
                a.Label(ref top);
                a.mov(eax, __dword_ptr[0x4000_0000]);
                a.jmp(top);
                break;
            case "port-flood":
                a.Label(ref top);
                a.mov(dx, 0x3F8);
                a.mov(al, (byte)'#');
                a.@out(dx, al);
                a.@out(0x80, al);
                a.@in(al, 0x71);
                a.mov(dx, 0x1234);
                a.@in(eax, dx);
                a.jmp(top);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    });

    public static readonly string[] HostileKinds = ["spin-cli", "triple-fault", "exception-loop", "page-fault-storm", "port-flood"];

    /// <summary>
    /// Writes an interrupt gate for <paramref name="vector"/> into the boot IDT (at physical 0) pointing at the handler
    /// <paramref name="handler"/> emits (its address is the return address of a call over it).
    /// </summary>
    public static void Gate(Assembler a, int vector, Action<Assembler> handler)
    {
        Label setup = a.CreateLabel();
        a.call(setup);
        handler(a);
        a.Label(ref setup);
        a.pop(eax);
        a.mov(__word_ptr[vector * 8], ax);
        a.mov(__word_ptr[(vector * 8) + 2], 0x08);
        a.mov(__word_ptr[(vector * 8) + 4], 0x8E00);
        a.shr(eax, 16);
        a.mov(__word_ptr[(vector * 8) + 6], ax);
    }

    private static void Counting(Assembler a, uint iterations)
    {
        Label top = a.CreateLabel();
        Label quiet = a.CreateLabel();
        a.mov(esp, Stack);
        a.xor(ecx, ecx);
        a.Label(ref top);
        a.inc(ecx);
        a.test(ecx, 0xFFF);
        a.jnz(quiet);
        a.mov(eax, ecx);
        a.shr(eax, 12);
        a.and(eax, 15);
        a.add(eax, 'a');
        a.mov(dx, 0x3F8);
        a.@out(dx, al);
        a.Label(ref quiet);
        if (iterations == 0)
        {
            a.jmp(top);
            return;
        }

        a.cmp(ecx, iterations);
        a.jne(top);
        MultibootImage.EmitExit(a, 0);
    }
}
