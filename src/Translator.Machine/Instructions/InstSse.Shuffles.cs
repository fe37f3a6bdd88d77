using Iced.Intel;
using Reg = Iced.Intel.Register;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>Shifts, shuffles, unpacks, packs, mask extraction and word insert/extract.</summary>
internal static unsafe partial class InstSse
{
    private static void RegisterShifts(Dictionary<Mnemonic, nint> t)
    {
        t[Mnemonic.Psllw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Shift<ushort, LeftLogical<ushort>>;
        t[Mnemonic.Pslld] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Shift<uint, LeftLogical<uint>>;
        t[Mnemonic.Psllq] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Shift<ulong, LeftLogical<ulong>>;
        t[Mnemonic.Psrlw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Shift<ushort, RightLogical<ushort>>;
        t[Mnemonic.Psrld] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Shift<uint, RightLogical<uint>>;
        t[Mnemonic.Psrlq] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Shift<ulong, RightLogical<ulong>>;
        t[Mnemonic.Psraw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Shift<short, RightArithmetic<short>>;
        t[Mnemonic.Psrad] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Shift<int, RightArithmetic<int>>;
        t[Mnemonic.Pslldq] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&ShiftBytesLeft;
        t[Mnemonic.Psrldq] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&ShiftBytesRight;
    }

    private static void RegisterShuffles(Dictionary<Mnemonic, nint> t)
    {
        t[Mnemonic.Pshufd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&ShuffleDoublewords;
        t[Mnemonic.Pshufhw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&ShuffleHighWords;
        t[Mnemonic.Pshuflw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&ShuffleLowWords;
        t[Mnemonic.Shufps] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&ShuffleSingles;
        t[Mnemonic.Shufpd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&ShuffleDoubles;
        t[Mnemonic.Punpcklbw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&UnpackLow<byte>;
        t[Mnemonic.Punpcklwd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&UnpackLow<ushort>;
        t[Mnemonic.Punpckldq] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&UnpackLow<uint>;
        t[Mnemonic.Punpcklqdq] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&UnpackLow<ulong>;
        t[Mnemonic.Punpckhbw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&UnpackHigh<byte>;
        t[Mnemonic.Punpckhwd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&UnpackHigh<ushort>;
        t[Mnemonic.Punpckhdq] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&UnpackHigh<uint>;
        t[Mnemonic.Punpckhqdq] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&UnpackHigh<ulong>;
        t[Mnemonic.Unpcklps] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&UnpackLow<uint>;
        t[Mnemonic.Unpckhps] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&UnpackHigh<uint>;
        t[Mnemonic.Unpcklpd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&UnpackLow<ulong>;
        t[Mnemonic.Unpckhpd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&UnpackHigh<ulong>;
        t[Mnemonic.Packsswb] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Pack<short, sbyte>;
        t[Mnemonic.Packssdw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Pack<int, short>;
        t[Mnemonic.Packuswb] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Pack<short, byte>;
        t[Mnemonic.Pmovmskb] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&SignMask<byte>;
        t[Mnemonic.Movmskps] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&SignMask<uint>;
        t[Mnemonic.Movmskpd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&SignMask<ulong>;
        t[Mnemonic.Pextrw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&ExtractWord;
        t[Mnemonic.Pinsrw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&InsertWord;
    }

    /// <summary>The count of a shift: its immediate, or the low 64 bits of an XMM register or m128 (aligned).</summary>
    private static ulong ShiftCount(X86Cpu c, ref DecodedOp op) =>
        op.Instruction.Op1Kind == OpKind.Immediate8 ? (byte)op.Immediate : (ulong)Source128(c, ref op, 1);

    /// <summary>PSLL*/PSRL*/PSRA*: every lane by the same count (a count past the width is handled per shift kind).</summary>
    private static void Shift<T, TShift>(X86Cpu c, ref DecodedOp op) where T : struct, System.Numerics.IBinaryInteger<T> where TShift : IShiftOp<T>
    {
        Enter(c, ref op);
        ulong count = ShiftCount(c, ref op);
        Span<T> d = c.XmmLanes<T>(XmmOf(ref op, 0));
        int width = System.Runtime.CompilerServices.Unsafe.SizeOf<T>() * 8;
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = TShift.Apply(d[i], count, width);
        }
    }

    private interface IShiftOp<T>
    {
        static abstract T Apply(T value, ulong count, int width);
    }

    private readonly struct LeftLogical<T> : IShiftOp<T> where T : System.Numerics.IBinaryInteger<T>
    {
        public static T Apply(T value, ulong count, int width) => count >= (ulong)width ? T.Zero : value << (int)count;
    }

    private readonly struct RightLogical<T> : IShiftOp<T> where T : System.Numerics.IBinaryInteger<T>
    {
        public static T Apply(T value, ulong count, int width) => count >= (ulong)width ? T.Zero : value >>> (int)count;
    }

    /// <summary>A count past the width fills each lane with its sign.</summary>
    private readonly struct RightArithmetic<T> : IShiftOp<T> where T : System.Numerics.IBinaryInteger<T>
    {
        public static T Apply(T value, ulong count, int width) => value >> (int)Math.Min(count, (ulong)width - 1);
    }

    private static void ShiftBytesLeft(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        int count = (byte)op.Immediate;
        ref UInt128 d = ref c.Xmm[XmmOf(ref op, 0)];
        d = count > 15 ? 0 : d << (8 * count);
    }

    private static void ShiftBytesRight(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        int count = (byte)op.Immediate;
        ref UInt128 d = ref c.Xmm[XmmOf(ref op, 0)];
        d = count > 15 ? 0 : d >> (8 * count);
    }

    private static void ShuffleDoublewords(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        UInt128 source = Source128(c, ref op, 1);
        ReadOnlySpan<uint> s = Lanes<uint>(ref source);
        Span<uint> d = c.XmmLanes<uint>(XmmOf(ref op, 0));
        uint order = op.Immediate;
        for (int i = 0; i < 4; i++)
        {
            d[i] = s[(int)(order >> (2 * i)) & 3];
        }
    }

    private static void ShuffleHighWords(X86Cpu c, ref DecodedOp op) => ShuffleWords(c, ref op, half: 4);

    private static void ShuffleLowWords(X86Cpu c, ref DecodedOp op) => ShuffleWords(c, ref op, half: 0);

    /// <summary>PSHUFHW/PSHUFLW: the four words of one half chosen by the immediate, the other half copied.</summary>
    private static void ShuffleWords(X86Cpu c, ref DecodedOp op, int half)
    {
        Enter(c, ref op);
        UInt128 source = Source128(c, ref op, 1);
        ReadOnlySpan<ushort> s = Lanes<ushort>(ref source);
        Span<ushort> d = c.XmmLanes<ushort>(XmmOf(ref op, 0));
        uint order = op.Immediate;
        s.CopyTo(d);
        for (int i = 0; i < 4; i++)
        {
            d[half + i] = s[half + ((int)(order >> (2 * i)) & 3)];
        }
    }

    private static void ShuffleSingles(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        UInt128 source = Source128(c, ref op, 1);
        int index = XmmOf(ref op, 0);
        UInt128 destination = c.Xmm[index];
        ReadOnlySpan<uint> s = Lanes<uint>(ref source), a = Lanes<uint>(ref destination);
        Span<uint> d = c.XmmLanes<uint>(index);
        uint order = op.Immediate;
        d[0] = a[(int)order & 3];
        d[1] = a[(int)(order >> 2) & 3];
        d[2] = s[(int)(order >> 4) & 3];
        d[3] = s[(int)(order >> 6) & 3];
    }

    private static void ShuffleDoubles(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        UInt128 source = Source128(c, ref op, 1);
        int index = XmmOf(ref op, 0);
        UInt128 destination = c.Xmm[index];
        ReadOnlySpan<ulong> s = Lanes<ulong>(ref source), a = Lanes<ulong>(ref destination);
        c.Xmm[index] = new UInt128(s[(int)(op.Immediate >> 1) & 1], a[(int)op.Immediate & 1]);
    }

    private static void UnpackLow<T>(X86Cpu c, ref DecodedOp op) where T : struct => Unpack<T>(c, ref op, 0);

    private static void UnpackHigh<T>(X86Cpu c, ref DecodedOp op) where T : struct => Unpack<T>(c, ref op, 1);

    /// <summary>Interleaves the lanes of one half of the destination and the source, destination first.</summary>
    private static void Unpack<T>(X86Cpu c, ref DecodedOp op, int half) where T : struct
    {
        Enter(c, ref op);
        UInt128 source = Source128(c, ref op, 1);
        int index = XmmOf(ref op, 0);
        UInt128 destination = c.Xmm[index];
        ReadOnlySpan<T> s = Lanes<T>(ref source), a = Lanes<T>(ref destination);
        Span<T> d = c.XmmLanes<T>(index);
        int count = d.Length / 2, start = half * count;
        for (int i = 0; i < count; i++)
        {
            d[2 * i] = a[start + i];
            d[2 * i + 1] = s[start + i];
        }
    }

    /// <summary>PACKSSWB/PACKSSDW/PACKUSWB: the destination's lanes then the source's, each saturated to the narrow type.</summary>
    private static void Pack<TWide, TNarrow>(X86Cpu c, ref DecodedOp op)
        where TWide : struct, System.Numerics.IBinaryInteger<TWide> where TNarrow : struct, System.Numerics.IBinaryInteger<TNarrow>
    {
        Enter(c, ref op);
        UInt128 source = Source128(c, ref op, 1);
        int index = XmmOf(ref op, 0);
        UInt128 destination = c.Xmm[index];
        ReadOnlySpan<TWide> s = Lanes<TWide>(ref source), a = Lanes<TWide>(ref destination);
        Span<TNarrow> d = c.XmmLanes<TNarrow>(index);
        for (int i = 0; i < a.Length; i++)
        {
            d[i] = TNarrow.CreateSaturating(a[i]);
            d[a.Length + i] = TNarrow.CreateSaturating(s[i]);
        }
    }

    /// <summary>PMOVMSKB/MOVMSKPS/MOVMSKPD: each lane's top bit into a general register.</summary>
    private static void SignMask<T>(X86Cpu c, ref DecodedOp op) where T : struct, System.Numerics.IBinaryInteger<T>
    {
        Enter(c, ref op);
        Span<T> s = c.XmmLanes<T>(XmmOf(ref op, 1));
        int width = System.Runtime.CompilerServices.Unsafe.SizeOf<T>() * 8;
        uint mask = 0;
        for (int i = 0; i < s.Length; i++)
        {
            mask |= uint.CreateTruncating(s[i] >>> (width - 1)) << i;
        }

        c.Reg(op.Instruction.Op0Register - Reg.EAX) = mask;
    }

    private static void ExtractWord(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        c.Reg(op.Instruction.Op0Register - Reg.EAX) = c.XmmLanes<ushort>(XmmOf(ref op, 1))[(int)op.Immediate & 7];
    }

    private static void InsertWord(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        ushort value = IsMemory(ref op, 1) ? c.Mmu.Read16(Operands.EffectiveAddress(c, ref op)) : (ushort)c.Reg(op.Instruction.Op1Register - Reg.EAX);
        c.XmmLanes<ushort>(XmmOf(ref op, 0))[(int)op.Immediate & 7] = value;
    }
}
