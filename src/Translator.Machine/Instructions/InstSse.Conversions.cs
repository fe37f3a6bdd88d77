using System.Numerics;
using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Cpu.SimdFloat;

namespace Translator.Machine.Instructions;

/// <summary>SSE/SSE2 conversions between integers, single and double precision.</summary>
internal static unsafe partial class InstSse
{
    /// <summary>x86's "integer indefinite": the result of an invalid conversion to a 32-bit integer.</summary>
    private const uint IntegerIndefinite = 0x8000_0000;

    private static void RegisterConversions(Dictionary<Mnemonic, nint> t)
    {
        t[Mnemonic.Cvtsi2ss] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&IntegerToScalar;
        t[Mnemonic.Cvtsi2sd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&IntegerToScalar;
        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Cvtss2si, Mnemonic.Cvttss2si, Mnemonic.Cvtsd2si, Mnemonic.Cvttsd2si])
        {
            t[m] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&ScalarToInteger;
        }

        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Cvtss2sd, Mnemonic.Cvtsd2ss, Mnemonic.Cvtps2pd, Mnemonic.Cvtpd2ps,
                     Mnemonic.Cvtdq2ps, Mnemonic.Cvtdq2pd, Mnemonic.Cvtps2dq, Mnemonic.Cvttps2dq, Mnemonic.Cvtpd2dq, Mnemonic.Cvttpd2dq])
        {
            t[m] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&ConvertLanes;
        }
    }

    /// <summary>A signed 32-bit integer rounded into the format (exact for double).</summary>
    private static ulong FromInteger(FloatFormat f, int value, uint mxcsr, ref uint flags) =>
        Round(f, value < 0, BigInteger.Abs(value), 0, mxcsr, ref flags);

    /// <summary>To a signed 32-bit integer by the rounding mode (or truncating): NaN and out of range are invalid, 0x80000000.</summary>
    private static uint ToInteger(FloatFormat f, ulong bits, bool truncate, uint mxcsr, ref uint flags)
    {
        if (f.IsNaN(bits) || f.IsInfinity(bits))
        {
            flags |= Invalid;
            return IntegerIndefinite;
        }

        (BigInteger m, int e) = f.Decompose(bits);
        bool negative = f.IsNegative(bits);
        BigInteger value;
        bool inexact;
        if (e >= 0)
        {
            value = m << Math.Min(e, 64);
            inexact = false;
        }
        else
        {
            value = m >> -e;
            BigInteger rest = m - (value << -e);
            inexact = !rest.IsZero;
            Rounding mode = truncate ? Rounding.TowardZero : ModeOf(mxcsr);
            BigInteger half = BigInteger.One << (-e - 1);
            bool up = inexact && mode switch
            {
                Rounding.Nearest => rest > half || (rest == half && !value.IsEven),
                Rounding.Up => !negative,
                Rounding.Down => negative,
                _ => false,
            };
            value += up ? 1 : 0;
        }

        BigInteger signed = negative ? -value : value;
        if (signed < int.MinValue || signed > int.MaxValue)
        {
            flags |= Invalid;
            return IntegerIndefinite;
        }

        flags |= inexact ? Precision : 0;
        return (uint)(int)signed;
    }

    /// <summary>Single to double or back: NaNs keep their payload's top bits (quieted; an SNaN is invalid).</summary>
    private static ulong ConvertFloat(FloatFormat from, FloatFormat to, ulong bits, uint mxcsr, ref uint flags)
    {
        bool negative = from.IsNegative(bits);
        ulong sign = negative ? to.SignBit : 0;
        if (from.IsNaN(bits))
        {
            flags |= from.IsSignalingNaN(bits) ? Invalid : 0;
            ulong fraction = bits & from.FractionMask;
            fraction = to.Precision > from.Precision ? fraction << (to.Precision - from.Precision) : fraction >> (from.Precision - to.Precision);
            return sign | to.ExponentMask | fraction | to.QuietBit;
        }

        if (from.IsInfinity(bits))
        {
            return sign | to.Infinity;
        }

        flags |= from.IsDenormal(bits) ? Denormal : 0;
        (BigInteger m, int e) = from.Decompose(bits);
        return Round(to, negative, m, e, mxcsr, ref flags);
    }

    private static void IntegerToScalar(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        bool toDouble = op.Instruction.Mnemonic == Mnemonic.Cvtsi2sd;
        int value = (int)Source32(c, ref op, 1);
        uint flags = 0;
        ulong result = FromInteger(toDouble ? FloatFormat.Double : FloatFormat.Single, value, c.Mxcsr, ref flags);
        Commit(c, flags);
        ref UInt128 d = ref c.Xmm[XmmOf(ref op, 0)];
        d = toDouble ? (d & High64) | result : (d & ~(UInt128)Low32) | result;
    }

    private static void ScalarToInteger(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        Mnemonic m = op.Instruction.Mnemonic;
        bool fromDouble = m is Mnemonic.Cvtsd2si or Mnemonic.Cvttsd2si;
        ulong bits = fromDouble ? Source64(c, ref op, 1) : Source32(c, ref op, 1);
        uint flags = 0;
        uint result = ToInteger(fromDouble ? FloatFormat.Double : FloatFormat.Single, bits, m is Mnemonic.Cvttss2si or Mnemonic.Cvttsd2si, c.Mxcsr, ref flags);
        Commit(c, flags);
        c.Reg(op.Instruction.Op0Register - Iced.Intel.Register.EAX) = result;
    }

    /// <summary>The lane conversions: the source's lanes (an m64 for the widening forms), the result's unused lanes zeroed.</summary>
    private static void ConvertLanes(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        Mnemonic m = op.Instruction.Mnemonic;
        int d = XmmOf(ref op, 0);
        UInt128 destination = c.Xmm[d];
        UInt128 source = m switch
        {
            Mnemonic.Cvtss2sd => Source32(c, ref op, 1),
            Mnemonic.Cvtsd2ss or Mnemonic.Cvtps2pd or Mnemonic.Cvtdq2pd => Source64(c, ref op, 1),
            _ => Source128(c, ref op, 1),
        };
        uint flags = 0, mxcsr = c.Mxcsr;
        (int inWidth, int outWidth, int lanes) = m switch
        {
            Mnemonic.Cvtss2sd => (32, 64, 1),
            Mnemonic.Cvtsd2ss => (64, 32, 1),
            Mnemonic.Cvtps2pd or Mnemonic.Cvtdq2pd => (32, 64, 2),
            Mnemonic.Cvtpd2ps or Mnemonic.Cvtpd2dq or Mnemonic.Cvttpd2dq => (64, 32, 2),
            _ => (32, 32, 4),
        };
        UInt128 result = m switch
        {
            Mnemonic.Cvtss2sd => destination & High64,
            Mnemonic.Cvtsd2ss => destination & ~(UInt128)Low32,
            _ => 0,
        };
        for (int i = 0; i < lanes; i++)
        {
            ulong lane = (ulong)(source >> (inWidth * i)) & (inWidth == 64 ? ulong.MaxValue : uint.MaxValue);
            FloatFormat inFormat = inWidth == 64 ? FloatFormat.Double : FloatFormat.Single;
            FloatFormat outFormat = outWidth == 64 ? FloatFormat.Double : FloatFormat.Single;
            ulong converted = m switch
            {
                Mnemonic.Cvtdq2ps or Mnemonic.Cvtdq2pd => FromInteger(outFormat, (int)(uint)lane, mxcsr, ref flags),
                Mnemonic.Cvtps2dq or Mnemonic.Cvtpd2dq => ToInteger(inFormat, lane, truncate: false, mxcsr, ref flags),
                Mnemonic.Cvttps2dq or Mnemonic.Cvttpd2dq => ToInteger(inFormat, lane, truncate: true, mxcsr, ref flags),
                _ => ConvertFloat(inFormat, outFormat, lane, mxcsr, ref flags),
            };
            result |= (UInt128)converted << (outWidth * i);
        }

        Commit(c, flags);
        c.Xmm[d] = result;
    }
}
