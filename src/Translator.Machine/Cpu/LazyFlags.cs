using System.Numerics;
using System.Runtime.CompilerServices;

namespace Translator.Machine.Cpu;

/// <summary>What produced the current status flags; they are derived from the saved operands only when read.</summary>
internal enum FlagOp : byte
{
    /// <summary>The status flags are materialised in <see cref="X86Cpu.FlagBits"/>.</summary>
    None,
    Add,
    Adc,
    Sub,
    Sbb,
    Logic,
    Inc,
    Dec,
}

/// <summary>
/// Lazy condition codes (as QEMU's cc_op): arithmetic records its operands and result, and each flag is computed
/// on demand. A Jcc after CMP costs one comparison instead of six flag computations.
/// </summary>
public sealed partial class X86Cpu
{
    internal FlagOp LazyOp;
    internal byte LazyBits;      // operand width: 8, 16 or 32
    internal uint LazyA;         // first source operand (masked to width)
    internal uint LazyB;         // second source operand (masked to width)
    internal uint LazyResult;    // result (masked to width)
    internal uint LazyCarryIn;   // ADC/SBB carry in; INC/DEC: the preserved CF

    /// <summary>EFLAGS except the arithmetic flags while <see cref="LazyOp"/> is not None.</summary>
    internal uint FlagBits = (uint)EFlags.Reserved1;

    private static readonly bool[] s_parity = BuildParity();

    private static bool[] BuildParity()
    {
        var table = new bool[256];
        for (int i = 0; i < 256; i++)
        {
            table[i] = (BitOperations.PopCount((uint)i) & 1) == 0;
        }

        return table;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint MaskFor(int bits) => bits == 32 ? 0xFFFF_FFFFu : (1u << bits) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetLazy(FlagOp op, int bits, uint a, uint b, uint result)
    {
        uint mask = MaskFor(bits);
        LazyOp = op;
        LazyBits = (byte)bits;
        LazyA = a & mask;
        LazyB = b & mask;
        LazyResult = result & mask;
    }

    /// <summary>The 32-bit case of <see cref="SetLazy"/>: nothing to mask (the hot path of fast-path handlers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetLazy32(FlagOp op, uint a, uint b, uint result)
    {
        LazyOp = op;
        LazyBits = 32;
        LazyA = a;
        LazyB = b;
        LazyResult = result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetLazyWithCarry(FlagOp op, int bits, uint a, uint b, uint result, uint carryIn)
    {
        SetLazy(op, bits, a, b, result);
        LazyCarryIn = carryIn;
    }

    /// <summary>Sets all six status flags at once (used by instructions that compute them eagerly).</summary>
    internal void SetStatusFlags(uint statusFlags)
    {
        FlagBits = (FlagBits & ~(uint)EFlags.Arithmetic) | (statusFlags & (uint)EFlags.Arithmetic);
        LazyOp = FlagOp.None;
    }

    /// <summary>Folds the lazy state into <see cref="FlagBits"/>.</summary>
    internal void MaterializeFlags()
    {
        if (LazyOp != FlagOp.None)
        {
            FlagBits = (FlagBits & ~(uint)EFlags.Arithmetic) | ComputeStatusFlags();
            LazyOp = FlagOp.None;
        }
    }

    private uint ComputeStatusFlags()
    {
        uint flags = 0;
        if (CF) flags |= (uint)EFlags.CF;
        if (PF) flags |= (uint)EFlags.PF;
        if (AF) flags |= (uint)EFlags.AF;
        if (ZF) flags |= (uint)EFlags.ZF;
        if (SF) flags |= (uint)EFlags.SF;
        if (OF) flags |= (uint)EFlags.OF;
        return flags;
    }

    internal bool CF
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            // Most often asked after CMP/SUB, ADD and logic ops; tested in that order instead of a jump table.
            FlagOp op = LazyOp;
            if (op == FlagOp.Sub) return LazyA < LazyB;
            if (op == FlagOp.Add) return LazyResult < LazyA;
            if (op == FlagOp.Logic) return false;
            return CarryRare(op);
        }
    }

    private bool CarryRare(FlagOp op) => op switch
    {
        FlagOp.None => (FlagBits & (uint)EFlags.CF) != 0,
        FlagOp.Adc => LazyResult < LazyA || (LazyCarryIn != 0 && LazyResult == LazyA),
        FlagOp.Sbb => (ulong)LazyA < (ulong)LazyB + LazyCarryIn,
        _ => LazyCarryIn != 0, // INC/DEC keep CF
    };

    internal bool ZF => LazyOp == FlagOp.None ? (FlagBits & (uint)EFlags.ZF) != 0 : LazyResult == 0;

    internal bool SF => LazyOp == FlagOp.None ? (FlagBits & (uint)EFlags.SF) != 0 : (LazyResult >> (LazyBits - 1)) != 0;

    internal bool PF => LazyOp == FlagOp.None ? (FlagBits & (uint)EFlags.PF) != 0 : s_parity[LazyResult & 0xFF];

    internal bool AF => LazyOp switch
    {
        FlagOp.None => (FlagBits & (uint)EFlags.AF) != 0,
        FlagOp.Logic => false,
        _ => ((LazyA ^ LazyB ^ LazyResult) & 0x10) != 0,
    };

    internal bool OF
    {
        get
        {
            int sign = LazyBits - 1;
            switch (LazyOp)
            {
                case FlagOp.None: return (FlagBits & (uint)EFlags.OF) != 0;
                case FlagOp.Add:
                case FlagOp.Adc:
                case FlagOp.Inc:
                    return (((LazyA ^ LazyResult) & (LazyB ^ LazyResult)) >> sign & 1) != 0;
                case FlagOp.Sub:
                case FlagOp.Sbb:
                case FlagOp.Dec:
                    return (((LazyA ^ LazyB) & (LazyA ^ LazyResult)) >> sign & 1) != 0;
                default: return false;
            }
        }
    }

    internal static bool Parity(uint value) => s_parity[value & 0xFF];

    /// <summary>Materialises CF and replaces it, leaving the other flags as they are.</summary>
    internal void SetCarry(bool carry)
    {
        MaterializeFlags();
        FlagBits = carry ? FlagBits | (uint)EFlags.CF : FlagBits & ~(uint)EFlags.CF;
    }

    internal void SetFlag(EFlags flag, bool value)
    {
        if ((flag & EFlags.Arithmetic) != 0)
        {
            MaterializeFlags();
        }

        FlagBits = value ? FlagBits | (uint)flag : FlagBits & ~(uint)flag;
    }

    /// <summary>The architectural EFLAGS value.</summary>
    public uint EFlagsValue
    {
        get
        {
            MaterializeFlags();
            return FlagBits | (uint)EFlags.Reserved1;
        }
    }

    /// <summary>Replaces every EFLAGS bit (callers apply privilege rules first).</summary>
    internal void WriteEFlags(uint value)
    {
        const uint alwaysZero = (1u << 3) | (1u << 5) | (1u << 15) | 0xFFC0_0000u;
        FlagBits = (value & ~alwaysZero) | (uint)EFlags.Reserved1;
        LazyOp = FlagOp.None;
    }

    /// <summary>Evaluates condition code <paramref name="cc"/> (the low nibble of Jcc/SETcc/CMOVcc opcodes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Condition(int cc)
    {
        bool result = (cc >> 1) switch
        {
            0 => OF,
            1 => CF,
            2 => ZF,
            3 => CF || ZF,
            4 => SF,
            5 => PF,
            6 => SF != OF,
            _ => ZF || SF != OF,
        };
        return result ^ ((cc & 1) != 0);
    }

    internal bool IF => (FlagBits & (uint)EFlags.IF) != 0;

    internal bool DF => (FlagBits & (uint)EFlags.DF) != 0;

    internal int Iopl => (int)(FlagBits >> 12) & 3;
}
