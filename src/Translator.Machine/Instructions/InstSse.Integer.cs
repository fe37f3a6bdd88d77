using Iced.Intel;
using Reg = Iced.Intel.Register;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>One lane of a packed operation: destination lane and source lane in, result out.</summary>
internal interface ILaneOp<T>
{
    static abstract T Apply(T a, T b);
}

/// <summary>SSE2's 128-bit integer instructions and the bitwise logic of both units.</summary>
internal static unsafe partial class InstSse
{
    private static void RegisterInteger(Dictionary<Mnemonic, nint> t)
    {
        t[Mnemonic.Paddb] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<byte, Add8>;
        t[Mnemonic.Paddw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ushort, Add16>;
        t[Mnemonic.Paddd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<uint, Add32>;
        t[Mnemonic.Paddq] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ulong, Add64>;
        t[Mnemonic.Psubb] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<byte, Sub8>;
        t[Mnemonic.Psubw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ushort, Sub16>;
        t[Mnemonic.Psubd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<uint, Sub32>;
        t[Mnemonic.Psubq] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ulong, Sub64>;
        t[Mnemonic.Paddsb] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<sbyte, AddSaturateS8>;
        t[Mnemonic.Paddsw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<short, AddSaturateS16>;
        t[Mnemonic.Paddusb] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<byte, AddSaturateU8>;
        t[Mnemonic.Paddusw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ushort, AddSaturateU16>;
        t[Mnemonic.Psubsb] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<sbyte, SubSaturateS8>;
        t[Mnemonic.Psubsw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<short, SubSaturateS16>;
        t[Mnemonic.Psubusb] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<byte, SubSaturateU8>;
        t[Mnemonic.Psubusw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ushort, SubSaturateU16>;
        t[Mnemonic.Pmullw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<short, MultiplyLow16>;
        t[Mnemonic.Pmulhw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<short, MultiplyHighS16>;
        t[Mnemonic.Pmulhuw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ushort, MultiplyHighU16>;
        t[Mnemonic.Pmuludq] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ulong, MultiplyUnsigned32To64>;
        t[Mnemonic.Pavgb] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<byte, Average8>;
        t[Mnemonic.Pavgw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ushort, Average16>;
        t[Mnemonic.Pminub] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<byte, Minimum<byte>>;
        t[Mnemonic.Pmaxub] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<byte, Maximum<byte>>;
        t[Mnemonic.Pminsw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<short, Minimum<short>>;
        t[Mnemonic.Pmaxsw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<short, Maximum<short>>;
        t[Mnemonic.Pcmpeqb] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<byte, Equal<byte>>;
        t[Mnemonic.Pcmpeqw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ushort, Equal<ushort>>;
        t[Mnemonic.Pcmpeqd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<uint, Equal<uint>>;
        t[Mnemonic.Pcmpgtb] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<sbyte, Greater<sbyte>>;
        t[Mnemonic.Pcmpgtw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<short, Greater<short>>;
        t[Mnemonic.Pcmpgtd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<int, Greater<int>>;
        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Pand, Mnemonic.Andps, Mnemonic.Andpd])
        {
            t[m] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ulong, And>;
        }

        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Pandn, Mnemonic.Andnps, Mnemonic.Andnpd])
        {
            t[m] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ulong, AndNot>;
        }

        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Por, Mnemonic.Orps, Mnemonic.Orpd])
        {
            t[m] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ulong, Or>;
        }

        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Pxor, Mnemonic.Xorps, Mnemonic.Xorpd])
        {
            t[m] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Packed<ulong, Xor>;
        }

        t[Mnemonic.Pmaddwd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MultiplyAdd;
        t[Mnemonic.Psadbw] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&SumOfAbsoluteDifferences;
        RegisterShifts(t);
        RegisterShuffles(t);
    }

    /// <summary>The packed form of <typeparamref name="TOp"/>: each lane of the destination with the same lane of the source.</summary>
    private static void Packed<T, TOp>(X86Cpu c, ref DecodedOp op) where T : struct where TOp : ILaneOp<T>
    {
        Enter(c, ref op);
        UInt128 source = Source128(c, ref op, 1);
        ReadOnlySpan<T> s = Lanes<T>(ref source);
        Span<T> d = c.XmmLanes<T>(XmmOf(ref op, 0));
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = TOp.Apply(d[i], s[i]);
        }
    }

    private readonly struct Add8 : ILaneOp<byte> { public static byte Apply(byte a, byte b) => (byte)(a + b); }

    private readonly struct Add16 : ILaneOp<ushort> { public static ushort Apply(ushort a, ushort b) => (ushort)(a + b); }

    private readonly struct Add32 : ILaneOp<uint> { public static uint Apply(uint a, uint b) => a + b; }

    private readonly struct Add64 : ILaneOp<ulong> { public static ulong Apply(ulong a, ulong b) => a + b; }

    private readonly struct Sub8 : ILaneOp<byte> { public static byte Apply(byte a, byte b) => (byte)(a - b); }

    private readonly struct Sub16 : ILaneOp<ushort> { public static ushort Apply(ushort a, ushort b) => (ushort)(a - b); }

    private readonly struct Sub32 : ILaneOp<uint> { public static uint Apply(uint a, uint b) => a - b; }

    private readonly struct Sub64 : ILaneOp<ulong> { public static ulong Apply(ulong a, ulong b) => a - b; }

    private readonly struct AddSaturateS8 : ILaneOp<sbyte> { public static sbyte Apply(sbyte a, sbyte b) => (sbyte)Math.Clamp(a + b, sbyte.MinValue, sbyte.MaxValue); }

    private readonly struct AddSaturateS16 : ILaneOp<short> { public static short Apply(short a, short b) => (short)Math.Clamp(a + b, short.MinValue, short.MaxValue); }

    private readonly struct AddSaturateU8 : ILaneOp<byte> { public static byte Apply(byte a, byte b) => (byte)Math.Min(a + b, byte.MaxValue); }

    private readonly struct AddSaturateU16 : ILaneOp<ushort> { public static ushort Apply(ushort a, ushort b) => (ushort)Math.Min(a + b, ushort.MaxValue); }

    private readonly struct SubSaturateS8 : ILaneOp<sbyte> { public static sbyte Apply(sbyte a, sbyte b) => (sbyte)Math.Clamp(a - b, sbyte.MinValue, sbyte.MaxValue); }

    private readonly struct SubSaturateS16 : ILaneOp<short> { public static short Apply(short a, short b) => (short)Math.Clamp(a - b, short.MinValue, short.MaxValue); }

    private readonly struct SubSaturateU8 : ILaneOp<byte> { public static byte Apply(byte a, byte b) => (byte)Math.Max(a - b, 0); }

    private readonly struct SubSaturateU16 : ILaneOp<ushort> { public static ushort Apply(ushort a, ushort b) => (ushort)Math.Max(a - b, 0); }

    private readonly struct MultiplyLow16 : ILaneOp<short> { public static short Apply(short a, short b) => (short)(a * b); }

    private readonly struct MultiplyHighS16 : ILaneOp<short> { public static short Apply(short a, short b) => (short)((a * b) >> 16); }

    private readonly struct MultiplyHighU16 : ILaneOp<ushort> { public static ushort Apply(ushort a, ushort b) => (ushort)((uint)(a * b) >> 16); }

    private readonly struct MultiplyUnsigned32To64 : ILaneOp<ulong> { public static ulong Apply(ulong a, ulong b) => (ulong)(uint)a * (uint)b; }

    private readonly struct Average8 : ILaneOp<byte> { public static byte Apply(byte a, byte b) => (byte)((a + b + 1) >> 1); }

    private readonly struct Average16 : ILaneOp<ushort> { public static ushort Apply(ushort a, ushort b) => (ushort)((a + b + 1) >> 1); }

    private readonly struct Minimum<T> : ILaneOp<T> where T : IComparable<T> { public static T Apply(T a, T b) => a.CompareTo(b) <= 0 ? a : b; }

    private readonly struct Maximum<T> : ILaneOp<T> where T : IComparable<T> { public static T Apply(T a, T b) => a.CompareTo(b) >= 0 ? a : b; }

    private readonly struct Equal<T> : ILaneOp<T> where T : System.Numerics.IBinaryInteger<T>
    {
        public static T Apply(T a, T b) => a == b ? T.AllBitsSet : T.Zero;
    }

    private readonly struct Greater<T> : ILaneOp<T> where T : System.Numerics.IBinaryInteger<T>
    {
        public static T Apply(T a, T b) => a > b ? T.AllBitsSet : T.Zero;
    }

    private readonly struct And : ILaneOp<ulong> { public static ulong Apply(ulong a, ulong b) => a & b; }

    private readonly struct AndNot : ILaneOp<ulong> { public static ulong Apply(ulong a, ulong b) => ~a & b; }

    private readonly struct Or : ILaneOp<ulong> { public static ulong Apply(ulong a, ulong b) => a | b; }

    private readonly struct Xor : ILaneOp<ulong> { public static ulong Apply(ulong a, ulong b) => a ^ b; }

    /// <summary>PMADDWD: each pair of signed word products summed into a doubleword (0x8000 * 0x8000 twice wraps to 0x80000000).</summary>
    private static void MultiplyAdd(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        UInt128 source = Source128(c, ref op, 1);
        ReadOnlySpan<short> s = Lanes<short>(ref source);
        int d = XmmOf(ref op, 0);
        UInt128 result = 0;
        Span<short> a = c.XmmLanes<short>(d);
        Span<uint> r = Lanes<uint>(ref result);
        for (int i = 0; i < 4; i++)
        {
            r[i] = (uint)(a[2 * i] * s[2 * i]) + (uint)(a[2 * i + 1] * s[2 * i + 1]);
        }

        c.Xmm[d] = result;
    }

    /// <summary>PSADBW: per 64-bit half, the sum of the eight bytes' absolute differences in its low word.</summary>
    private static void SumOfAbsoluteDifferences(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        UInt128 source = Source128(c, ref op, 1);
        ReadOnlySpan<byte> s = Lanes<byte>(ref source);
        int d = XmmOf(ref op, 0);
        Span<byte> a = c.XmmLanes<byte>(d);
        ulong low = 0, high = 0;
        for (int i = 0; i < 8; i++)
        {
            low += (ulong)Math.Abs(a[i] - s[i]);
            high += (ulong)Math.Abs(a[i + 8] - s[i + 8]);
        }

        c.Xmm[d] = new UInt128(high, low);
    }
}
