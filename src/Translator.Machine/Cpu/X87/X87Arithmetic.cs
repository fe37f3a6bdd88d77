namespace Translator.Machine.Cpu.X87;

/// <summary>
/// The basic x87 operations (SDM Vol. 1 chapter 4 and 8, and each instruction's page in Vol. 2): add, subtract,
/// multiply, divide and square root under precision and rounding control, with x87's special-operand rules.
/// </summary>
internal static class X87Arithmetic
{
    /// <summary>
    /// Screens two operands: an unsupported encoding or NaN decides the result (true); a denormal raises DE, and
    /// when DE is unmasked the operation stops there (true, the result unused).
    /// </summary>
    private static bool Special(ref X87Context x, Float80 a, Float80 b, out Float80 result, bool negativeInvalid = false)
    {
        Float80Class ca = a.Class, cb = b.Class;
        if (ca == Float80Class.Unsupported || cb == Float80Class.Unsupported)
        {
            result = x.InvalidResult();
            return true;
        }

        if (a.IsNaN || b.IsNaN)
        {
            result = x.PropagateNaN(a, b);
            return true;
        }

        if (negativeInvalid && a.Sign && ca != Float80Class.Zero)
        {
            result = x.InvalidResult(); // FSQRT of a negative value: IE before any DE
            return true;
        }

        result = default;
        return x.DenormalOperand(ca, cb);
    }

    public static Float80 Add(ref X87Context x, Float80 a, Float80 b) => AddSigned(ref x, a, b, b.Sign);

    public static Float80 Subtract(ref X87Context x, Float80 a, Float80 b) => AddSigned(ref x, a, b, !b.Sign);

    private static Float80 AddSigned(ref X87Context x, Float80 a, Float80 b, bool signB)
    {
        if (Special(ref x, a, b, out Float80 special))
        {
            return special;
        }

        Float80Class ca = a.Class, cb = b.Class;
        if (ca == Float80Class.Infinity || cb == Float80Class.Infinity)
        {
            if (ca == Float80Class.Infinity && cb == Float80Class.Infinity)
            {
                return a.Sign == signB ? a : x.InvalidResult();
            }

            return ca == Float80Class.Infinity ? a : Float80.Infinity(signB);
        }

        if (ca == Float80Class.Zero && cb == Float80Class.Zero)
        {
            return Float80.Zero(a.Sign == signB ? a.Sign : x.Rounding == 1);
        }

        if (cb == Float80Class.Zero)
        {
            return Reround(ref x, a);
        }

        if (ca == Float80Class.Zero)
        {
            return Reround(ref x, b.WithSign(signB));
        }

        (int ea, ulong ma) = a.Normalized();
        (int eb, ulong mb) = b.Normalized();
        bool signA = a.Sign;
        if (ea < eb || (ea == eb && ma < mb))
        {
            (ea, ma, eb, mb, signA, signB) = (eb, mb, ea, ma, signB, signA);
        }

        // Both shifted right by one so that a carry out of the sum still fits; bit 126 is the integer bit.
        UInt128 big = (UInt128)ma << 63;
        UInt128 small = X87Context.ShiftRightJam((UInt128)mb << 63, ea - eb);
        UInt128 sum = signA == signB ? big + small : big - small;
        if (sum == 0)
        {
            return Float80.Zero(x.Rounding == 1);
        }

        return x.RoundToRegister(signA, ea + 1, sum);
    }

    /// <summary>A finite value passed through unchanged by the operation is still rounded to the precision control.</summary>
    private static Float80 Reround(ref X87Context x, Float80 value)
    {
        (int e, ulong m) = value.Normalized();
        return x.RoundToRegister(value.Sign, e, (UInt128)m << 64);
    }

    public static Float80 Multiply(ref X87Context x, Float80 a, Float80 b)
    {
        if (Special(ref x, a, b, out Float80 special))
        {
            return special;
        }

        bool sign = a.Sign != b.Sign;
        Float80Class ca = a.Class, cb = b.Class;
        if (ca == Float80Class.Infinity || cb == Float80Class.Infinity)
        {
            return ca == Float80Class.Zero || cb == Float80Class.Zero ? x.InvalidResult() : Float80.Infinity(sign);
        }

        if (ca == Float80Class.Zero || cb == Float80Class.Zero)
        {
            return Float80.Zero(sign);
        }

        (int ea, ulong ma) = a.Normalized();
        (int eb, ulong mb) = b.Normalized();
        return x.RoundToRegister(sign, ea + eb + 1, (UInt128)ma * mb);
    }

    public static Float80 Divide(ref X87Context x, Float80 a, Float80 b)
    {
        bool sign = a.Sign != b.Sign;
        Float80Class ca = a.Class, cb = b.Class;
        if (cb == Float80Class.Zero && ca is not (Float80Class.Unsupported or Float80Class.QuietNaN or Float80Class.SignalingNaN))
        {
            // A zero divisor decides before a denormal dividend would raise DE.
            if (ca == Float80Class.Zero)
            {
                return x.InvalidResult();
            }

            if (ca != Float80Class.Infinity)
            {
                x.Raised |= X87Exceptions.ZeroDivide;
            }

            return Float80.Infinity(sign);
        }

        if (Special(ref x, a, b, out Float80 special))
        {
            return special;
        }

        if (ca == Float80Class.Infinity)
        {
            return cb == Float80Class.Infinity ? x.InvalidResult() : Float80.Infinity(sign);
        }

        if (cb == Float80Class.Infinity)
        {
            return Float80.Zero(sign);
        }

        if (cb == Float80Class.Zero)
        {
            if (ca == Float80Class.Zero)
            {
                return x.InvalidResult();
            }

            x.Raised |= X87Exceptions.ZeroDivide;
            return Float80.Infinity(sign);
        }

        if (ca == Float80Class.Zero)
        {
            return Float80.Zero(sign);
        }

        (int ea, ulong ma) = a.Normalized();
        (int eb, ulong mb) = b.Normalized();
        int exponent = ea - eb;
        UInt128 numerator;
        if (ma >= mb)
        {
            numerator = (UInt128)ma << 63;
        }
        else
        {
            numerator = (UInt128)ma << 64;
            exponent--;
        }

        UInt128 high = numerator / mb, remainder = numerator % mb;
        UInt128 next = remainder << 64;
        UInt128 low = next / mb;
        bool sticky = next % mb != 0;
        UInt128 quotient = (high << 64) | low | (sticky ? UInt128.One : UInt128.Zero);
        return x.RoundToRegister(sign, exponent, quotient);
    }

    public static Float80 SquareRoot(ref X87Context x, Float80 a)
    {
        if (Special(ref x, a, Float80.Zero(false), out Float80 special, negativeInvalid: true))
        {
            return special;
        }

        Float80Class ca = a.Class;
        if (ca == Float80Class.Zero)
        {
            return a;
        }

        if (a.Sign)
        {
            return x.InvalidResult();
        }

        if (ca == Float80Class.Infinity)
        {
            return a;
        }

        (int e, ulong m) = a.Normalized();

        // value = radicand × 2^(2h) with an even power; the root is taken digit by digit, two radicand bits a step.
        UInt128 radicand = (e & 1) != 0 ? m : (UInt128)m << 1;
        int half = ((e & 1) != 0 ? e - 63 : e - 64) / 2;
        const int RadicandPairs = 33, ExtraPairs = 34;
        UInt128 root = 0, rest = 0;
        for (int i = 0; i < RadicandPairs + ExtraPairs; i++)
        {
            int shift = 2 * (RadicandPairs - 1 - i);
            UInt128 pair = shift >= 0 ? (radicand >> shift) & 3 : 0;
            rest = (rest << 2) | pair;
            UInt128 trial = (root << 2) | 1;
            root <<= 1;
            if (rest >= trial)
            {
                rest -= trial;
                root |= 1;
            }
        }

        // root ≈ sqrt(radicand) × 2^34, at most 67 bits: place it at the top of 128 with the remainder as sticky.
        int top = 127 - (int)UInt128.LeadingZeroCount(root);
        UInt128 significand = (root << (127 - top)) | (rest != 0 ? UInt128.One : UInt128.Zero);
        return x.RoundToRegister(false, top + half - ExtraPairs, significand);
    }
}
