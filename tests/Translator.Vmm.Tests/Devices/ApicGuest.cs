using Iced.Intel;
using Translator.Tests.Shared;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests.Devices;

/// <summary>
/// Builds small guests that program the local APIC (paging off, so linear addresses are the APIC's physical ones):
/// an IDT with the handlers a test names (each ends with an EOI and IRET), a COM1 print routine, and the exit.
/// </summary>
internal static class ApicGuest
{
    public const uint Apic = 0xFEE0_0000;
    public const uint Id = 0x20, VersionRegister = 0x30, Tpr = 0x80, Ppr = 0xA0, Eoi = 0xB0, Svr = 0xF0, Isr = 0x100, Tmr = 0x180, Irr = 0x200;
    public const uint Esr = 0x280, IcrLow = 0x300, IcrHigh = 0x310, LvtTimer = 0x320, LvtLint0 = 0x350, LvtError = 0x370;
    public const uint TimerInitial = 0x380, TimerCurrent = 0x390, TimerDivide = 0x3E0;

    private const uint IdtBase = 0x3000, IdtrAddress = 0x2FF0, Stack = 0x8000;

    /// <summary>A counter per vector the handlers increment (guest memory at 0x6000 + vector * 4).</summary>
    public static uint Counter(int vector) => 0x6000u + ((uint)vector * 4);

    public static AssemblerMemoryOperand Reg(uint offset) => __dword_ptr[Apic + offset];

    /// <summary>
    /// The guest: installs <paramref name="handlers"/> (vector, code run before the EOI), runs <paramref name="body"/>,
    /// exits with value 0. Each handler also counts its interrupts at <see cref="Counter"/>.
    /// </summary>
    public static byte[] Build(Action<Assembler, Label> body, params (int Vector, Action<Assembler, Label> Handler)[] handlers)
    {
        return MultibootImage.Build(a =>
        {
            Label putc = a.CreateLabel();
            Label start = a.CreateLabel();
            Label install = a.CreateLabel();
            var trampolines = handlers.Select(_ => a.CreateLabel()).ToArray();
            a.jmp(start);

            // install: the handler's address was pushed by its trampoline's CALL; EBX is the vector. Returns to the
            // trampoline's caller (32-bit Iced code cannot load a label's absolute address directly).
            a.Label(ref install);
            a.pop(eax);
            a.mov(__word_ptr[ebx * 8 + IdtBase], ax);
            a.mov(__word_ptr[ebx * 8 + (IdtBase + 2)], 0x08);
            a.mov(__word_ptr[ebx * 8 + (IdtBase + 4)], 0x8E00); // present, DPL 0, 32-bit interrupt gate
            a.shr(eax, 16);
            a.mov(__word_ptr[ebx * 8 + (IdtBase + 6)], ax);
            a.ret();

            // putc: AL to COM1 once the transmitter holds nothing (EDX preserved).
            a.Label(ref putc);
            a.push(edx);
            a.push(eax);
            Label wait = a.CreateLabel();
            a.mov(dx, 0x3FD);
            a.Label(ref wait);
            a.@in(al, dx);
            a.test(al, 0x20);
            a.jz(wait);
            a.pop(eax);
            a.mov(dx, 0x3F8);
            a.@out(dx, al);
            a.pop(edx);
            a.ret();

            for (int i = 0; i < handlers.Length; i++)
            {
                Label trampoline = trampolines[i];
                a.Label(ref trampoline);
                a.call(install);
                a.pushad();
                a.inc(__dword_ptr[Counter(handlers[i].Vector)]);
                handlers[i].Handler(a, putc);
                a.mov(Reg(Eoi), 0);
                a.popad();
                a.iretd();
            }

            a.Label(ref start);
            a.mov(esp, Stack);
            for (int i = 0; i < handlers.Length; i++)
            {
                a.mov(ebx, handlers[i].Vector);
                a.call(trampolines[i]);
            }

            a.mov(__word_ptr[IdtrAddress], 0x7FF);
            a.mov(__dword_ptr[IdtrAddress + 2], IdtBase);
            a.lidt(__[IdtrAddress]);
            body(a, putc);
            MultibootImage.EmitExit(a, 0);
        });
    }

    /// <summary>Prints <paramref name="text"/> through putc.</summary>
    public static void Print(Assembler a, Label putc, string text)
    {
        foreach (char ch in text)
        {
            a.mov(al, (byte)ch);
            a.call(putc);
        }
    }

    /// <summary>Prints the low nibble of EAX as a hex digit (EAX clobbered).</summary>
    public static void PrintNibble(Assembler a, Label putc)
    {
        Label digit = a.CreateLabel();
        a.and(eax, 0xF);
        a.add(eax, '0');
        a.cmp(eax, '9');
        a.jbe(digit);
        a.add(eax, 'A' - '9' - 1);
        a.Label(ref digit);
        a.call(putc);
    }

    /// <summary>Prints EAX as eight hex digits.</summary>
    public static void PrintHex(Assembler a, Label putc)
    {
        a.mov(ecx, 8);
        Label next = a.CreateLabel();
        a.Label(ref next);
        a.rol(eax, 4);
        a.push(eax);
        PrintNibble(a, putc);
        a.pop(eax);
        a.dec(ecx);
        a.jnz(next);
    }

    /// <summary>A self-IPI (ICR destination shorthand "self", fixed delivery, edge) with <paramref name="vector"/>.</summary>
    public static void SelfIpi(Assembler a, int vector) => a.mov(Reg(IcrLow), 0x0004_0000u | (uint)vector);
}
