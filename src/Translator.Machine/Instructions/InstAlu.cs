using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>Two-operand arithmetic and logic, INC/DEC/NEG/NOT, and the BCD adjustments.</summary>
internal static unsafe class InstAlu
{
    public static void Register(InstructionTableBuilder t)
    {
        t.Add(Mnemonic.Add, &Add);
        t.Add(Mnemonic.Adc, &Adc);
        t.Add(Mnemonic.Sub, &Sub);
        t.Add(Mnemonic.Sbb, &Sbb);
        t.Add(Mnemonic.Cmp, &Cmp);
        t.Add(Mnemonic.And, &And);
        t.Add(Mnemonic.Or, &Or);
        t.Add(Mnemonic.Xor, &Xor);
        t.Add(Mnemonic.Test, &Test);
        t.Add(Mnemonic.Inc, &Inc);
        t.Add(Mnemonic.Dec, &Dec);
        t.Add(Mnemonic.Neg, &Neg);
        t.Add(Mnemonic.Not, &Not);
        t.Add(Mnemonic.Daa, &Daa);
        t.Add(Mnemonic.Das, &Das);
        t.Add(Mnemonic.Aaa, &Aaa);
        t.Add(Mnemonic.Aas, &Aas);
        t.Add(Mnemonic.Aam, &Aam);
        t.Add(Mnemonic.Aad, &Aad);
    }

    public static void Add(X86Cpu c, ref DecodedOp op)
    {
        uint a = Read0(c, ref op), b = Read1(c, ref op), r = a + b;
        Write0(c, ref op, r);
        c.SetLazy(FlagOp.Add, op.Bits, a, b, r);
    }

    public static void Adc(X86Cpu c, ref DecodedOp op)
    {
        uint a = Read0(c, ref op), b = Read1(c, ref op), carry = c.CF ? 1u : 0u, r = a + b + carry;
        Write0(c, ref op, r);
        c.SetLazyWithCarry(FlagOp.Adc, op.Bits, a, b, r, carry);
    }

    public static void Sub(X86Cpu c, ref DecodedOp op)
    {
        uint a = Read0(c, ref op), b = Read1(c, ref op), r = a - b;
        Write0(c, ref op, r);
        c.SetLazy(FlagOp.Sub, op.Bits, a, b, r);
    }

    public static void Sbb(X86Cpu c, ref DecodedOp op)
    {
        uint a = Read0(c, ref op), b = Read1(c, ref op), borrow = c.CF ? 1u : 0u, r = a - b - borrow;
        Write0(c, ref op, r);
        c.SetLazyWithCarry(FlagOp.Sbb, op.Bits, a, b, r, borrow);
    }

    public static void Cmp(X86Cpu c, ref DecodedOp op)
    {
        uint a = Read0(c, ref op), b = Read1(c, ref op);
        c.SetLazy(FlagOp.Sub, op.Bits, a, b, a - b);
    }

    public static void And(X86Cpu c, ref DecodedOp op)
    {
        uint r = Read0(c, ref op) & Read1(c, ref op);
        Write0(c, ref op, r);
        c.SetLazy(FlagOp.Logic, op.Bits, 0, 0, r);
    }

    public static void Or(X86Cpu c, ref DecodedOp op)
    {
        uint r = Read0(c, ref op) | Read1(c, ref op);
        Write0(c, ref op, r);
        c.SetLazy(FlagOp.Logic, op.Bits, 0, 0, r);
    }

    public static void Xor(X86Cpu c, ref DecodedOp op)
    {
        uint r = Read0(c, ref op) ^ Read1(c, ref op);
        Write0(c, ref op, r);
        c.SetLazy(FlagOp.Logic, op.Bits, 0, 0, r);
    }

    public static void Test(X86Cpu c, ref DecodedOp op)
    {
        uint r = Read0(c, ref op) & Read1(c, ref op);
        c.SetLazy(FlagOp.Logic, op.Bits, 0, 0, r);
    }

    public static void Inc(X86Cpu c, ref DecodedOp op)
    {
        uint a = Read0(c, ref op), r = a + 1;
        uint carry = c.CF ? 1u : 0u;
        Write0(c, ref op, r);
        c.SetLazyWithCarry(FlagOp.Inc, op.Bits, a, 1, r, carry);
    }

    public static void Dec(X86Cpu c, ref DecodedOp op)
    {
        uint a = Read0(c, ref op), r = a - 1;
        uint carry = c.CF ? 1u : 0u;
        Write0(c, ref op, r);
        c.SetLazyWithCarry(FlagOp.Dec, op.Bits, a, 1, r, carry);
    }

    public static void Neg(X86Cpu c, ref DecodedOp op)
    {
        uint b = Read0(c, ref op), r = 0 - b;
        Write0(c, ref op, r);
        c.SetLazy(FlagOp.Sub, op.Bits, 0, b, r);
    }

    public static void Not(X86Cpu c, ref DecodedOp op) => Write0(c, ref op, ~Read0(c, ref op));

    // ---- BCD (SDM pseudo-code; SF/ZF/PF from the result, OF as the SDM leaves it undefined: computed like QEMU) ----

    private static uint SzpFlags(uint value8)
    {
        uint f = 0;
        if ((value8 & 0xFF) == 0) f |= (uint)EFlags.ZF;
        if ((value8 & 0x80) != 0) f |= (uint)EFlags.SF;
        if (X86Cpu.Parity(value8)) f |= (uint)EFlags.PF;
        return f;
    }

    public static void Daa(X86Cpu c, ref DecodedOp op)
    {
        uint al = c.ReadReg8(X86Cpu.EAX), oldAl = al;
        bool cf = c.CF, af = c.AF, newCf = false, newAf = false;
        if ((al & 0xF) > 9 || af)
        {
            al += 6;
            newAf = true;
        }

        if (oldAl > 0x99 || cf)
        {
            al += 0x60;
            newCf = true;
        }

        al &= 0xFF;
        c.WriteReg8(X86Cpu.EAX, (byte)al);
        uint flags = SzpFlags(al) | (newCf ? (uint)EFlags.CF : 0) | (newAf ? (uint)EFlags.AF : 0);
        c.SetStatusFlags(flags);
    }

    public static void Das(X86Cpu c, ref DecodedOp op)
    {
        uint al = c.ReadReg8(X86Cpu.EAX), oldAl = al;
        bool cf = c.CF, af = c.AF, newCf = false, newAf = false;
        if ((al & 0xF) > 9 || af)
        {
            newCf = al < 6; // the borrow out of AL - 6 sets CF too (SDM)
            al -= 6;
            newAf = true;
        }

        if (oldAl > 0x99 || cf)
        {
            al -= 0x60;
            newCf = true;
        }

        al &= 0xFF;
        c.WriteReg8(X86Cpu.EAX, (byte)al);
        uint flags = SzpFlags(al) | (newCf ? (uint)EFlags.CF : 0) | (newAf ? (uint)EFlags.AF : 0);
        c.SetStatusFlags(flags);
    }

    public static void Aaa(X86Cpu c, ref DecodedOp op) => AsciiAdjust(c, add: true);

    public static void Aas(X86Cpu c, ref DecodedOp op) => AsciiAdjust(c, add: false);

    private static void AsciiAdjust(X86Cpu c, bool add)
    {
        uint ax = (ushort)c.Reg(X86Cpu.EAX);
        bool adjust = (ax & 0xF) > 9 || c.AF;
        if (adjust)
        {
            ax = add ? ax + 0x106 : ax - 0x106;
        }

        ax &= 0xFF0F;
        c.WriteReg16(X86Cpu.EAX, (ushort)ax);
        c.SetStatusFlags(SzpFlags(ax & 0xFF) | (adjust ? (uint)(EFlags.CF | EFlags.AF) : 0));
    }

    public static void Aam(X86Cpu c, ref DecodedOp op)
    {
        uint imm = op.Immediate & 0xFF;
        if (imm == 0)
        {
            throw c.Exception(ExceptionVector.DivideError);
        }

        uint al = c.ReadReg8(X86Cpu.EAX);
        uint ah = al / imm;
        al %= imm;
        c.WriteReg16(X86Cpu.EAX, (ushort)((ah << 8) | al));
        c.SetStatusFlags(SzpFlags(al));
    }

    public static void Aad(X86Cpu c, ref DecodedOp op)
    {
        uint imm = op.Immediate & 0xFF;
        uint ax = (ushort)c.Reg(X86Cpu.EAX);
        uint al = ((ax & 0xFF) + ((ax >> 8) * imm)) & 0xFF;
        c.WriteReg16(X86Cpu.EAX, (ushort)al);
        c.SetStatusFlags(SzpFlags(al));
    }
}
