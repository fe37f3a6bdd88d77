using Iced.Intel;

namespace Translator.Fuzz;

/// <summary>
/// The integer instruction forms the generator draws from: every legacy-encoded 32-bit-mode form (Iced's code table)
/// of the mnemonics below whose operands are registers, memory or immediates. Operand size comes with the form
/// (16-bit forms carry 0x66), so every size of every mnemonic is drawn.
/// </summary>
internal static class InstructionForms
{
    /// <summary>Mnemonics with no effect beyond registers, memory and flags (plus the fault-only ones).</summary>
    private static readonly HashSet<Mnemonic> Integer =
    [
        Mnemonic.Add, Mnemonic.Or, Mnemonic.Adc, Mnemonic.Sbb, Mnemonic.And, Mnemonic.Sub, Mnemonic.Xor, Mnemonic.Cmp,
        Mnemonic.Inc, Mnemonic.Dec, Mnemonic.Neg, Mnemonic.Not, Mnemonic.Test, Mnemonic.Mul, Mnemonic.Imul, Mnemonic.Div,
        Mnemonic.Idiv, Mnemonic.Mov, Mnemonic.Movzx, Mnemonic.Movsx, Mnemonic.Lea, Mnemonic.Xchg, Mnemonic.Cmpxchg,
        Mnemonic.Xadd, Mnemonic.Bswap, Mnemonic.Bt, Mnemonic.Bts, Mnemonic.Btr, Mnemonic.Btc, Mnemonic.Bsf, Mnemonic.Bsr,
        Mnemonic.Shl, Mnemonic.Sal, Mnemonic.Shr, Mnemonic.Sar, Mnemonic.Rol, Mnemonic.Ror, Mnemonic.Rcl, Mnemonic.Rcr,
        Mnemonic.Shld, Mnemonic.Shrd, Mnemonic.Cbw, Mnemonic.Cwde, Mnemonic.Cwd, Mnemonic.Cdq, Mnemonic.Clc, Mnemonic.Stc,
        Mnemonic.Cmc, Mnemonic.Lahf, Mnemonic.Sahf, Mnemonic.Daa, Mnemonic.Das, Mnemonic.Aaa, Mnemonic.Aas, Mnemonic.Aam,
        Mnemonic.Aad, Mnemonic.Nop, Mnemonic.Push, Mnemonic.Pop, Mnemonic.Pushad, Mnemonic.Popad, Mnemonic.Pusha,
        Mnemonic.Popa, Mnemonic.Cmpxchg8b, Mnemonic.Bound, Mnemonic.Into, Mnemonic.Int3, Mnemonic.Ud2,
        Mnemonic.Seta, Mnemonic.Setae, Mnemonic.Setb, Mnemonic.Setbe, Mnemonic.Sete, Mnemonic.Setg, Mnemonic.Setge,
        Mnemonic.Setl, Mnemonic.Setle, Mnemonic.Setne, Mnemonic.Setno, Mnemonic.Setnp, Mnemonic.Setns, Mnemonic.Seto,
        Mnemonic.Setp, Mnemonic.Sets, Mnemonic.Cmova, Mnemonic.Cmovae, Mnemonic.Cmovb, Mnemonic.Cmovbe, Mnemonic.Cmove,
        Mnemonic.Cmovg, Mnemonic.Cmovge, Mnemonic.Cmovl, Mnemonic.Cmovle, Mnemonic.Cmovne, Mnemonic.Cmovno,
        Mnemonic.Cmovnp, Mnemonic.Cmovns, Mnemonic.Cmovo, Mnemonic.Cmovp, Mnemonic.Cmovs,
    ];

    /// <summary>Forms that end the program with an exception whatever their operands (only in fault programs).</summary>
    public static readonly HashSet<Mnemonic> AlwaysFaulting = [Mnemonic.Int3, Mnemonic.Ud2, Mnemonic.Bound, Mnemonic.Into];

    private static readonly HashSet<OpCodeOperandKind> Supported =
    [
        OpCodeOperandKind.r8_or_mem, OpCodeOperandKind.r16_or_mem, OpCodeOperandKind.r32_or_mem, OpCodeOperandKind.mem,
        OpCodeOperandKind.r8_reg, OpCodeOperandKind.r8_opcode, OpCodeOperandKind.r16_reg, OpCodeOperandKind.r16_opcode,
        OpCodeOperandKind.r32_reg, OpCodeOperandKind.r32_opcode, OpCodeOperandKind.imm8, OpCodeOperandKind.imm8_const_1,
        OpCodeOperandKind.imm8sex16, OpCodeOperandKind.imm8sex32, OpCodeOperandKind.imm16, OpCodeOperandKind.imm32,
        OpCodeOperandKind.al, OpCodeOperandKind.cl, OpCodeOperandKind.ax, OpCodeOperandKind.eax, OpCodeOperandKind.mem_offs,
    ];

    public static readonly Code[] All = Enum.GetValues<Code>().Where(IsDrawn).ToArray();

    private static bool IsDrawn(Code code)
    {
        if (!Integer.Contains(code.Mnemonic()))
        {
            return false;
        }

        OpCodeInfo info = code.ToOpCode();
        if (info.Encoding != EncodingKind.Legacy || !info.Mode32 || !info.IsInstruction || info.IsPrivileged)
        {
            return false;
        }

        for (int i = 0; i < info.OpCount; i++)
        {
            if (!Supported.Contains(info.GetOpKind(i)))
            {
                return false;
            }
        }

        // ESP-relative stack forms other than PUSH/POP (PUSHAD/POPAD) are fine; the multi-byte NOP's reserved
        // encodings and 64-bit-only forms are already excluded by Mode32/IsInstruction.
        return true;
    }
}
