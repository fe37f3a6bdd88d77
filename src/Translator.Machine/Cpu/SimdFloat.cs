using System.Numerics;

namespace Translator.Machine.Cpu;

/// <summary>An IEEE 754 binary format as SSE uses it: single (24-bit significand) or double (53).</summary>
internal readonly struct FloatFormat(int precision, int exponentBits)
{
    public static readonly FloatFormat Single = new(24, 8), Double = new(53, 11);

    public int Precision { get; } = precision;

    public int Bias => (1 << (exponentBits - 1)) - 1;

    public int MinExponent => 1 - Bias;

    public int MaxBiased => (1 << exponentBits) - 1;

    public ulong FractionMask => (1UL << (Precision - 1)) - 1;

    public ulong ExponentMask => (ulong)MaxBiased << (Precision - 1);

    public ulong SignBit => 1UL << (Precision - 1 + exponentBits);

    public ulong QuietBit => 1UL << (Precision - 2);

    /// <summary>x86's default QNaN ("real indefinite"): sign set, quiet bit set, payload 0.</summary>
    public ulong DefaultNaN => SignBit | ExponentMask | QuietBit;

    public ulong Infinity => ExponentMask;

    public ulong MaxFinite => ExponentMask - (1UL << (Precision - 1)) | FractionMask;

    public int Exponent(ulong bits) => (int)((bits & ExponentMask) >> (Precision - 1));

    public bool IsNaN(ulong bits) => (bits & ExponentMask) == ExponentMask && (bits & FractionMask) != 0;

    public bool IsSignalingNaN(ulong bits) => IsNaN(bits) && (bits & QuietBit) == 0;

    public bool IsInfinity(ulong bits) => (bits & ~SignBit) == ExponentMask;

    public bool IsZero(ulong bits) => (bits & ~SignBit) == 0;

    public bool IsDenormal(ulong bits) => (bits & ExponentMask) == 0 && (bits & FractionMask) != 0;

    public bool IsNegative(ulong bits) => (bits & SignBit) != 0;

    /// <summary>A finite value as significand x 2^exponent (the significand has no sign).</summary>
    public (BigInteger Significand, int Exponent) Decompose(ulong bits)
    {
        int biased = Exponent(bits);
        ulong fraction = bits & FractionMask;
        return biased == 0
            ? (fraction, MinExponent - (Precision - 1))
            : (fraction | (1UL << (Precision - 1)), biased - Bias - (Precision - 1));
    }
}

/// <summary>
/// SSE's floating point to the bit (docs/sse.md): exact arithmetic on significands, then one rounding under MXCSR's
/// mode with x86's exception flags (IE DE ZE OE UE PE), its tininess after rounding, FTZ, its NaN rules (the first
/// source's NaN, else the second's, quieted; the default QNaN for invalid operations). DAZ is not implemented.
/// </summary>
internal static class SimdFloat
{
    public const uint Invalid = 1, Denormal = 2, DivideByZero = 4, Overflow = 8, Underflow = 16, Precision = 32;

    public const uint MaskShift = 7, FlushToZero = 1u << 15;

    public enum Rounding { Nearest, Down, Up, TowardZero }

    public static Rounding ModeOf(uint mxcsr) => (Rounding)((mxcsr >> 13) & 3);

    /// <summary>Rounds sign x significand x 2^exponent (the significand's lowest bit may be a sticky bit) into the format.</summary>
    public static ulong Round(FloatFormat f, bool negative, BigInteger significand, int exponent, uint mxcsr, ref uint flags)
    {
        ulong sign = negative ? f.SignBit : 0;
        if (significand.IsZero)
        {
            return sign;
        }

        Rounding mode = ModeOf(mxcsr);
        int top = exponent + (int)significand.GetBitLength() - 1;

        // Tininess after rounding: the value rounded to the format's precision with an unbounded exponent is below
        // the smallest normal (what x86 does). An unmasked underflow or overflow reports that rounding's precision
        // (the destination is not written then).
        int unboundedQuantum = top - (f.Precision - 1);
        (BigInteger unbounded, bool unboundedInexact) = RoundAt(significand, exponent, unboundedQuantum, negative, mode);
        bool tiny = unboundedQuantum + (int)unbounded.GetBitLength() - 1 < f.MinExponent;
        bool underflowMasked = (mxcsr & (Underflow << (int)MaskShift)) != 0;
        if (tiny && !underflowMasked)
        {
            flags |= Underflow | (unboundedInexact ? Precision : 0);
            return sign;
        }

        int quantum = Math.Max(top, f.MinExponent) - (f.Precision - 1);
        (BigInteger rounded, bool inexact) = RoundAt(significand, exponent, quantum, negative, mode);
        if (rounded.GetBitLength() > f.Precision)
        {
            rounded >>= 1;
            quantum++;
        }

        if (tiny && (mxcsr & FlushToZero) != 0)
        {
            flags |= Underflow | Precision;
            return sign;
        }

        if (tiny && inexact)
        {
            flags |= Underflow;
        }

        bool normal = rounded.GetBitLength() == f.Precision;
        long biased = normal ? quantum + (f.Precision - 1) + f.Bias : 0;
        if (biased >= f.MaxBiased)
        {
            if ((mxcsr & (Overflow << (int)MaskShift)) == 0)
            {
                flags |= Overflow | (unboundedInexact ? Precision : 0);
                return sign;
            }

            flags |= Overflow | Precision;
            bool toInfinity = mode == Rounding.Nearest || (mode == Rounding.Up && !negative) || (mode == Rounding.Down && negative);
            return sign | (toInfinity ? f.Infinity : f.MaxFinite);
        }

        if (inexact)
        {
            flags |= Precision;
        }

        ulong fraction = (ulong)rounded & f.FractionMask;
        return sign | ((ulong)biased << (f.Precision - 1)) | fraction;
    }

    /// <summary>The significand at 2^quantum units, rounded by the mode; whether anything was lost.</summary>
    private static (BigInteger, bool) RoundAt(BigInteger significand, int exponent, int quantum, bool negative, Rounding mode)
    {
        int shift = quantum - exponent;
        if (shift <= 0)
        {
            return (significand << -shift, false);
        }

        BigInteger kept = significand >> shift;
        BigInteger rest = significand - (kept << shift);
        if (rest.IsZero)
        {
            return (kept, false);
        }

        BigInteger half = BigInteger.One << (shift - 1);
        bool up = mode switch
        {
            Rounding.Nearest => rest > half || (rest == half && !kept.IsEven),
            Rounding.Up => !negative,
            Rounding.Down => negative,
            _ => false,
        };
        return (up ? kept + 1 : kept, true);
    }

    public static ulong Quiet(FloatFormat f, ulong nan) => nan | f.QuietBit;

    /// <summary>
    /// The NaN rules of a two-source arithmetic instruction: an SNaN is invalid; the result is the first source's NaN
    /// if it has one, else the second's, quieted. Null when neither is a NaN.
    /// </summary>
    public static ulong? PropagateNaN(FloatFormat f, ulong a, ulong b, ref uint flags)
    {
        bool aNaN = f.IsNaN(a), bNaN = f.IsNaN(b);
        if (!aNaN && !bNaN)
        {
            return null;
        }

        if (f.IsSignalingNaN(a) || f.IsSignalingNaN(b))
        {
            flags |= Invalid;
        }

        return Quiet(f, aNaN ? a : b);
    }

    public enum Operation { Add, Subtract, Multiply, Divide }

    public static ulong Arithmetic(FloatFormat f, Operation operation, ulong a, ulong b, uint mxcsr, ref uint flags)
    {
        if (PropagateNaN(f, a, b, ref flags) is ulong nan)
        {
            return nan;
        }

        // A denormal operand is reported whatever the other operand is (an infinity, a zero), once no NaN is involved,
        // except beside a division by zero, which takes precedence.
        bool divisionByZero = operation == Operation.Divide && f.IsZero(b) && !f.IsZero(a) && !f.IsInfinity(a);
        flags |= !divisionByZero && (f.IsDenormal(a) || f.IsDenormal(b)) ? Denormal : 0;
        if (operation == Operation.Subtract)
        {
            b ^= f.SignBit;
            operation = Operation.Add;
        }

        bool aNeg = f.IsNegative(a), bNeg = f.IsNegative(b);
        bool aInf = f.IsInfinity(a), bInf = f.IsInfinity(b), aZero = f.IsZero(a), bZero = f.IsZero(b);
        bool productNegative = aNeg ^ bNeg;
        switch (operation)
        {
            case Operation.Add when aInf || bInf:
                if (aInf && bInf && aNeg != bNeg)
                {
                    flags |= Invalid;
                    return f.DefaultNaN;
                }

                return aInf ? a : b;
            case Operation.Multiply when aInf || bInf:
                if (aZero || bZero)
                {
                    flags |= Invalid;
                    return f.DefaultNaN;
                }

                return (productNegative ? f.SignBit : 0) | f.Infinity;
            case Operation.Divide when aInf || bInf || bZero:
                if ((aInf && bInf) || (aZero && bZero))
                {
                    flags |= Invalid;
                    return f.DefaultNaN;
                }

                if (bZero && !aInf)
                {
                    flags |= DivideByZero;
                    return (productNegative ? f.SignBit : 0) | f.Infinity;
                }

                return aInf ? (productNegative ? f.SignBit : 0) | f.Infinity : (productNegative ? f.SignBit : 0);
        }

        (BigInteger ma, int ea) = f.Decompose(a);
        (BigInteger mb, int eb) = f.Decompose(b);
        switch (operation)
        {
            case Operation.Add:
            {
                int e = Math.Min(ea, eb);
                BigInteger sa = (aNeg ? -ma : ma) << (ea - e), sb = (bNeg ? -mb : mb) << (eb - e);
                BigInteger sum = sa + sb;
                if (sum.IsZero)
                {
                    // An exact zero sum is +0, except -0 + -0, and -0 when rounding down.
                    bool negativeZero = (aNeg && bNeg) || (aNeg != bNeg && ModeOf(mxcsr) == Rounding.Down);
                    return negativeZero ? f.SignBit : 0;
                }

                return Round(f, sum.Sign < 0, BigInteger.Abs(sum), e, mxcsr, ref flags);
            }

            case Operation.Multiply:
                return aZero || bZero ? (productNegative ? f.SignBit : 0) : Round(f, productNegative, ma * mb, ea + eb, mxcsr, ref flags);
            default:
            {
                if (aZero)
                {
                    return productNegative ? f.SignBit : 0;
                }

                // Enough quotient bits for any rounding, and a sticky bit for the remainder.
                int extra = 2 * f.Precision + 4;
                BigInteger quotient = BigInteger.DivRem(ma << extra, mb, out BigInteger remainder);
                quotient = (quotient << 1) | (remainder.IsZero ? 0 : 1);
                return Round(f, productNegative, quotient, ea - eb - extra - 1, mxcsr, ref flags);
            }
        }
    }

    public static ulong SquareRoot(FloatFormat f, ulong a, uint mxcsr, ref uint flags)
    {
        if (f.IsNaN(a))
        {
            flags |= f.IsSignalingNaN(a) ? Invalid : 0;
            return Quiet(f, a);
        }

        if (f.IsZero(a))
        {
            return a;
        }

        if (f.IsNegative(a))
        {
            flags |= Invalid;
            return f.DefaultNaN;
        }

        if (f.IsInfinity(a))
        {
            return a;
        }

        flags |= f.IsDenormal(a) ? Denormal : 0;
        (BigInteger m, int e) = f.Decompose(a);
        int extra = 2 * f.Precision + 4;
        if (((e - extra) & 1) != 0)
        {
            extra++;
        }

        BigInteger scaled = m << extra;
        BigInteger root = IntegerSquareRoot(scaled);
        root = (root << 1) | (root * root == scaled ? 0 : 1);
        return Round(f, false, root, ((e - extra) / 2) - 1, mxcsr, ref flags);
    }

    private static BigInteger IntegerSquareRoot(BigInteger n)
    {
        BigInteger x = BigInteger.One << (int)((n.GetBitLength() + 1) / 2);
        while (true)
        {
            BigInteger y = (x + n / x) >> 1;
            if (y >= x)
            {
                return x;
            }

            x = y;
        }
    }

    /// <summary>a &lt; b, a == b, or unordered; whether an operand is a QNaN/SNaN, for the predicates that signal on them.</summary>
    public static int? Compare(FloatFormat f, ulong a, ulong b)
    {
        if (f.IsNaN(a) || f.IsNaN(b))
        {
            return null;
        }

        if (f.IsZero(a) && f.IsZero(b))
        {
            return 0;
        }

        (BigInteger ma, int ea) = f.Decompose(a);
        (BigInteger mb, int eb) = f.Decompose(b);
        if (f.IsInfinity(a) || f.IsInfinity(b))
        {
            // Compare as ordered keys: infinities are the largest magnitudes.
            ma = f.IsInfinity(a) ? BigInteger.One << 4096 : ma;
            mb = f.IsInfinity(b) ? BigInteger.One << 4096 : mb;
            ea = f.IsInfinity(a) ? 0 : ea;
            eb = f.IsInfinity(b) ? 0 : eb;
        }

        int e = Math.Min(ea, eb);
        BigInteger sa = (f.IsNegative(a) ? -ma : ma) << (ea - e), sb = (f.IsNegative(b) ? -mb : mb) << (eb - e);
        return sa.CompareTo(sb);
    }
}
