using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>Control transfer: JMP/Jcc/CALL/RET (near and far), LOOP family, JECXZ.</summary>
internal static unsafe class InstFlow
{
    public static void Register(InstructionTableBuilder t)
    {
        t.Add(Mnemonic.Jmp, &Jmp);
        t.Add(Mnemonic.Call, &Call);
        t.Add(Mnemonic.Ret, &Ret);
        t.Add(Mnemonic.Retf, &RetFar);
        t.Add(Mnemonic.Loop, &Loop);
        t.Add(Mnemonic.Loope, &Loope);
        t.Add(Mnemonic.Loopne, &Loopne);
        t.Add(Mnemonic.Jecxz, &Jecxz);
        t.Add(Mnemonic.Jcxz, &Jcxz);
        foreach (Mnemonic m in InstMove.ConditionalMnemonics("J"))
        {
            t.Add(m, &Jcc);
        }

        t.Add(Code.Jmp_ptr1616, &JmpFar);
        t.Add(Code.Jmp_ptr1632, &JmpFar);
        t.Add(Code.Jmp_m1616, &JmpFar);
        t.Add(Code.Jmp_m1632, &JmpFar);
        t.Add(Code.Call_ptr1616, &CallFar);
        t.Add(Code.Call_ptr1632, &CallFar);
        t.Add(Code.Call_m1616, &CallFar);
        t.Add(Code.Call_m1632, &CallFar);
    }

    public static void Jmp(X86Cpu c, ref DecodedOp op) =>
        c.Eip = op.K0 == OperandKind.Immediate ? op.Immediate : Read0(c, ref op);

    public static void Jcc(X86Cpu c, ref DecodedOp op)
    {
        if (c.Condition(op.Condition))
        {
            c.Eip = op.Immediate;
        }
    }

    public static void Call(X86Cpu c, ref DecodedOp op)
    {
        uint target = op.K0 == OperandKind.Immediate ? op.Immediate : Read0(c, ref op);
        if (op.Instruction.Code is Code.Call_rel16 or Code.Call_rm16)
        {
            c.Push16((ushort)op.NextIp);
            c.Eip = target & 0xFFFF;
            return;
        }

        c.Push32(op.NextIp);
        c.Eip = target;
    }

    public static void Ret(X86Cpu c, ref DecodedOp op)
    {
        bool operand16 = op.Instruction.Code is Code.Retnw or Code.Retnw_imm16;
        uint target = operand16 ? c.Pop16() : c.Pop32();
        if (op.K0 == OperandKind.Immediate)
        {
            c.Reg(X86Cpu.ESP) += op.Immediate & 0xFFFF;
        }

        c.Eip = target;
    }

    public static void Loop(X86Cpu c, ref DecodedOp op)
    {
        if (CountDown(c, ref op) != 0)
        {
            c.Eip = op.Immediate;
        }
    }

    public static void Loope(X86Cpu c, ref DecodedOp op)
    {
        if (CountDown(c, ref op) != 0 && c.ZF)
        {
            c.Eip = op.Immediate;
        }
    }

    public static void Loopne(X86Cpu c, ref DecodedOp op)
    {
        if (CountDown(c, ref op) != 0 && !c.ZF)
        {
            c.Eip = op.Immediate;
        }
    }

    /// <summary>
    /// The LOOP family's count: the address size picks the counter (SDM: CX with a 16-bit address size, 0x67 in
    /// 32-bit code, ECX otherwise), and only that part of ECX is decremented.
    /// </summary>
    private static uint CountDown(X86Cpu c, ref DecodedOp op)
    {
        if (op.Instruction.Code is Code.Loop_rel8_16_CX or Code.Loop_rel8_32_CX or Code.Loope_rel8_16_CX or Code.Loope_rel8_32_CX
            or Code.Loopne_rel8_16_CX or Code.Loopne_rel8_32_CX)
        {
            ref uint ecx = ref c.Reg(X86Cpu.ECX);
            ushort cx = (ushort)(ecx - 1);
            ecx = (ecx & 0xFFFF_0000) | cx;
            return cx;
        }

        return --c.Reg(X86Cpu.ECX);
    }

    public static void Jecxz(X86Cpu c, ref DecodedOp op)
    {
        if (c.Reg(X86Cpu.ECX) == 0)
        {
            c.Eip = op.Immediate;
        }
    }

    public static void Jcxz(X86Cpu c, ref DecodedOp op)
    {
        if ((ushort)c.Reg(X86Cpu.ECX) == 0)
        {
            c.Eip = op.Immediate;
        }
    }

    /// <summary>Reads a far pointer operand: ptr16:32 immediate, or m16:32 / m16:16 in memory.</summary>
    private static (uint Offset, ushort Selector) FarPointer(X86Cpu c, ref DecodedOp op)
    {
        if (op.K0 == OperandKind.Immediate)
        {
            return (op.Immediate, (ushort)op.Immediate2);
        }

        uint address = EffectiveAddress(c, ref op);
        bool wide = op.Instruction.Code is Code.Jmp_m1632 or Code.Call_m1632;
        uint offset = wide ? c.Mmu.Read32(address) : c.Mmu.Read16(address);
        ushort selector = c.Mmu.Read16(address + (wide ? 4u : 2u));
        return (offset, selector);
    }

    public static void JmpFar(X86Cpu c, ref DecodedOp op)
    {
        (uint offset, ushort selector) = FarPointer(c, ref op);
        if (c.FarTransferToTask(selector, ref op, TaskSwitchSource.Jmp))
        {
            return;
        }

        Descriptor code = c.CheckFarTransferTarget(selector);
        c.SetCodeSegmentSamePrivilege(selector, code);
        c.Eip = offset;
    }

    public static void CallFar(X86Cpu c, ref DecodedOp op)
    {
        (uint offset, ushort selector) = FarPointer(c, ref op);
        if (c.FarTransferToTask(selector, ref op, TaskSwitchSource.Call))
        {
            return;
        }

        Descriptor code = c.CheckFarTransferTarget(selector);
        bool wide = op.Instruction.Code is Code.Call_ptr1632 or Code.Call_m1632;
        uint sp = c.Reg(X86Cpu.ESP);
        ushort oldCs = c.Selectors[(int)SegmentRegister.CS];
        c.Mmu.ProbeWrite(sp - (wide ? 8u : 4u), wide ? 8 : 4, c.Cpl == 3);
        code = c.MarkAccessed(selector, code); // before the pushes move ESP: a fault must leave the CALL restartable
        if (wide)
        {
            c.Push32(oldCs);
            c.Push32(op.NextIp);
        }
        else
        {
            c.Push16(oldCs);
            c.Push16((ushort)op.NextIp);
        }

        c.SetCodeSegmentSamePrivilege(selector, code);
        c.Eip = offset;
    }

    public static void RetFar(X86Cpu c, ref DecodedOp op)
    {
        bool wide = op.Instruction.Code is Code.Retfd or Code.Retfd_imm16;
        uint step = wide ? 4u : 2u;
        uint sp = c.Reg(X86Cpu.ESP);
        uint offset = wide ? c.Mmu.Read32(sp) : c.Mmu.Read16(sp);
        ushort selector = c.Mmu.Read16(sp + step);
        uint release = op.K0 == OperandKind.Immediate ? op.Immediate & 0xFFFF : 0;
        Descriptor code = c.CheckReturnCodeSegment(selector);
        int newCpl = selector & 3;
        if (newCpl > c.Cpl)
        {
            uint outer = sp + (2 * step) + release;
            uint newEsp = wide ? c.Mmu.Read32(outer) : c.Mmu.Read16(outer);
            ushort newSs = c.Mmu.Read16(outer + step);
            Descriptor stack = c.CheckReturnStackSegment(newSs, newCpl);
            c.CommitPrivilegeChange(selector, code, newSs, stack, newEsp + release);
            c.NullInaccessibleDataSegments();
        }
        else
        {
            c.SetCodeSegmentSamePrivilege(selector, code);
            c.Reg(X86Cpu.ESP) = sp + (2 * step) + release;
        }

        c.Eip = offset;
    }
}
