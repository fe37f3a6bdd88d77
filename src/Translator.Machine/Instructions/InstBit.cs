using System.Numerics;
using System.Runtime.CompilerServices;
using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>
/// Bit test and modify (BT, BTS, BTR, BTC) and bit scans (BSF, BSR). A register bit offset into a memory operand
/// addresses a bit string beyond the operand (signed, in operand-sized units); an immediate offset, or a register
/// destination, takes the offset modulo the width. BT* change only CF. BSF/BSR set ZF from the source and leave the
/// destination alone when it is 0; the undefined flags follow QEMU (a logic operation on the source).
/// </summary>
internal static unsafe class InstBit
{
    public static void Register(InstructionTableBuilder t)
    {
        t.Add(Mnemonic.Bt, &Bt);
        t.Add(Mnemonic.Bts, &Bts);
        t.Add(Mnemonic.Btr, &Btr);
        t.Add(Mnemonic.Btc, &Btc);
        t.Add(Mnemonic.Bsf, &Bsf);
        t.Add(Mnemonic.Bsr, &Bsr);

        // This CPU reports neither BMI1 nor LZCNT, so F3 0F BC/BD execute as BSF/BSR, as on the i686 it models
        // (GCC emits "rep bsf" for __builtin_ctz because both agree on a nonzero source).
        t.Add(Mnemonic.Tzcnt, &Bsf);
        t.Add(Mnemonic.Lzcnt, &Bsr);
    }

    private enum BitAction
    {
        Test,
        Set,
        Reset,
        Complement,
    }

    public static void Bt(X86Cpu c, ref DecodedOp op) => TestAndModify(c, ref op, BitAction.Test);

    public static void Bts(X86Cpu c, ref DecodedOp op) => TestAndModify(c, ref op, BitAction.Set);

    public static void Btr(X86Cpu c, ref DecodedOp op) => TestAndModify(c, ref op, BitAction.Reset);

    public static void Btc(X86Cpu c, ref DecodedOp op) => TestAndModify(c, ref op, BitAction.Complement);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TestAndModify(X86Cpu c, ref DecodedOp op, BitAction action)
    {
        int bits = op.Bits;
        uint offset = op.K1 == OperandKind.Gpr ? ReadGpr(c, op.R1, bits) : op.Immediate;
        uint mask = 1u << (int)(offset & (uint)(bits - 1));
        uint value, address = 0;
        if (op.K0 == OperandKind.Gpr)
        {
            value = ReadGpr(c, op.R0, bits);
        }
        else
        {
            address = EffectiveAddress(c, ref op);
            if (op.K1 == OperandKind.Gpr)
            {
                // The register offset is signed and selects the operand-sized unit holding the bit.
                address += bits == 32 ? (uint)(((int)offset >> 5) << 2) : (uint)(((short)offset >> 4) << 1);
            }

            value = ReadMemory(c, address, bits);
        }

        if (action != BitAction.Test)
        {
            uint result = action switch
            {
                BitAction.Set => value | mask,
                BitAction.Reset => value & ~mask,
                _ => value ^ mask,
            };
            if (op.K0 == OperandKind.Gpr)
            {
                WriteGpr(c, op.R0, bits, result);
            }
            else
            {
                WriteMemory(c, address, bits, result);
            }
        }

        c.SetCarry((value & mask) != 0);
    }

    public static void Bsf(X86Cpu c, ref DecodedOp op)
    {
        uint src = Read1(c, ref op);
        if (src != 0)
        {
            WriteGpr(c, op.R0, op.Bits, (uint)BitOperations.TrailingZeroCount(src));
        }

        c.SetLazy(FlagOp.Logic, op.Bits, 0, 0, src);
    }

    public static void Bsr(X86Cpu c, ref DecodedOp op)
    {
        uint src = Read1(c, ref op);
        if (src != 0)
        {
            WriteGpr(c, op.R0, op.Bits, (uint)(31 - BitOperations.LeadingZeroCount(src)));
        }

        c.SetLazy(FlagOp.Logic, op.Bits, 0, 0, src);
    }
}
