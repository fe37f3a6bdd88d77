using Iced.Intel;
using Translator.Machine.Cpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Machine.Tests.Instructions;

/// <summary>
/// Virtual-8086 mode details from the SDM (Vol. 3 ch. 20; docs/virtual-8086.md) that the vm86 guest does not reach:
/// the checks of IRET to v86 mode and of a handler's code segment, the ring-0 frame, SP wrapping, string
/// instructions backwards and with REPNE, and the I/O bitmap at IOPL 3.
/// </summary>
public sealed class Virtual8086Tests
{
    private const ushort CodeSegment = 0x3000, StackSegment = 0x4000;
    private const uint Ring0Stack = 0x8000, TssBase = 0x0C00;
    private const uint VmFlag = 0x2_0000, Iopl3 = 0x3000;

    /// <summary>A harness with a TSS (ring-0 stack at <see cref="Ring0Stack"/>, no I/O bitmap) and a DPL-3 code segment at 0x20.</summary>
    private static CpuHarness WithTss()
    {
        var h = new CpuHarness();
        h.Memory.Write32(CpuHarness.GdtBase + 24, (TssBase << 16) | 0x67);
        h.Memory.Write32(CpuHarness.GdtBase + 28, 0x0000_8900);
        h.Memory.Write32(CpuHarness.GdtBase + 32, 0x0000_FFFF);
        h.Memory.Write32(CpuHarness.GdtBase + 36, 0x00CF_FA00);
        h.Cpu.GdtLimit = 0x27;
        h.Memory.Write32(TssBase + 4, Ring0Stack);
        h.Memory.Write32(TssBase + 8, 0x10);
        h.Memory.Write16(TssBase + 0x66, 0x68); // the bitmap would start past the limit: every port denied
        h.Cpu.TaskRegister = 0x18;
        h.Cpu.TssBase = TssBase;
        h.Cpu.TssLimit = 0x67;
        return h;
    }

    /// <summary>Places 16-bit <paramref name="code"/> at 3000:0000 and enters it by IRET with <paramref name="flags"/> (VM added).</summary>
    private static void EnterV86(CpuHarness h, Action<Assembler> code, uint flags, uint eip = 0)
    {
        var v86 = new Assembler(16);
        code(v86);
        var stream = new MemoryStream();
        v86.Assemble(new StreamCodeWriter(stream), 0);
        stream.ToArray().CopyTo(h.Memory.Span((uint)CodeSegment << 4, (int)stream.Length));
        h.Load(a =>
        {
            a.push(0x5555); // GS
            a.push(0x4444); // FS
            a.push(0x3333); // DS
            a.push(0x2222); // ES
            a.push(StackSegment);
            a.push(0x1000); // ESP
            a.push(flags | VmFlag | 2);
            a.push(CodeSegment);
            a.push(eip);
            a.iretd();
        });
    }

    [Fact]
    public void IretToV86WithEipPastTheSegmentLimitIsGpInProtectedMode()
    {
        CpuHarness h = WithTss();
        EnterV86(h, a => a.nop(), 0, eip: 0x1_0000);
        h.Run();
        Assert.Equal((int)ExceptionVector.GeneralProtection, h.RaisedVector);
        Assert.Equal(0u, h.FaultErrorCode);
        Assert.Equal(0u, h.Cpu.EFlagsValue & VmFlag);
        Assert.Equal(0x08, h.Cpu.Selectors[(int)SegmentRegister.CS]);
    }

    [Fact]
    public void AnEventToAHandlerThatIsNotRingZeroIsGpWithItsSelectorAndTheFrameGoesOnTheRingZeroStack()
    {
        CpuHarness h = WithTss();
        // INT3's gate (DPL 3, as software interrupts need) names the DPL-3 code segment: #GP(0x20) from v86 mode.
        h.Memory.Write32(CpuHarness.IdtBase + 3 * 8, (0x23u << 16) | 0x2006);
        h.Memory.Write32(CpuHarness.IdtBase + 3 * 8 + 4, 0x0000_EE00);
        EnterV86(h, a =>
        {
            a.mov(ax, 0x1234);
            a.int3();
        }, 0);
        h.Run();
        Assert.Equal((int)ExceptionVector.GeneralProtection, h.RaisedVector);
        uint esp = h.Reg(X86Cpu.ESP);
        Assert.Equal(Ring0Stack - 40, esp);
        uint[] frame = Enumerable.Range(0, 10).Select(i => h.Memory.Read32(esp + (uint)(i * 4))).ToArray();
        // error code, EIP (the INT3), CS, EFLAGS (VM set), ESP, SS, ES, DS, FS, GS
        Assert.Equal(new uint[] { 0x20, 3, CodeSegment, VmFlag | 2, 0x1000, StackSegment, 0x2222, 0x3333, 0x4444, 0x5555 }, frame);
        Assert.Equal(0u, h.Cpu.EFlagsValue & VmFlag);
        Assert.Equal(0, h.Cpu.Cpl);
        foreach (SegmentRegister s in new[] { SegmentRegister.DS, SegmentRegister.ES, SegmentRegister.FS, SegmentRegister.GS })
        {
            Assert.Equal(0, h.Cpu.Selectors[(int)s]);
        }

        Assert.Equal(0x1234u, h.Reg(X86Cpu.EAX) & 0xFFFF);
    }

    [Fact]
    public void PushAtSpZeroWrapsToTheTopOfTheStackSegment()
    {
        CpuHarness h = WithTss();
        EnterV86(h, a =>
        {
            a.xor(sp, sp);
            a.mov(ax, 0xBEEF);
            a.push(ax);
            a.hlt(); // #GP: privileged
        }, 0);
        h.Run();
        Assert.Equal((int)ExceptionVector.GeneralProtection, h.RaisedVector);
        Assert.Equal(0xBEEF, h.Memory.Read16(((uint)StackSegment << 4) + 0xFFFE));
        Assert.Equal(0xFFFEu, h.Memory.Read32(h.Reg(X86Cpu.ESP) + 16)); // the pushed ESP: only SP moved, and it wrapped
    }

    [Fact]
    public void StringInstructionsUseDsSiAndEsDiBackwardsAndRepneStopsAtTheMatch()
    {
        CpuHarness h = WithTss();
        h.Memory.Write32(0x3333 << 4, 0x4433_2211);
        h.Memory.Write16((0x3333 << 4) + 4, 0x6655);
        EnterV86(h, a =>
        {
            a.std();
            a.mov(si, 4);
            a.mov(di, 0x104);
            a.mov(cx, 3);
            a.rep.movsw();           // DS:0000-0005 -> ES:0100-0105, last word first
            a.cld();
            a.mov(di, 0x100);
            a.mov(al, 0x44);
            a.mov(cx, 6);
            a.repne.scasb();         // stops after ES:0103
            a.hlt();
        }, 0);
        h.Run();
        Assert.Equal(0x4433_2211u, h.Memory.Read32((0x2222u << 4) + 0x100));
        Assert.Equal(0x6655, h.Memory.Read16((0x2222u << 4) + 0x104));
        Assert.Equal(0x104u, h.Reg(X86Cpu.EDI) & 0xFFFF);
        Assert.Equal(2u, h.Reg(X86Cpu.ECX) & 0xFFFF);
        Assert.Equal(0xFFFEu, h.Reg(X86Cpu.ESI) & 0xFFFF); // 4 - 3 * 2, wrapped at 16 bits
    }

    [Fact]
    public void EnterBuildsANestedFrameOnSsSpAndLeaveUndoesIt()
    {
        CpuHarness h = WithTss();
        EnterV86(h, a =>
        {
            a.mov(sp, 0x200);
            a.mov(bp, 0x300);
            a.mov(__word_ptr[bp - 2], 0x1111);    // the caller's display entry (SS: BP-relative)
            a.enter(6, 2);                          // push BP, copy one display entry, push the frame, reserve 6
            a.mov(bx, sp);
            a.mov(dx, bp);
            a.leave();
            a.hlt();
        }, 0);
        h.Run();
        uint ss = (uint)StackSegment << 4;
        Assert.Equal(0x1FEu, h.Reg(X86Cpu.EDX) & 0xFFFF);            // BP = the frame: SP after pushing BP
        Assert.Equal(0x1FAu - 6, h.Reg(X86Cpu.EBX) & 0xFFFF);        // two more words, then 6 bytes
        Assert.Equal(0x300, h.Memory.Read16(ss + 0x1FE));
        Assert.Equal(0x1111, h.Memory.Read16(ss + 0x1FC));
        Assert.Equal(0x1FE, h.Memory.Read16(ss + 0x1FA));
        Assert.Equal(0x300u, h.Reg(X86Cpu.EBP) & 0xFFFF);            // LEAVE: SP = BP, BP popped
        Assert.Equal(0x200u, h.Memory.Read32(h.Reg(X86Cpu.ESP) + 16)); // SP back where it was (the #GP frame's ESP)
    }

    /// <summary>CPUID does not report VME, and a guest that sets CR4.VME anyway is stopped by name, not given VME=0 semantics.</summary>
    [Fact]
    public void VmeIsNotReportedAndEnteringV86WithCr4VmeStopsByName()
    {
        var probe = new CpuHarness();
        probe.Execute(a =>
        {
            a.mov(eax, 1);
            a.cpuid();
        });
        Assert.Equal(0u, probe.Reg(X86Cpu.EDX) & 2);
        CpuHarness h = WithTss();
        h.Cpu.Cr4 |= 1;
        EnterV86(h, a => a.nop(), 0);
        var stop = Assert.Throws<UnsupportedGuestOperationException>(() => h.Run());
        Assert.Contains("CR4.VME", stop.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PortAccessAtIoplThreeStillNeedsTheBitmap()
    {
        CpuHarness h = WithTss();
        EnterV86(h, a =>
        {
            a.cli();                  // IOPL 3: allowed
            a.@in(al, 0x80);          // no bitmap in the TSS: #GP(0)
        }, Iopl3 | 0x200);
        h.Run();
        Assert.Equal((int)ExceptionVector.GeneralProtection, h.RaisedVector);
        Assert.Equal(0u, h.FaultErrorCode);
        Assert.Equal(1u, h.Memory.Read32(h.Reg(X86Cpu.ESP) + 4)); // the IN, after the one-byte CLI
        Assert.Equal(VmFlag | Iopl3 | 2, h.Memory.Read32(h.Reg(X86Cpu.ESP) + 12)); // IF cleared by CLI in v86 mode
    }
}
