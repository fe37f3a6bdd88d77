using System.Runtime.CompilerServices;
using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>
/// Shifts and rotates: SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR, SHLD, SHRD. The count is masked to 5 bits and a
/// zero count changes no flag. Flags the SDM leaves undefined follow QEMU: OF uses the count-1 formula for every
/// count, AF is cleared by shifts, and SHLD/SHRD of 16 bits by more than 16 behave as on Intel hardware.
/// </summary>
internal static unsafe class InstShift
{
    private const uint FlagCf = (uint)EFlags.CF, FlagOf = (uint)EFlags.OF;

    public static void Register(InstructionTableBuilder t)
    {
        t.Add(Mnemonic.Shl, &Shl);
        t.Add(Mnemonic.Sal, &Shl);
        t.Add(Mnemonic.Shr, &Shr);
        t.Add(Mnemonic.Sar, &Sar);
        t.Add(Mnemonic.Rol, &Rol);
        t.Add(Mnemonic.Ror, &Ror);
        t.Add(Mnemonic.Rcl, &Rcl);
        t.Add(Mnemonic.Rcr, &Rcr);
        t.Add(Mnemonic.Shld, &Shld);
        t.Add(Mnemonic.Shrd, &Shrd);
    }

    // ---- operand plumbing: the destination's address is computed once for the read-modify-write ----

    /// <summary>The count operand (imm8, the implicit 1, or CL) masked to 5 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Count(X86Cpu c, ref DecodedOp op) =>
        (int)((op.K1 == OperandKind.Gpr ? c.Reg(X86Cpu.ECX) : op.Immediate) & 31);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Load(X86Cpu c, ref DecodedOp op, out uint address)
    {
        if (op.K0 == OperandKind.Gpr)
        {
            address = 0;
            return ReadGpr(c, op.R0, op.Bits);
        }

        address = EffectiveAddress(c, ref op);
        return ReadMemory(c, address, op.Bits);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(X86Cpu c, ref DecodedOp op, uint address, uint value)
    {
        if (op.K0 == OperandKind.Gpr)
        {
            WriteGpr(c, op.R0, op.Bits, value);
        }
        else
        {
            WriteMemory(c, address, op.Bits, value);
        }
    }

    /// <summary>
    /// Sets the flags of a shift: SF/ZF/PF from the result, AF clear, CF and OF (0 or 1) as given. With CF = OF = 0
    /// these are exactly the flags of a logic instruction, which are recorded lazily (the common case).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SetShiftFlags(X86Cpu c, int bits, uint result, uint cf, uint of)
    {
        if ((cf | of) == 0)
        {
            c.SetLazy(FlagOp.Logic, bits, 0, 0, result);
            return;
        }

        c.SetStatusFlags(SzpFlags(result, bits) | cf | (of << 11));
    }

    /// <summary>SF, ZF and PF of a result already masked to its width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint SzpFlags(uint result, int bits) =>
        (result == 0 ? (uint)EFlags.ZF : 0) |
        (X86Cpu.Parity(result) ? (uint)EFlags.PF : 0) |
        (((result >> (bits - 1)) & 1) << 7);

    /// <summary>Replaces only CF and OF (rotates leave SF/ZF/AF/PF alone).</summary>
    private static void SetCarryOverflow(X86Cpu c, uint cf, uint of)
    {
        c.MaterializeFlags();
        c.FlagBits = (c.FlagBits & ~(FlagCf | FlagOf)) | cf | (of << 11);
    }

    // ---- shifts ----

    public static void Shl(X86Cpu c, ref DecodedOp op)
    {
        int bits = op.Bits, count = Count(c, ref op);
        uint a = Load(c, ref op, out uint address);
        if (count == 0)
        {
            return;
        }

        // 'last' is the operand shifted by count-1: its top bit is the last bit shifted out (0 once count > bits).
        uint last = a << (count - 1);
        uint r = (last << 1) & X86Cpu.MaskFor(bits);
        Store(c, ref op, address, r);
        uint cf = (last >> (bits - 1)) & 1;
        SetShiftFlags(c, bits, r, cf, cf ^ (r >> (bits - 1)));
    }

    public static void Shr(X86Cpu c, ref DecodedOp op)
    {
        int bits = op.Bits, count = Count(c, ref op);
        uint a = Load(c, ref op, out uint address);
        if (count == 0)
        {
            return;
        }

        uint last = a >> (count - 1);
        uint r = last >> 1;
        Store(c, ref op, address, r);

        // OF = MSB(operand shifted by count-1) ^ MSB(result): the original MSB for a count of 1, else 0.
        SetShiftFlags(c, bits, r, last & 1, ((last ^ r) >> (bits - 1)) & 1);
    }

    public static void Sar(X86Cpu c, ref DecodedOp op)
    {
        int bits = op.Bits, count = Count(c, ref op);
        uint a = Load(c, ref op, out uint address);
        if (count == 0)
        {
            return;
        }

        int last = (int)SignExtend(a, bits) >> (count - 1);
        uint r = (uint)(last >> 1) & X86Cpu.MaskFor(bits);
        Store(c, ref op, address, r);
        SetShiftFlags(c, bits, r, (uint)last & 1, 0);
    }

    // ---- rotates ----

    public static void Rol(X86Cpu c, ref DecodedOp op)
    {
        int bits = op.Bits, count = Count(c, ref op);
        uint a = Load(c, ref op, out uint address);
        if (count == 0)
        {
            return;
        }

        // A count that is a multiple of the width leaves the value but still sets CF/OF from it (SDM, QEMU).
        int n = count & (bits - 1);
        uint r = n == 0 ? a : ((a << n) | (a >> (bits - n))) & X86Cpu.MaskFor(bits);
        Store(c, ref op, address, r);
        uint cf = r & 1;
        SetCarryOverflow(c, cf, ((r >> (bits - 1)) ^ cf) & 1);
    }

    public static void Ror(X86Cpu c, ref DecodedOp op)
    {
        int bits = op.Bits, count = Count(c, ref op);
        uint a = Load(c, ref op, out uint address);
        if (count == 0)
        {
            return;
        }

        int n = count & (bits - 1);
        uint r = n == 0 ? a : ((a >> n) | (a << (bits - n))) & X86Cpu.MaskFor(bits);
        Store(c, ref op, address, r);
        uint msb = (r >> (bits - 1)) & 1;
        SetCarryOverflow(c, msb, (msb ^ (r >> (bits - 2))) & 1);
    }

    /// <summary>RCL/RCR rotate through CF, so 8- and 16-bit operands rotate 9 and 17 bit positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CarryRotateCount(int count, int bits) => bits switch
    {
        8 => count % 9,
        16 => count % 17,
        _ => count,
    };

    public static void Rcl(X86Cpu c, ref DecodedOp op)
    {
        int bits = op.Bits, n = CarryRotateCount(Count(c, ref op), op.Bits);
        uint a = Load(c, ref op, out uint address);
        if (n == 0)
        {
            return;
        }

        uint carry = c.CF ? 1u : 0u;
        uint r = (a << n) | (carry << (n - 1));
        if (n > 1)
        {
            r |= a >> (bits + 1 - n);
        }

        r &= X86Cpu.MaskFor(bits);
        Store(c, ref op, address, r);
        SetCarryOverflow(c, (a >> (bits - n)) & 1, ((a ^ r) >> (bits - 1)) & 1);
    }

    public static void Rcr(X86Cpu c, ref DecodedOp op)
    {
        int bits = op.Bits, n = CarryRotateCount(Count(c, ref op), op.Bits);
        uint a = Load(c, ref op, out uint address);
        if (n == 0)
        {
            return;
        }

        uint carry = c.CF ? 1u : 0u;
        uint r = (a >> n) | (carry << (bits - n));
        if (n > 1)
        {
            r |= a << (bits + 1 - n);
        }

        r &= X86Cpu.MaskFor(bits);
        Store(c, ref op, address, r);
        SetCarryOverflow(c, (a >> (n - 1)) & 1, ((a ^ r) >> (bits - 1)) & 1);
    }

    // ---- double-precision shifts: operand 1 is the register supplying the bits, operand 2 the count ----

    public static void Shld(X86Cpu c, ref DecodedOp op)
    {
        int bits = op.Bits, count = (int)(Read2(c, ref op) & 31);
        uint a = Load(c, ref op, out uint address);
        if (count == 0)
        {
            return;
        }

        uint b = ReadGpr(c, op.R1, bits), r, last;
        if (bits == 32)
        {
            r = (a << count) | (b >> (32 - count));
            last = a << (count - 1);
        }
        else
        {
            // 16 bits: shift the 48-bit string a:b:a, which gives Intel's result for counts above 16.
            ulong s = ((ulong)a << 32) | (b << 16) | a;
            r = (uint)(s >> (32 - count)) & 0xFFFF;
            last = (uint)(s >> (33 - count));
        }

        Store(c, ref op, address, r);
        uint cf = (last >> (bits - 1)) & 1;
        SetShiftFlags(c, bits, r, cf, cf ^ (r >> (bits - 1)));
    }

    public static void Shrd(X86Cpu c, ref DecodedOp op)
    {
        int bits = op.Bits, count = (int)(Read2(c, ref op) & 31);
        uint a = Load(c, ref op, out uint address);
        if (count == 0)
        {
            return;
        }

        uint b = ReadGpr(c, op.R1, bits), r, last;
        if (bits == 32)
        {
            r = (a >> count) | (b << (32 - count));
            last = a >> (count - 1);
        }
        else
        {
            // 16 bits: shift the 48-bit string a:b:a right (Intel's result for counts above 16).
            ulong s = ((ulong)a << 32) | (b << 16) | a;
            r = (uint)(s >> count) & 0xFFFF;
            last = (uint)s >> (count - 1);
        }

        Store(c, ref op, address, r);
        SetShiftFlags(c, bits, r, last & 1, ((last ^ r) >> (bits - 1)) & 1);
    }
}
