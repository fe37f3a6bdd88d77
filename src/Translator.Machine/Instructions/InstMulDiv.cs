using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>
/// MUL, IMUL (one-, two- and three-operand forms), DIV and IDIV. Multiplies set CF = OF = "the high half is
/// significant"; the flags the SDM leaves undefined follow QEMU (SF/ZF/PF from the low half, AF clear). Divides
/// raise #DE on a zero divisor or a quotient that does not fit, before anything is written, and leave the flags.
/// </summary>
internal static unsafe class InstMulDiv
{
    public static void Register(InstructionTableBuilder t)
    {
        t.Add(Mnemonic.Mul, &Mul);
        t.Add(Mnemonic.Imul, &ImulOne);
        t.Add(Code.Imul_r16_rm16, &ImulTwo);
        t.Add(Code.Imul_r32_rm32, &ImulTwo);
        t.Add(Code.Imul_r16_rm16_imm16, &ImulThree);
        t.Add(Code.Imul_r32_rm32_imm32, &ImulThree);
        t.Add(Code.Imul_r16_rm16_imm8, &ImulThree);
        t.Add(Code.Imul_r32_rm32_imm8, &ImulThree);
        t.Add(Mnemonic.Div, &Div);
        t.Add(Mnemonic.Idiv, &Idiv);
    }

    /// <summary>
    /// Flags of a multiply whose low half is <paramref name="low"/>. Without overflow they equal a logic
    /// instruction's (CF = OF = AF = 0), which is recorded lazily.
    /// </summary>
    internal static void SetMultiplyFlags(X86Cpu c, int bits, uint low, bool overflow)
    {
        if (!overflow)
        {
            c.SetLazy(FlagOp.Logic, bits, 0, 0, low);
            return;
        }

        uint masked = low & X86Cpu.MaskFor(bits);
        c.SetStatusFlags(InstShift.SzpFlags(masked, bits) | (uint)(EFlags.CF | EFlags.OF));
    }

    // ---- multiply ----

    public static void Mul(X86Cpu c, ref DecodedOp op)
    {
        uint src = Read0(c, ref op);
        switch (op.Bits)
        {
            case 8:
            {
                uint product = c.ReadReg8(X86Cpu.EAX) * src;
                c.WriteReg16(X86Cpu.EAX, (ushort)product);
                SetMultiplyFlags(c, 8, product, (product >> 8) != 0);
                break;
            }

            case 16:
            {
                uint product = (ushort)c.Reg(X86Cpu.EAX) * src;
                c.WriteReg16(X86Cpu.EAX, (ushort)product);
                c.WriteReg16(X86Cpu.EDX, (ushort)(product >> 16));
                SetMultiplyFlags(c, 16, product, (product >> 16) != 0);
                break;
            }

            default:
            {
                ulong product = (ulong)c.Reg(X86Cpu.EAX) * src;
                uint high = (uint)(product >> 32);
                c.Reg(X86Cpu.EAX) = (uint)product;
                c.Reg(X86Cpu.EDX) = high;
                SetMultiplyFlags(c, 32, (uint)product, high != 0);
                break;
            }
        }
    }

    public static void ImulOne(X86Cpu c, ref DecodedOp op)
    {
        int src = (int)SignExtend(Read0(c, ref op), op.Bits);
        switch (op.Bits)
        {
            case 8:
            {
                int product = (sbyte)c.ReadReg8(X86Cpu.EAX) * src;
                c.WriteReg16(X86Cpu.EAX, (ushort)product);
                SetMultiplyFlags(c, 8, (uint)product, product != (sbyte)product);
                break;
            }

            case 16:
            {
                int product = (short)c.Reg(X86Cpu.EAX) * src;
                c.WriteReg16(X86Cpu.EAX, (ushort)product);
                c.WriteReg16(X86Cpu.EDX, (ushort)(product >> 16));
                SetMultiplyFlags(c, 16, (uint)product, product != (short)product);
                break;
            }

            default:
            {
                long product = (long)(int)c.Reg(X86Cpu.EAX) * src;
                c.Reg(X86Cpu.EAX) = (uint)product;
                c.Reg(X86Cpu.EDX) = (uint)(product >> 32);
                SetMultiplyFlags(c, 32, (uint)product, product != (int)product);
                break;
            }
        }
    }

    // IMUL r, r/m: operand 0 is the destination register, operand 1 the other factor.
    public static void ImulTwo(X86Cpu c, ref DecodedOp op) =>
        ImulInto(c, ref op, ReadGpr(c, op.R0, op.Bits), Read1(c, ref op));

    // IMUL r, r/m, imm: operand 1 times the (sign-extended) immediate.
    public static void ImulThree(X86Cpu c, ref DecodedOp op) => ImulInto(c, ref op, Read1(c, ref op), op.Immediate);

    private static void ImulInto(X86Cpu c, ref DecodedOp op, uint a, uint b)
    {
        if (op.Bits == 32)
        {
            long product = (long)(int)a * (int)b;
            c.Reg(op.R0) = (uint)product;
            SetMultiplyFlags(c, 32, (uint)product, product != (int)product);
        }
        else
        {
            int product = (short)a * (short)b;
            c.WriteReg16(op.R0, (ushort)product);
            SetMultiplyFlags(c, 16, (uint)product, product != (short)product);
        }
    }

    // ---- divide ----

    public static void Div(X86Cpu c, ref DecodedOp op)
    {
        uint divisor = Read0(c, ref op);
        if (divisor == 0)
        {
            throw c.Exception(ExceptionVector.DivideError);
        }

        switch (op.Bits)
        {
            case 8:
            {
                uint dividend = (ushort)c.Reg(X86Cpu.EAX);
                uint quotient = dividend / divisor;
                if (quotient > 0xFF)
                {
                    throw c.Exception(ExceptionVector.DivideError);
                }

                c.WriteReg16(X86Cpu.EAX, (ushort)(((dividend % divisor) << 8) | quotient));
                break;
            }

            case 16:
            {
                uint dividend = ((uint)(ushort)c.Reg(X86Cpu.EDX) << 16) | (ushort)c.Reg(X86Cpu.EAX);
                uint quotient = dividend / divisor;
                if (quotient > 0xFFFF)
                {
                    throw c.Exception(ExceptionVector.DivideError);
                }

                c.WriteReg16(X86Cpu.EAX, (ushort)quotient);
                c.WriteReg16(X86Cpu.EDX, (ushort)(dividend % divisor));
                break;
            }

            default:
            {
                if (c.Reg(X86Cpu.EDX) == 0)
                {
                    // The common "xor edx, edx; div" case: a 32-bit host divide, which cannot overflow.
                    uint low = c.Reg(X86Cpu.EAX);
                    c.Reg(X86Cpu.EAX) = low / divisor;
                    c.Reg(X86Cpu.EDX) = low % divisor;
                    break;
                }

                ulong dividend = ((ulong)c.Reg(X86Cpu.EDX) << 32) | c.Reg(X86Cpu.EAX);
                ulong quotient = dividend / divisor;
                if (quotient > 0xFFFF_FFFF)
                {
                    throw c.Exception(ExceptionVector.DivideError);
                }

                c.Reg(X86Cpu.EAX) = (uint)quotient;
                c.Reg(X86Cpu.EDX) = (uint)(dividend - quotient * divisor);
                break;
            }
        }
    }

    public static void Idiv(X86Cpu c, ref DecodedOp op)
    {
        int divisor = (int)SignExtend(Read0(c, ref op), op.Bits);
        if (divisor == 0)
        {
            throw c.Exception(ExceptionVector.DivideError);
        }

        switch (op.Bits)
        {
            case 8:
            {
                int dividend = (short)c.Reg(X86Cpu.EAX);
                int quotient = dividend / divisor;
                if (quotient != (sbyte)quotient)
                {
                    throw c.Exception(ExceptionVector.DivideError);
                }

                c.WriteReg16(X86Cpu.EAX, (ushort)(((dividend % divisor) << 8) | (byte)quotient));
                break;
            }

            case 16:
            {
                // 64-bit arithmetic: int.MinValue / -1 would trap in the host.
                long dividend = (int)(((uint)(ushort)c.Reg(X86Cpu.EDX) << 16) | (ushort)c.Reg(X86Cpu.EAX));
                long quotient = dividend / divisor;
                if (quotient != (short)quotient)
                {
                    throw c.Exception(ExceptionVector.DivideError);
                }

                c.WriteReg16(X86Cpu.EAX, (ushort)quotient);
                c.WriteReg16(X86Cpu.EDX, (ushort)(dividend % divisor));
                break;
            }

            default:
            {
                int low = (int)c.Reg(X86Cpu.EAX);
                if (c.Reg(X86Cpu.EDX) == (uint)(low >> 31) && (low != int.MinValue || divisor != -1))
                {
                    // The common "cdq; idiv" case: a 32-bit host divide (INT_MIN / -1 excluded: it overflows).
                    c.Reg(X86Cpu.EAX) = (uint)(low / divisor);
                    c.Reg(X86Cpu.EDX) = (uint)(low % divisor);
                    break;
                }

                long dividend = (long)(((ulong)c.Reg(X86Cpu.EDX) << 32) | (uint)low);
                if (divisor == -1 && dividend == long.MinValue)
                {
                    throw c.Exception(ExceptionVector.DivideError); // the host would trap, the guest faults
                }

                long quotient = dividend / divisor;
                if (quotient != (int)quotient)
                {
                    throw c.Exception(ExceptionVector.DivideError);
                }

                c.Reg(X86Cpu.EAX) = (uint)quotient;
                c.Reg(X86Cpu.EDX) = (uint)(dividend - quotient * divisor);
                break;
            }
        }
    }
}
