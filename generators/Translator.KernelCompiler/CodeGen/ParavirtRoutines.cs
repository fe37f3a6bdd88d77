using System;
using System.Collections.Generic;
using Iced.Intel;
using Translator.KernelCompiler.Intrinsics;
using Translator.Paravirt.Abi;
using static Iced.Intel.AssemblerRegisters;
using PvSharedInfo = Translator.Paravirt.Abi.SharedInfo;
using PvStartInfo = Translator.Paravirt.Abi.StartInfo;

namespace Translator.KernelCompiler.CodeGen;

/// <summary>
/// The runtime code of the PV image (the counterpart of <see cref="RuntimeRoutines"/>): the PV start routine, the
/// interrupt stubs, the event callback (upcall entry), the interrupt return they share, and the panic and exit paths
/// through hypercalls. None of it holds a privileged instruction (IRET at CPL 1 is not one: it only cannot change IF).
/// </summary>
internal static class ParavirtRoutines
{
    private const int FrameVectorOffset = 12 * 4;

    private static void MovField(CodeBuffer code, ImageSymbols symbols, string field, AssemblerRegister32 register, bool store)
    {
        DataAddress address = symbols.FieldAddress(field);
        if (store)
        {
            code.A.mov(__dword_ptr[CodeBuffer.Placeholder(address)], register);
        }
        else
        {
            code.A.mov(register, __dword_ptr[CodeBuffer.Placeholder(address)]);
        }

        code.RelocateLast(address, displacement: true);
    }

    /// <summary>
    /// Records start_info (ESI) and the shared-info page (the virtual CR3 stays 0, as at a multiboot entry), sets the boot
    /// stack, registers the event callback (set_callbacks), lets <paramref name="initialize"/> prepare data and runs
    /// the entry; returning from it exits with 0. Events stay masked (the VMM starts the kernel so).
    /// </summary>
    public static void EmitStart(CodeBuffer code, ImageSymbols symbols, Label start, Label entry, Label callback, DataAddress stackTop, Action initialize)
    {
        Assembler a = code.A;
        code.Bind(start);
        a.cld();
        MovField(code, symbols, ParavirtRuntime.StartInfo, esi, store: true);
        a.mov(eax, __dword_ptr[esi + PvStartInfo.SharedInfo]);
        MovField(code, symbols, ParavirtRuntime.SharedInfo, eax, store: true);
        code.MovAddress(esp, stackTop);
        initialize();
        a.mov(ebx, (uint)PvSelectors.Ring1Code);
        code.MovCodeAddress(ecx, callback);
        a.mov(edx, (uint)PvSelectors.Ring1Code);
        a.xor(esi, esi);
        PvLowering.Hypercall(code, symbols, HypercallNumber.SetCallbacks);
        a.call(entry);
        a.xor(eax, eax);
        EmitExit(code, symbols);
    }

    /// <summary>The console buffer flushed, the exit code in EAX to the isa-debug-exit port (physdev_op), then shutdown (poweroff) for good.</summary>
    public static void EmitExit(CodeBuffer code, ImageSymbols symbols)
    {
        Label again = code.NewLabel();
        code.A.push(eax);
        code.A.call(symbols.Function(ParavirtRuntime.FlushConsole));
        code.A.pop(eax);
        code.A.mov(ecx, eax);
        code.A.mov(eax, 0xF4);
        PvLowering.PortWrite(code, symbols, 4);
        code.Bind(again);
        PvLowering.Shutdown(code, symbols, ShutdownReason.Poweroff);
        code.A.jmp(again);
    }

    /// <summary>Prints the panic message with one console_io and exits with <see cref="RuntimeRoutines.PanicExitValue"/>.</summary>
    public static void EmitBoundsFailure(CodeBuffer code, ImageSymbols symbols, Label failure, DataAddress message)
    {
        Assembler a = code.A;
        code.Bind(failure);
        a.call(symbols.Function(ParavirtRuntime.FlushConsole));
        a.mov(ebx, ConsoleIoCommand.Write);
        a.mov(ecx, (uint)(RuntimeRoutines.PanicMessage.Length - 1));
        code.MovAddress(edx, message);
        PvLowering.Hypercall(code, symbols, HypercallNumber.ConsoleIo);
        a.mov(eax, RuntimeRoutines.PanicExitValue);
        EmitExit(code, symbols);
    }

    /// <summary>As the bare-metal stub, but the kernel's data selector has RPL 1 and the return is the PV interrupt return.</summary>
    public static void EmitInterruptStub(CodeBuffer code, ImageSymbols symbols, Label stub, byte vector, Label handler, bool passFrame)
        => RuntimeRoutines.EmitInterruptStub(code, stub, vector, handler, passFrame, ParavirtRuntime.KernelDataSelector, c => PvLowering.Iret(c, symbols));

    /// <summary>
    /// The return from every frame (interrupt stubs, the event callback, the entry to user mode), as Linux's xen_iret:
    /// IRET at CPL 1 returns to ring 1 or 3 like any IRET but cannot change IF, so the frame's IF is first turned into
    /// the event mask by a byte store. When that unmasks events and one is already pending, HYPERVISOR_iret returns
    /// instead, and the VMM delivers the upcall right after it (docs/paravirt-abi.md 8.6). No hypercall otherwise.
    /// An upcall taken between the unmask and the IRET nests below the frame and comes back here, so it is harmless.
    /// </summary>
    public static void EmitInterruptReturn(CodeBuffer code, ImageSymbols symbols)
    {
        Assembler a = code.A;
        Label masked = code.NewLabel();
        Label pending = code.NewLabel();
        code.Bind(symbols.InterruptReturn);
        a.push(eax);
        PvLowering.SharedInfoTo(code, symbols, eax);
        a.test(__byte_ptr[esp + 4 + 9], 0x02); // the frame's EFLAGS.IF (bit 9), above the saved EAX
        a.je(masked);
        a.mov(__byte_ptr[eax + PvSharedInfo.UpcallMask], 0);
        a.cmp(__byte_ptr[eax + PvSharedInfo.UpcallPending], 0);
        a.jne(pending);
        a.pop(eax);
        a.iretd();
        code.Bind(masked);
        a.mov(__byte_ptr[eax + PvSharedInfo.UpcallMask], 1);
        a.pop(eax);
        a.iretd();
        code.Bind(pending);
        a.pop(eax);
        PvLowering.HypercallIret(code, symbols);
    }

    /// <summary>
    /// The event callback (set_callbacks' event address): builds the InterruptFrame an interrupt stub builds (error
    /// code 0), clears upcall_pending, takes pending_sel (xchg), and for each pending, unmasked port clears its pending
    /// bit and calls the IRQ handler bound to the port's vector (Paravirt.PortVector) with the frame, its Vector field
    /// set; loops while upcall_pending; returns through the PV interrupt return, so a handler that rewrote the frame
    /// switches tasks as on bare metal.
    /// </summary>
    public static void EmitEventCallback(CodeBuffer code, ImageSymbols symbols, Label callback, IReadOnlyList<(byte Vector, Label Handler, bool PassFrame)> irqHandlers)
    {
        Assembler a = code.A;
        Label again = code.NewLabel();
        Label nextWord = code.NewLabel();
        Label wordLoop = code.NewLabel();
        Label portLoop = code.NewLabel();
        Label done = code.NewLabel();
        Label handled = code.NewLabel();
        code.Bind(callback);
        a.push(0);
        a.push(0);
        RuntimeRoutines.PushSegmentsAndLoadKernel(a, ParavirtRuntime.KernelDataSelector);
        a.mov(ebp, esp);                     // EBP: the frame; [EBP-4]: pending_sel still to scan
        a.push(0);

        code.Bind(again);
        PvLowering.SharedInfoTo(code, symbols, ebx);
        a.mov(__byte_ptr[ebx + PvSharedInfo.UpcallPending], 0);
        a.xor(eax, eax);
        a.xchg(__dword_ptr[ebx + PvSharedInfo.PendingSel], eax);
        a.and(eax, (1 << (ParavirtRuntime.Ports / 32)) - 1);
        a.mov(__dword_ptr[ebp - 4], eax);

        code.Bind(wordLoop);
        a.mov(eax, __dword_ptr[ebp - 4]);
        a.bsf(ecx, eax);
        a.je(done);
        code.Bind(portLoop);
        PvLowering.SharedInfoTo(code, symbols, ebx);
        a.mov(ecx, __dword_ptr[ebp - 4]);
        a.bsf(ecx, ecx);
        a.mov(edx, __dword_ptr[ebx + ecx * 4 + PvSharedInfo.EvtchnMask]);
        a.not(edx);
        a.and(edx, __dword_ptr[ebx + ecx * 4 + PvSharedInfo.EvtchnPending]);
        a.bsf(edx, edx);
        a.je(nextWord);
        a.@lock.btr(__dword_ptr[ebx + ecx * 4 + PvSharedInfo.EvtchnPending], edx);
        a.shl(ecx, 5);
        a.add(ecx, edx);
        DataAddress table = symbols.FieldAddress(ParavirtRuntime.PortVector);
        a.movzx(eax, __byte_ptr[ecx + (long)CodeBuffer.Placeholder(table)]);
        code.RelocateLast(table, displacement: true);
        a.mov(__dword_ptr[ebp + FrameVectorOffset], eax);
        foreach ((byte vector, Label handler, bool passFrame) in irqHandlers)
        {
            Label other = code.NewLabel();
            a.cmp(eax, vector);
            a.jne(other);
            if (passFrame)
            {
                a.push(ebp);
            }

            a.call(handler);
            a.jmp(handled);
            code.Bind(other);
        }

        code.Bind(handled);
        a.jmp(portLoop);

        code.Bind(nextWord);
        a.btr(__dword_ptr[ebp - 4], ecx);
        a.jmp(wordLoop);

        code.Bind(done);
        PvLowering.SharedInfoTo(code, symbols, ebx);
        a.cmp(__byte_ptr[ebx + PvSharedInfo.UpcallPending], 0);
        a.jne(again);
        a.mov(esp, ebp);
        RuntimeRoutines.PopSegmentsAndReturn(code, c => PvLowering.Iret(c, symbols));
    }
}
