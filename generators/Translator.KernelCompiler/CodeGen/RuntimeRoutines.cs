using System.Text;
using Iced.Intel;
using Translator.KernelCompiler.Model;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.KernelCompiler.CodeGen;

/// <summary>
/// The code every image carries besides the compiled methods: the multiboot entry, the interrupt entry stubs, the
/// out-of-range panic and 64-bit division (what libgcc's __udivdi3 family is to gcc).
/// </summary>
internal static class RuntimeRoutines
{
    /// <summary>The isa-debug-exit value of a guest panic (an index out of range): QEMU exits with 0xE1.</summary>
    public const uint PanicExitValue = 0x70;

    public const ushort KernelDataSelector = 0x10;
    private const ushort DebugExitPort = 0xF4;
    private const ushort Com1 = 0x3F8;

    public static readonly byte[] PanicMessage = Encoding.ASCII.GetBytes("\nguest panic: index out of range\n\0");

    /// <summary>Where in the boot registers' data the boot magic (EAX at entry, 0x2BADB002 from a multiboot loader) is kept.</summary>
    public const int BootMagicOffset = 0;

    /// <summary>Where in the boot registers' data the multiboot information address (EBX at entry) is kept.</summary>
    public const int BootInfoOffset = 4;

    /// <summary>
    /// Disables interrupts, keeps EAX and EBX (the multiboot magic and information address) in
    /// <paramref name="bootRegisters"/>, sets the boot stack, lets <paramref name="initialize"/> prepare data, runs the
    /// entry; returning from the entry exits with 0.
    /// </summary>
    public static void EmitStart(CodeBuffer code, Label start, Label entry, DataAddress stackTop, DataAddress bootRegisters, System.Action initialize)
    {
        Assembler a = code.A;
        code.Bind(start);
        a.cli();
        a.cld();
        code.MovAddress(ecx, bootRegisters);
        a.mov(__dword_ptr[ecx + BootMagicOffset], eax);
        a.mov(__dword_ptr[ecx + BootInfoOffset], ebx);
        code.MovAddress(esp, stackTop);
        initialize();
        a.call(entry);
        a.xor(eax, eax);
        EmitExit(code);
    }

    private static void EmitExit(CodeBuffer code)
    {
        Assembler a = code.A;
        Label halt = code.NewLabel();
        a.mov(dx, DebugExitPort);
        a.@out(dx, eax);
        code.Bind(halt);
        a.cli();
        a.hlt();
        a.jmp(halt);
    }

    /// <summary>Prints <see cref="PanicMessage"/> on COM1 (polling, as the console does) and exits.</summary>
    public static void EmitBoundsFailure(CodeBuffer code, Label failure, DataAddress message)
    {
        Assembler a = code.A;
        Label next = code.NewLabel();
        Label wait = code.NewLabel();
        Label done = code.NewLabel();
        code.Bind(failure);
        a.cli();
        code.MovAddress(esi, message);
        code.Bind(next);
        a.movzx(ecx, __byte_ptr[esi]);
        a.test(ecx, ecx);
        a.je(done);
        a.mov(dx, (ushort)(Com1 + 5));
        code.Bind(wait);
        a.@in(al, dx);
        a.test(al, 0x20);
        a.je(wait);
        a.mov(dx, Com1);
        a.mov(eax, ecx);
        a.@out(dx, al);
        a.inc(esi);
        a.jmp(next);
        code.Bind(done);
        a.mov(eax, PanicExitValue);
        EmitExit(code);
    }

    /// <summary>Whether the CPU pushes an error code for <paramref name="vector"/>.</summary>
    public static bool HasErrorCode(byte vector) => vector is 8 or (>= 10 and <= 14) or 17 or 21 or 29 or 30;

    /// <summary>
    /// The entry stub of an interrupt handler: completes the frame of <c>Translator.Guest.InterruptFrame</c>
    /// (error code, vector, PUSHAD, data segments), loads the kernel's data segments, calls the handler with a
    /// pointer to the frame if it takes one, and returns through whatever the frame then says.
    /// </summary>
    public static void EmitInterruptStub(CodeBuffer code, Label stub, byte vector, Label handler, bool passFrame)
        => EmitInterruptStub(code, stub, vector, handler, passFrame, KernelDataSelector, c => c.A.iretd());

    /// <summary>The stub with the build's kernel data selector and interrupt return (the PV build's: RPL 1, HYPERVISOR_iret).</summary>
    public static void EmitInterruptStub(CodeBuffer code, Label stub, byte vector, Label handler, bool passFrame,
        ushort dataSelector, System.Action<CodeBuffer> interruptReturn)
    {
        Assembler a = code.A;
        code.Bind(stub);
        if (!HasErrorCode(vector))
        {
            a.push(0);
        }

        a.push((int)vector);
        PushSegmentsAndLoadKernel(a, dataSelector);
        if (passFrame)
        {
            a.push(esp);
        }

        a.call(handler);
        PopSegmentsAndReturn(code, interruptReturn);
    }

    /// <summary>The frame's general registers and data segments pushed, the kernel's data selector loaded, DF clear.</summary>
    public static void PushSegmentsAndLoadKernel(Assembler a, ushort dataSelector)
    {
        a.pushad();
        a.push(ds);
        a.push(es);
        a.push(fs);
        a.push(gs);
        a.mov(ax, dataSelector);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.cld();
    }

    /// <summary>The frame popped (vector and error code dropped), then the interrupt return.</summary>
    public static void PopSegmentsAndReturn(CodeBuffer code, System.Action<CodeBuffer> interruptReturn)
    {
        Assembler a = code.A;
        a.pop(gs);
        a.pop(fs);
        a.pop(es);
        a.pop(ds);
        a.popad();
        a.add(esp, 8);
        interruptReturn(code);
    }

    /// <summary>
    /// Unsigned EDX:EAX / ECX:EBX: quotient in EDX:EAX, remainder in ECX:EBX. A divisor that fits in 32 bits uses
    /// DIV (one or two of them, so a zero divisor raises #DE as a 32-bit division does); a larger one runs restoring
    /// shift-and-subtract division over the 64 dividend bits. Clobbers ESI and EDI.
    /// </summary>
    public static void EmitUnsignedDivide64(CodeBuffer code, Label routine)
    {
        Assembler a = code.A;
        Label small = code.NewLabel();
        Label large = code.NewLabel();
        Label loop = code.NewLabel();
        Label subtract = code.NewLabel();
        Label next = code.NewLabel();

        code.Bind(routine);
        a.test(ecx, ecx);
        a.jne(large);
        a.cmp(edx, ebx);
        a.jb(small);
        a.mov(esi, eax);
        a.mov(eax, edx);
        a.xor(edx, edx);
        a.div(ebx);
        a.mov(edi, eax);
        a.mov(eax, esi);
        a.div(ebx);
        a.mov(ebx, edx);
        a.xor(ecx, ecx);
        a.mov(edx, edi);
        a.ret();

        code.Bind(small);
        a.div(ebx);
        a.mov(ebx, edx);
        a.xor(ecx, ecx);
        a.xor(edx, edx);
        a.ret();

        // The dividend shifts left through the remainder (EDI:ESI); quotient bits fill its low end.
        code.Bind(large);
        a.push(ebp);
        a.xor(esi, esi);
        a.xor(edi, edi);
        a.mov(ebp, 64);
        code.Bind(loop);
        a.shl(eax, 1);
        a.rcl(edx, 1);
        a.rcl(esi, 1);
        a.rcl(edi, 1);
        a.jb(subtract);
        a.cmp(edi, ecx);
        a.jb(next);
        a.ja(subtract);
        a.cmp(esi, ebx);
        a.jb(next);
        code.Bind(subtract);
        a.sub(esi, ebx);
        a.sbb(edi, ecx);
        a.inc(eax);
        code.Bind(next);
        a.dec(ebp);
        a.jne(loop);
        a.mov(ebx, esi);
        a.mov(ecx, edi);
        a.pop(ebp);
        a.ret();
    }

    /// <summary>Signed division on magnitudes: the quotient's sign is the XOR of the signs, the remainder's the dividend's.</summary>
    public static void EmitSignedDivide64(CodeBuffer code, Label routine, Label unsigned)
    {
        Assembler a = code.A;
        Label dividendPositive = code.NewLabel();
        Label divisorPositive = code.NewLabel();
        Label quotientPositive = code.NewLabel();
        Label remainderPositive = code.NewLabel();

        code.Bind(routine);
        a.push(edx);
        a.mov(esi, edx);
        a.xor(esi, ecx);
        a.push(esi);
        a.test(edx, edx);
        a.jns(dividendPositive);
        a.neg(eax);
        a.adc(edx, 0);
        a.neg(edx);
        code.Bind(dividendPositive);
        a.test(ecx, ecx);
        a.jns(divisorPositive);
        a.neg(ebx);
        a.adc(ecx, 0);
        a.neg(ecx);
        code.Bind(divisorPositive);
        a.call(unsigned);
        a.pop(esi);
        a.test(esi, esi);
        a.jns(quotientPositive);
        a.neg(eax);
        a.adc(edx, 0);
        a.neg(edx);
        code.Bind(quotientPositive);
        a.pop(esi);
        a.test(esi, esi);
        a.jns(remainderPositive);
        a.neg(ebx);
        a.adc(ecx, 0);
        a.neg(ecx);
        code.Bind(remainderPositive);
        a.ret();
    }
}
