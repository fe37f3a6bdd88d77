namespace Translator.Machine.Cpu.X87;

/// <summary>The outcome of an x87 comparison, as FCOM encodes it in C3, C2, C0 (and FCOMI in ZF, PF, CF).</summary>
internal enum X87Ordering
{
    Greater,
    Less,
    Equal,
    Unordered,
}

/// <summary>Comparisons, conversions to integers and the instructions that work on one value's parts.</summary>
internal static class X87Operations
{
    /// <summary>FCOM/FUCOM: any NaN (FCOM) or an SNaN (FUCOM, "unordered") raises IE; a denormal DE.</summary>
    public static X87Ordering Compare(ref X87Context x, Float80 a, Float80 b, bool quiet)
    {
        Float80Class ca = a.Class, cb = b.Class;
        if (ca == Float80Class.Unsupported || cb == Float80Class.Unsupported)
        {
            x.Raised |= X87Exceptions.Invalid;
            return X87Ordering.Unordered;
        }

        if (a.IsNaN || b.IsNaN)
        {
            if (!quiet || ca == Float80Class.SignalingNaN || cb == Float80Class.SignalingNaN)
            {
                x.Raised |= X87Exceptions.Invalid;
            }

            return X87Ordering.Unordered;
        }

        x.DenormalOperand(ca, cb); // compared all the same, even with DE unmasked

        int order = CompareValues(a, b);
        return order == 0 ? X87Ordering.Equal : order < 0 ? X87Ordering.Less : X87Ordering.Greater;
    }

    /// <summary>Orders two non-NaN values (zeros of either sign are equal).</summary>
    private static int CompareValues(Float80 a, Float80 b)
    {
        bool za = a.Class == Float80Class.Zero, zb = b.Class == Float80Class.Zero;
        if (za && zb)
        {
            return 0;
        }

        if (a.Sign != b.Sign)
        {
            return a.Sign ? -1 : 1;
        }

        int magnitude = CompareMagnitudes(a, b, za, zb);
        return a.Sign ? -magnitude : magnitude;
    }

    private static int CompareMagnitudes(Float80 a, Float80 b, bool za, bool zb)
    {
        if (za || zb)
        {
            return za ? -1 : 1;
        }

        (int ea, ulong ma) = a.Class == Float80Class.Infinity ? (int.MaxValue, 0ul) : a.Normalized();
        (int eb, ulong mb) = b.Class == Float80Class.Infinity ? (int.MaxValue, 0ul) : b.Normalized();
        return ea != eb ? ea.CompareTo(eb) : ma.CompareTo(mb);
    }

    /// <summary>
    /// Rounds to an integer under RC (FRNDINT; FIST first): the magnitude as an unsigned integer, or false with the
    /// value too large for 64 bits. PE and C1 follow the rounding.
    /// </summary>
    private static bool RoundToInteger(ref X87Context x, Float80 a, out ulong magnitude)
    {
        (int e, ulong m) = a.Normalized();
        if (e >= 64)
        {
            magnitude = 0;
            return false;
        }

        if (e == 63)
        {
            magnitude = m;
            return true;
        }

        // The integer part in the high half of 128 bits, the fraction in the low half (jammed: only its half matters).
        UInt128 fixedPoint = X87Context.ShiftRightJam((UInt128)m << 64, 63 - e);
        ulong integer = (ulong)(fixedPoint >> 64), fraction = (ulong)fixedPoint;
        const ulong Half = 1ul << 63;
        bool increment = x.Rounding switch
        {
            0 => fraction > Half || (fraction == Half && (integer & 1) != 0),
            1 => a.Sign && fraction != 0,
            2 => !a.Sign && fraction != 0,
            _ => false,
        };
        if (fraction != 0)
        {
            x.Raised |= X87Exceptions.Precision;
            x.RoundedUp = increment;
        }

        if (increment && ++integer == 0)
        {
            magnitude = 0;
            return false;
        }

        magnitude = integer;
        return true;
    }

    public static Float80 RoundToIntegral(ref X87Context x, Float80 a)
    {
        switch (a.Class)
        {
            case Float80Class.Unsupported: return x.InvalidResult();
            case Float80Class.QuietNaN or Float80Class.SignalingNaN: return x.PropagateNaN(a, a);
            case Float80Class.Zero or Float80Class.Infinity: return a;
        }

        if (x.DenormalOperand(a.Class))
        {
            return a;
        }

        if (!RoundToInteger(ref x, a, out ulong magnitude))
        {
            return a; // 2^64 and above are integers already
        }

        if (magnitude == 0)
        {
            return Float80.Zero(a.Sign);
        }

        int shift = System.Numerics.BitOperations.LeadingZeroCount(magnitude);
        return new Float80((ushort)((a.Sign ? 0x8000 : 0) | (Float80.Bias + 63 - shift)), magnitude << shift);
    }

    /// <summary>FIST: an integer of <paramref name="bits"/> bits, or the integer indefinite (IE) out of range.</summary>
    public static long ToInteger(ref X87Context x, Float80 a, int bits)
    {
        long indefinite = bits == 64 ? long.MinValue : -(1L << (bits - 1));
        switch (a.Class)
        {
            case Float80Class.Unsupported or Float80Class.QuietNaN or Float80Class.SignalingNaN or Float80Class.Infinity:
                x.Raised |= X87Exceptions.Invalid;
                return indefinite;
            case Float80Class.Zero:
                return 0; // a denormal operand is no DE here: FIST's only exceptions are IS, IA and P
        }

        X87Context trial = x;
        if (!RoundToInteger(ref trial, a, out ulong magnitude) || magnitude > (a.Sign ? 1ul << (bits - 1) : (1ul << (bits - 1)) - 1))
        {
            x.Raised |= X87Exceptions.Invalid;
            return indefinite;
        }

        x = trial;
        return a.Sign ? (long)(0 - magnitude) : (long)magnitude;
    }

    /// <summary>FSCALE: ST(0) × 2^trunc(ST(1)), rounded to the full register significand.</summary>
    public static Float80 Scale(ref X87Context x, Float80 a, Float80 b)
    {
        Float80Class ca = a.Class, cb = b.Class;
        if (ca == Float80Class.Unsupported || cb == Float80Class.Unsupported)
        {
            return x.InvalidResult();
        }

        if (a.IsNaN || b.IsNaN)
        {
            return x.PropagateNaN(a, b);
        }

        if (x.DenormalOperand(ca, cb))
        {
            return a;
        }

        if (cb == Float80Class.Infinity)
        {
            if (ca == Float80Class.Zero)
            {
                return b.Sign ? a : x.InvalidResult();
            }

            if (ca == Float80Class.Infinity)
            {
                return b.Sign ? x.InvalidResult() : a;
            }

            return b.Sign ? Float80.Zero(a.Sign) : Float80.Infinity(a.Sign);
        }

        if (ca is Float80Class.Zero or Float80Class.Infinity)
        {
            return a;
        }

        long n = 0;
        if (cb != Float80Class.Zero)
        {
            (int eb, ulong mb) = b.Normalized();
            n = eb >= 30 ? 1L << 30 : eb < 0 ? 0 : (long)(mb >> (63 - eb));
            n = b.Sign ? -n : n;
        }

        (int e, ulong m) = a.Normalized();
        return x.RoundToExtended(a.Sign, (int)Math.Clamp(e + n, int.MinValue / 2, int.MaxValue / 2), (UInt128)m << 64);
    }

    /// <summary>
    /// FPREM (quotient truncated) and FPREM1 (rounded to nearest even): the exact partial remainder. With exponents
    /// 64 or more apart the reduction stops partway (incomplete, C2 = 1) after reducing the exponent difference to
    /// N = 32 + (difference mod 32), the SDM's "implementation-dependent number between 32 and 63" as QEMU picks it.
    /// </summary>
    public static Float80 Remainder(ref X87Context x, Float80 a, Float80 b, bool nearest, out ulong quotient, out bool complete)
    {
        quotient = 0;
        complete = true;
        Float80Class ca = a.Class, cb = b.Class;
        if (ca == Float80Class.Unsupported || cb == Float80Class.Unsupported)
        {
            return x.InvalidResult();
        }

        if (a.IsNaN || b.IsNaN)
        {
            return x.PropagateNaN(a, b);
        }

        if (ca == Float80Class.Infinity || cb == Float80Class.Zero)
        {
            return x.InvalidResult();
        }

        if (x.DenormalOperand(ca, cb))
        {
            return a;
        }

        if (ca == Float80Class.Zero)
        {
            return a;
        }

        (int ea, ulong ma) = a.Normalized();
        if (cb == Float80Class.Infinity)
        {
            return x.RoundToExtended(a.Sign, ea + 64, ma); // a itself, normalized (and bias-adjusted if tiny with UE unmasked)
        }

        (int eb, ulong mb) = b.Normalized();
        int d = ea - eb;
        if (d < -1 || (d == -1 && !nearest))
        {
            return x.RoundToExtended(a.Sign, ea + 64, ma);
        }

        int scale = 0; // the divisor's extra power of two in a partial reduction
        if (d >= 64)
        {
            complete = false;
            int n = 32 + (d % 32);
            scale = d - n;
            d = n;
        }

        // |a| = ma·2^(ea-63), |b|·2^scale = mb·2^(eb+scale-63): q = floor(ma·2^d' / mb) with d' = d - scale ≥ -1.
        UInt128 dividend = d >= 0 ? (UInt128)ma << d : ma;
        UInt128 divisor = d >= 0 ? mb : (UInt128)mb << 1;
        UInt128 q = dividend / divisor, r = dividend % divisor;
        bool negate = false;
        if (nearest && complete && (2 * r > divisor || (2 * r == divisor && (q & 1) != 0)))
        {
            q++;
            r = divisor - r;
            negate = true;
        }

        quotient = (ulong)q;
        bool sign = a.Sign != negate;
        if (r == 0)
        {
            return Float80.Zero(a.Sign);
        }

        // r is in units of the divisor's last place: 2^(eb + scale - 63), or half that when d' = -1.
        int unit = d >= 0 ? eb + scale - 63 : eb - 64;
        return x.RoundToExtended(sign, unit + 127, r);
    }

    /// <summary>FXTRACT's two results: the unbiased exponent as a value, and the significand with exponent 0.</summary>
    public static (Float80 Exponent, Float80 Significand) Extract(ref X87Context x, Float80 a)
    {
        switch (a.Class)
        {
            case Float80Class.Unsupported:
                Float80 invalid = x.InvalidResult();
                return (invalid, invalid);
            case Float80Class.QuietNaN or Float80Class.SignalingNaN:
                Float80 nan = x.PropagateNaN(a, a);
                return (nan, nan);
            case Float80Class.Infinity:
                return (Float80.Infinity(false), a);
            case Float80Class.Zero:
                x.Raised |= X87Exceptions.ZeroDivide;
                return (Float80.Infinity(true), a);
        }

        if (x.DenormalOperand(a.Class))
        {
            return (a, a);
        }

        (int e, ulong m) = a.Normalized();
        return (Float80.FromInt64(e), new Float80((ushort)((a.Sign ? 0x8000 : 0) | Float80.Bias), m));
    }
}
