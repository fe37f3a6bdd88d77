using System.Runtime.CompilerServices;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>Operand access shared by every instruction category: effective addresses, sized register and memory I/O.</summary>
internal static class Operands
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint EffectiveAddress(X86Cpu c, ref DecodedOp op)
    {
        uint ea = c.Reg(op.Base) + (c.Reg(op.Index) << op.Scale) + op.Displacement;
        return op.AddressSize16 ? ea & 0xFFFF : ea;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ReadGpr(X86Cpu c, int reg, int bits) => bits switch
    {
        32 => c.Reg(reg),
        16 => (ushort)c.Reg(reg),
        _ => c.ReadReg8(reg),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteGpr(X86Cpu c, int reg, int bits, uint value)
    {
        switch (bits)
        {
            case 32: c.Reg(reg) = value; break;
            case 16: c.WriteReg16(reg, (ushort)value); break;
            default: c.WriteReg8(reg, (byte)value); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ReadMemory(X86Cpu c, uint address, int bits) => bits switch
    {
        32 => c.Mmu.Read32(address),
        16 => c.Mmu.Read16(address),
        _ => c.Mmu.Read8(address),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteMemory(X86Cpu c, uint address, int bits, uint value)
    {
        switch (bits)
        {
            case 32: c.Mmu.Write32(address, value); break;
            case 16: c.Mmu.Write16(address, (ushort)value); break;
            default: c.Mmu.Write8(address, (byte)value); break;
        }
    }

    /// <summary>Reads operand 0 at the instruction's main width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Read0(X86Cpu c, ref DecodedOp op) => op.K0 switch
    {
        OperandKind.Gpr => ReadGpr(c, op.R0, op.Bits),
        OperandKind.Memory => ReadMemory(c, EffectiveAddress(c, ref op), op.Bits),
        _ => op.Immediate,
    };

    /// <summary>Reads operand 1 at the source width (the main width unless the forms differ, as MOVZX's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Read1(X86Cpu c, ref DecodedOp op) => op.K1 switch
    {
        OperandKind.Gpr => ReadGpr(c, op.R1, op.SrcBits),
        OperandKind.Memory => ReadMemory(c, EffectiveAddress(c, ref op), op.SrcBits),
        OperandKind.Immediate => op.K0 == OperandKind.Immediate ? op.Immediate2 : op.Immediate,
        _ => 0,
    };

    /// <summary>Reads operand 2 (an immediate, or CL for SHLD/SHRD).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Read2(X86Cpu c, ref DecodedOp op) => op.K2 == OperandKind.Gpr ? c.ReadReg8(op.R2) : op.Immediate;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write0(X86Cpu c, ref DecodedOp op, uint value)
    {
        if (op.K0 == OperandKind.Gpr)
        {
            WriteGpr(c, op.R0, op.Bits, value);
        }
        else
        {
            WriteMemory(c, EffectiveAddress(c, ref op), op.Bits, value);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SignExtend(uint value, int bits) => bits switch
    {
        8 => (uint)(sbyte)value,
        16 => (uint)(short)value,
        _ => value,
    };
}
