using Iced.Intel;

namespace Translator.Translation.Discovery;

/// <summary>
/// Per-instruction facts the translator decides on: which forms become plain C# (the IDENT subset a gcc -O2 -m32
/// integer program uses), which flags they write, whether they can fault, and where the interpreter would end a block.
/// </summary>
internal static class InstructionFacts
{
    public static Form FormOf(in Instruction i)
    {
        if (i.Code == Code.INVALID || i.HasRepPrefix || i.HasRepnePrefix || !OperandsInline(in i))
        {
            return Form.Fallback;
        }

        int bits = OperandBits(in i);
        switch (i.Mnemonic)
        {
            case Mnemonic.Nop:
            case Mnemonic.Endbr32:
                return Form.Inline;
            case Mnemonic.Bsr:
            case Mnemonic.Bsf:
                return bits == 32 && i.Op0Kind == OpKind.Register ? Form.Inline : Form.Fallback;
            case Mnemonic.Shld:
            case Mnemonic.Shrd:
                return bits == 32 && i.Op0Kind == OpKind.Register ? Form.InlineWhenFlagsDead : Form.Fallback;
            case Mnemonic.Mov:
            case Mnemonic.Add:
            case Mnemonic.Sub:
            case Mnemonic.Adc:
            case Mnemonic.Sbb:
            case Mnemonic.And:
            case Mnemonic.Or:
            case Mnemonic.Xor:
            case Mnemonic.Cmp:
            case Mnemonic.Test:
            case Mnemonic.Inc:
            case Mnemonic.Dec:
            case Mnemonic.Neg:
            case Mnemonic.Not:
            case Mnemonic.Movzx:
            case Mnemonic.Movsx:
            case Mnemonic.Setb: case Mnemonic.Setae: case Mnemonic.Sete: case Mnemonic.Setne:
            case Mnemonic.Setbe: case Mnemonic.Seta: case Mnemonic.Sets: case Mnemonic.Setns:
            case Mnemonic.Setp: case Mnemonic.Setnp: case Mnemonic.Setl: case Mnemonic.Setge:
            case Mnemonic.Setle: case Mnemonic.Setg: case Mnemonic.Seto: case Mnemonic.Setno:
                return bits is 8 or 16 or 32 ? Form.Inline : Form.Fallback;
            case Mnemonic.Lea:
            case Mnemonic.Xchg:
            case Mnemonic.Bswap:
            case Mnemonic.Cdq:
            case Mnemonic.Cwde:
            case Mnemonic.Leave:
            case Mnemonic.Cmovb: case Mnemonic.Cmovae: case Mnemonic.Cmove: case Mnemonic.Cmovne:
            case Mnemonic.Cmovbe: case Mnemonic.Cmova: case Mnemonic.Cmovs: case Mnemonic.Cmovns:
            case Mnemonic.Cmovp: case Mnemonic.Cmovnp: case Mnemonic.Cmovl: case Mnemonic.Cmovge:
            case Mnemonic.Cmovle: case Mnemonic.Cmovg: case Mnemonic.Cmovo: case Mnemonic.Cmovno:
            case Mnemonic.Mul:
            case Mnemonic.Div:
            case Mnemonic.Idiv:
                return bits == 32 ? Form.Inline : Form.Fallback;
            case Mnemonic.Imul:
                return bits == 32 ? Form.Inline : Form.Fallback;
            case Mnemonic.Shl:
            case Mnemonic.Shr:
            case Mnemonic.Sar:
                if (bits != 32)
                {
                    return Form.Fallback;
                }

                // By an immediate: exact flags inline (a zero count changes nothing, and is left to the handler).
                // By CL: the count may be zero (flags unchanged), so inline only where the flags are dead.
                if (i.Op1Kind == OpKind.Register)
                {
                    return i.Op0Kind == OpKind.Register ? Form.InlineWhenFlagsDead : Form.Fallback;
                }

                return (i.GetImmediate(1) & 31) == 0 ? Form.Fallback : Form.Inline;
            case Mnemonic.Rol:
            case Mnemonic.Ror:
                // A zero count leaves memory unwritten: only register destinations are rotated inline.
                return bits == 32 && i.Op0Kind == OpKind.Register ? Form.InlineWhenFlagsDead : Form.Fallback;
            case Mnemonic.Bt:
                return bits == 32 && i.Op0Kind == OpKind.Register ? Form.InlineWhenFlagsDead : Form.Fallback;
            case Mnemonic.Push:
                return i.Code is Code.Push_r32 or Code.Pushd_imm8 or Code.Pushd_imm32 or Code.Push_rm32 ? Form.Inline : Form.Fallback;
            case Mnemonic.Pop:
                return i.Code == Code.Pop_r32 ? Form.Inline : Form.Fallback;
            case Mnemonic.Call:
                return i.Code is Code.Call_rel32_32 or Code.Call_rm32 ? Form.Inline : Form.Fallback;
            case Mnemonic.Ret:
                return i.Code is Code.Retnd or Code.Retnd_imm16 ? Form.Inline : Form.Fallback;
            case Mnemonic.Jmp:
                return i.Code is Code.Jmp_rel32_32 or Code.Jmp_rel8_32 or Code.Jmp_rm32 ? Form.Inline : Form.Fallback;
            default:
                return i.IsJccShortOrNear && i.Op0Kind == OpKind.NearBranch32 ? Form.Inline : Form.Fallback;
        }
    }

    /// <summary>Width of the main operand (8, 16, 32), 0 when it has none of those.</summary>
    public static int OperandBits(in Instruction i)
    {
        if (i.OpCount == 0)
        {
            return 32;
        }

        switch (i.Op0Kind)
        {
            case OpKind.Register:
                return RegisterBits(i.Op0Register);
            case OpKind.Memory:
                return i.MemorySize.GetSize() * 8;
            default:
                return 32;
        }
    }

    public static int RegisterBits(Register r) =>
        r.IsGPR32() ? 32 : r.IsGPR16() ? 16 : r.IsGPR8() ? 8 : 0;

    /// <summary>Every operand is a general register, an immediate, a near branch or flat 32-bit memory.</summary>
    private static bool OperandsInline(in Instruction i)
    {
        for (int n = 0; n < i.OpCount; n++)
        {
            switch (i.GetOpKind(n))
            {
                case OpKind.Register:
                    if (RegisterBits(i.GetOpRegister(n)) == 0)
                    {
                        return false;
                    }

                    break;
                case OpKind.Memory:
                    // Segments are flat, so DS/SS/ES/CS overrides change nothing; FS/GS and 16-bit addressing go to the handler.
                    if (i.MemorySegment is Register.FS or Register.GS || i.MemoryBase.IsGPR16() || i.MemoryIndex.IsGPR16()
                        || i.MemoryBase == Register.EIP || i.IsIPRelativeMemoryOperand)
                    {
                        return false;
                    }

                    break;
                case OpKind.Immediate8:
                case OpKind.Immediate16:
                case OpKind.Immediate32:
                case OpKind.Immediate8to16:
                case OpKind.Immediate8to32:
                case OpKind.NearBranch32:
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    public static int ConditionOf(in Instruction i)
    {
        ConditionCode cc = i.ConditionCode;
        if (cc == ConditionCode.None || i.Mnemonic is Mnemonic.Loop or Mnemonic.Loope or Mnemonic.Loopne or Mnemonic.Jecxz or Mnemonic.Jcxz)
        {
            return -1;
        }

        return cc switch
        {
            ConditionCode.o => 0,
            ConditionCode.no => 1,
            ConditionCode.b => 2,
            ConditionCode.ae => 3,
            ConditionCode.e => 4,
            ConditionCode.ne => 5,
            ConditionCode.be => 6,
            ConditionCode.a => 7,
            ConditionCode.s => 8,
            ConditionCode.ns => 9,
            ConditionCode.p => 10,
            ConditionCode.np => 11,
            ConditionCode.l => 12,
            ConditionCode.ge => 13,
            ConditionCode.le => 14,
            _ => 15,
        };
    }

    /// <summary>Flags an inline form writes unconditionally (what liveness may treat as killed).</summary>
    public static int FlagsWritten(in Instruction i) => i.Mnemonic switch
    {
        Mnemonic.Add or Mnemonic.Sub or Mnemonic.Adc or Mnemonic.Sbb or Mnemonic.And or Mnemonic.Or or Mnemonic.Xor
            or Mnemonic.Cmp or Mnemonic.Test or Mnemonic.Neg or Mnemonic.Imul or Mnemonic.Mul or Mnemonic.Bsr or Mnemonic.Bsf => Flags.All,
        Mnemonic.Inc or Mnemonic.Dec => Flags.All & ~Flags.CF,
        Mnemonic.Shl or Mnemonic.Shr or Mnemonic.Sar when i.Op1Kind != OpKind.Register => Flags.All,
        _ => 0,
    };

    /// <summary>Flags an InlineWhenFlagsDead form may change (they must be dead after it for the inline form).</summary>
    public static int FlagsTouched(in Instruction i) => i.Mnemonic switch
    {
        Mnemonic.Shl or Mnemonic.Shr or Mnemonic.Sar or Mnemonic.Shld or Mnemonic.Shrd => Flags.All,
        Mnemonic.Rol or Mnemonic.Ror => Flags.CF | Flags.OF,
        Mnemonic.Bt => Flags.CF,
        _ => 0,
    };

    public static bool CanFault(in Instruction i)
    {
        if (i.Mnemonic is Mnemonic.Nop or Mnemonic.Lea or Mnemonic.Endbr32)
        {
            return false; // a memory operand that is never accessed
        }

        for (int n = 0; n < i.OpCount; n++)
        {
            if (i.GetOpKind(n) == OpKind.Memory)
            {
                return true;
            }
        }

        return i.Mnemonic is Mnemonic.Push or Mnemonic.Pop or Mnemonic.Call or Mnemonic.Ret or Mnemonic.Leave
            or Mnemonic.Div or Mnemonic.Idiv;
    }
}
