using Iced.Intel;
using Translator.KernelCompiler.CodeGen;
using Translator.Paravirt.Abi;
using static Iced.Intel.AssemblerRegisters;
using PvSharedInfo = Translator.Paravirt.Abi.SharedInfo;
using PvStartInfo = Translator.Paravirt.Abi.StartInfo;

namespace Translator.KernelCompiler.Intrinsics;

/// <summary>
/// The paravirtual lowerings written as instructions (none of them privileged): event-mask stores for CLI/STI,
/// hypercalls through the hypercall page, and the values the runtime (the guest library's Paravirt class) records.
/// Arguments arrive as for the bare-metal lowering (EAX, ECX, EDX, EBX); every register but EBP and ESP may change.
/// </summary>
internal static class PvLowering
{
    /// <summary><c>call hypercall_page + 32 * number</c> (arguments already in EBX, ECX, EDX, ESI, EDI).</summary>
    public static void Hypercall(CodeBuffer code, ImageSymbols symbols, int number)
        => code.CallData(symbols.HypercallPage with { Offset = symbols.HypercallPage.Offset + (uint)(HypercallNumber.StubBytes * number) });

    public static void Load(IntrinsicContext c, string field)
    {
        DataAddress address = c.Symbols.FieldAddress(field);
        c.A.mov(eax, __dword_ptr[CodeBuffer.Placeholder(address)]);
        c.Code.RelocateLast(address, displacement: true);
    }

    public static void Store(IntrinsicContext c, string field)
    {
        DataAddress address = c.Symbols.FieldAddress(field);
        c.A.mov(__dword_ptr[CodeBuffer.Placeholder(address)], eax);
        c.Code.RelocateLast(address, displacement: true);
    }

    /// <summary><paramref name="register"/> = the shared-info page's address (recorded by the PV start routine).</summary>
    public static void SharedInfoTo(CodeBuffer code, ImageSymbols symbols, AssemblerRegister32 register)
    {
        DataAddress address = symbols.FieldAddress(ParavirtRuntime.SharedInfo);
        code.A.mov(register, __dword_ptr[CodeBuffer.Placeholder(address)]);
        code.RelocateLast(address, displacement: true);
    }

    /// <summary>CLI: <c>evtchn_upcall_mask = 1</c>.</summary>
    public static void DisableEvents(IntrinsicContext c)
    {
        SharedInfoTo(c.Code, c.Symbols, edx);
        c.A.mov(__byte_ptr[edx + PvSharedInfo.UpcallMask], 1);
    }

    /// <summary>STI: <c>evtchn_upcall_mask = 0</c>; an event that came while masked is delivered at once (xen_version(0)).</summary>
    public static void EnableEvents(IntrinsicContext c)
    {
        SharedInfoTo(c.Code, c.Symbols, edx);
        c.A.mov(__byte_ptr[edx + PvSharedInfo.UpcallMask], 0);
        DeliverPending(c, edx);
    }

    private static void DeliverPending(IntrinsicContext c, AssemblerRegister32 shared)
    {
        Label none = c.Code.NewLabel();
        c.A.cmp(__byte_ptr[shared + PvSharedInfo.UpcallPending], 0);
        c.A.je(none);
        c.A.mov(ebx, XenVersionCommand.Version);
        c.A.xor(ecx, ecx);
        Hypercall(c.Code, c.Symbols, HypercallNumber.XenVersion);
        c.Code.Bind(none);
    }

    /// <summary>HLT: with events masked nothing can wake the vCPU (shutdown, poweroff); otherwise block until an event.</summary>
    public static void Halt(IntrinsicContext c)
    {
        Label block = c.Code.NewLabel();
        Label done = c.Code.NewLabel();
        SharedInfoTo(c.Code, c.Symbols, edx);
        c.A.cmp(__byte_ptr[edx + PvSharedInfo.UpcallMask], 0);
        c.A.je(block);
        Shutdown(c.Code, c.Symbols, ShutdownReason.Poweroff);
        c.A.jmp(done);
        c.Code.Bind(block);
        Block(c);
        c.Code.Bind(done);
    }

    public static void Shutdown(CodeBuffer code, ImageSymbols symbols, uint reason)
    {
        code.A.push(reason);
        code.A.mov(ebx, SchedOpCommand.Shutdown);
        code.A.mov(ecx, esp);
        Hypercall(code, symbols, HypercallNumber.SchedOp);
        code.A.add(esp, 4);
    }

    /// <summary>STI; HLT: sched_op(block), which unmasks events and sleeps until one is pending.</summary>
    public static void Block(IntrinsicContext c)
    {
        c.A.mov(ebx, SchedOpCommand.Block);
        c.A.xor(ecx, ecx);
        Hypercall(c.Code, c.Symbols, HypercallNumber.SchedOp);
    }

    /// <summary>IN: physdev_op(PortRead, &amp;{port, size, value}) with the block on the stack.</summary>
    public static void PortRead(IntrinsicContext c, int size)
    {
        Assembler a = c.A;
        a.sub(esp, PhysdevOpCommand.Bytes);
        a.movzx(eax, ax);
        a.or(eax, size << 16);
        a.mov(__dword_ptr[esp + PhysdevOpCommand.Port], eax);
        a.mov(__dword_ptr[esp + PhysdevOpCommand.Value], 0);
        a.mov(ebx, PhysdevOpCommand.PortRead);
        a.mov(ecx, esp);
        Hypercall(c.Code, c.Symbols, HypercallNumber.PhysdevOp);
        a.mov(eax, __dword_ptr[esp + PhysdevOpCommand.Value]);
        if (size == 1)
        {
            a.movzx(eax, al);
        }
        else if (size == 2)
        {
            a.movzx(eax, ax);
        }

        a.add(esp, PhysdevOpCommand.Bytes);
    }

    /// <summary>OUT: physdev_op(PortWrite, &amp;{port, size, value}); EAX port, ECX value.</summary>
    public static void PortWrite(IntrinsicContext c, int size)
        => PortWrite(c.Code, c.Symbols, size);

    public static void PortWrite(CodeBuffer code, ImageSymbols symbols, int size)
    {
        Assembler a = code.A;
        a.sub(esp, PhysdevOpCommand.Bytes);
        a.movzx(eax, ax);
        a.or(eax, size << 16);
        a.mov(__dword_ptr[esp + PhysdevOpCommand.Port], eax);
        a.mov(__dword_ptr[esp + PhysdevOpCommand.Value], ecx);
        a.mov(ebx, PhysdevOpCommand.PortWrite);
        a.mov(ecx, esp);
        Hypercall(code, symbols, HypercallNumber.PhysdevOp);
        a.add(esp, PhysdevOpCommand.Bytes);
    }

    /// <summary>CR2: <c>vcpu_info[0].arch.cr2</c>, where the VMM puts a bounced page fault's address.</summary>
    public static void ReadCr2(IntrinsicContext c)
    {
        SharedInfoTo(c.Code, c.Symbols, eax);
        c.A.mov(eax, __dword_ptr[eax + PvSharedInfo.Cr2]);
    }

    public static void StoreMachineStatusWord(IntrinsicContext c)
    {
        DataAddress address = c.Symbols.FieldAddress(ParavirtRuntime.Cr0);
        c.A.movzx(eax, __word_ptr[CodeBuffer.Placeholder(address)]);
        c.Code.RelocateLast(address, displacement: true);
    }

    /// <summary>The far return of ReloadSegments, with RPL 0 selectors made RPL 1 (the kernel's ring).</summary>
    public static void ReloadSegments(IntrinsicContext c)
    {
        Assembler a = c.A;
        Label codeDone = c.Code.NewLabel();
        Label dataDone = c.Code.NewLabel();
        a.test(al, 3);
        a.jne(codeDone);
        a.or(eax, 1);
        c.Code.Bind(codeDone);
        a.test(cl, 3);
        a.jne(dataDone);
        a.or(ecx, 1);
        c.Code.Bind(dataDone);
        IntrinsicTable.ReloadSegments(c);
    }

    /// <summary>The IRET frame of EnterUserMode (IF set), returned through as every frame is (<see cref="Iret"/>).</summary>
    public static void EnterUserMode(IntrinsicContext c)
    {
        IntrinsicTable.PushUserModeFrame(c);
        Iret(c.Code, c.Symbols);
    }

    /// <summary>Returns through the frame at ESP: a jump to the build's interrupt return (real IRET, or HYPERVISOR_iret when an event is due).</summary>
    public static void Iret(CodeBuffer code, ImageSymbols symbols) => code.A.jmp(symbols.InterruptReturn);

    /// <summary><c>jmp hypercall_page + 32 * 23</c>: HYPERVISOR_iret with the frame at ESP (its stub pushes EAX).</summary>
    public static void HypercallIret(CodeBuffer code, ImageSymbols symbols)
        => code.JumpData(symbols.HypercallPage with { Offset = symbols.HypercallPage.Offset + (uint)(HypercallNumber.StubBytes * HypercallNumber.Iret) });

    /// <summary>PUSHFD, with IF replaced by !upcall_mask when the kernel (CPL 1) reads it.</summary>
    public static void ReadFlags(IntrinsicContext c)
    {
        Assembler a = c.A;
        Label done = c.Code.NewLabel();
        a.pushfd();
        a.pop(eax);
        a.mov(ecx, cs);
        a.and(ecx, 3);
        a.cmp(ecx, 1);
        a.jne(done);
        a.and(eax, ~0x200);
        SharedInfoTo(c.Code, c.Symbols, edx);
        a.cmp(__byte_ptr[edx + PvSharedInfo.UpcallMask], 0);
        a.jne(done);
        a.or(eax, 0x200);
        c.Code.Bind(done);
    }

    /// <summary>POPFD (which cannot change the real IF at CPL 1), and at CPL 1 IF becomes !upcall_mask.</summary>
    public static void WriteFlags(IntrinsicContext c)
    {
        Assembler a = c.A;
        Label done = c.Code.NewLabel();
        a.push(eax);
        a.popfd();
        a.mov(ecx, cs);
        a.and(ecx, 3);
        a.cmp(ecx, 1);
        a.jne(done);
        SharedInfoTo(c.Code, c.Symbols, edx);
        a.test(eax, 0x200);
        a.sete(cl);
        a.mov(__byte_ptr[edx + PvSharedInfo.UpcallMask], cl);
        a.jne(done);
        DeliverPending(c, edx);
        c.Code.Bind(done);
    }

    /// <summary>CS, with the kernel's RPL 1 reported as 0.</summary>
    public static void ReadCodeSegment(IntrinsicContext c)
    {
        Assembler a = c.A;
        Label done = c.Code.NewLabel();
        a.mov(eax, cs);
        a.movzx(eax, ax);
        a.mov(ecx, eax);
        a.and(ecx, 3);
        a.cmp(ecx, 1);
        a.jne(done);
        a.and(eax, ~3);
        c.Code.Bind(done);
    }

    /// <summary>LAR, with the kernel descriptors' DPL 1 reported as 0.</summary>
    public static void LoadAccessRights(IntrinsicContext c)
    {
        Assembler a = c.A;
        Label done = c.Code.NewLabel();
        a.mov(ecx, eax);
        a.xor(eax, eax);
        a.lar(eax, ecx);
        a.jne(done);
        a.mov(ecx, eax);
        a.and(ecx, 0x6000);
        a.cmp(ecx, 0x2000);
        a.jne(done);
        a.and(eax, ~0x6000);
        c.Code.Bind(done);
    }

    /// <summary>KernelImage.End: start_info.first_free_pfn * 4096, past the boot tables and pages the VMM placed.</summary>
    public static void ImageEnd(IntrinsicContext c)
    {
        Load(c, ParavirtRuntime.StartInfo);
        c.A.mov(eax, __dword_ptr[eax + PvStartInfo.FirstFreePfn]);
        c.A.shl(eax, 12);
    }
}
