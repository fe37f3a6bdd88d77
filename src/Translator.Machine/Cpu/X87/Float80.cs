using System.Numerics;

namespace Translator.Machine.Cpu.X87;

/// <summary>
/// An x87 register value: the 80-bit double extended-precision format, a sign and 15-bit exponent (bias 16383) and a
/// 64-bit significand with an explicit integer bit (SDM Vol. 1 4.2.2). Encodings the 387 and later no longer
/// produce (unnormals, pseudo-NaNs, pseudo-infinities) are kept as they are and classed <see cref="Float80Class.Unsupported"/>.
/// </summary>
public readonly record struct Float80(ushort SignExponent, ulong Significand)
{
    public const int Bias = 16383;
    public const int MaxExponent = 0x7FFF;
    public const ulong IntegerBit = 1ul << 63;
    public const ulong QuietBit = 1ul << 62;

    public bool Sign => (SignExponent & 0x8000) != 0;

    public int Exponent => SignExponent & 0x7FFF;

    public static Float80 Zero(bool sign) => new((ushort)(sign ? 0x8000 : 0), 0);

    public static Float80 Infinity(bool sign) => new((ushort)(sign ? 0xFFFF : 0x7FFF), IntegerBit);

    /// <summary>The default NaN an invalid operation returns when masked ("real indefinite").</summary>
    public static readonly Float80 Indefinite = new(0xFFFF, 0xC000_0000_0000_0000);

    public static readonly Float80 One = new(Bias, IntegerBit);

    public Float80 Negate() => new((ushort)(SignExponent ^ 0x8000), Significand);

    public Float80 Abs() => new((ushort)(SignExponent & 0x7FFF), Significand);

    public Float80 WithSign(bool sign) => new((ushort)((SignExponent & 0x7FFF) | (sign ? 0x8000 : 0)), Significand);

    public Float80Class Class
    {
        get
        {
            int e = Exponent;
            bool j = (Significand & IntegerBit) != 0;
            if (e == 0)
            {
                return Significand == 0 ? Float80Class.Zero : j ? Float80Class.PseudoDenormal : Float80Class.Denormal;
            }

            if (e == MaxExponent)
            {
                if (!j)
                {
                    return Float80Class.Unsupported;
                }

                ulong fraction = Significand & ~IntegerBit;
                return fraction == 0 ? Float80Class.Infinity : (fraction & QuietBit) != 0 ? Float80Class.QuietNaN : Float80Class.SignalingNaN;
            }

            return j ? Float80Class.Normal : Float80Class.Unsupported;
        }
    }

    public bool IsNaN => Class is Float80Class.QuietNaN or Float80Class.SignalingNaN;

    public Float80 Quieted() => new(SignExponent, Significand | QuietBit);

    /// <summary>A finite nonzero value as (unbiased exponent of bit 63, significand normalized so bit 63 is set).</summary>
    internal (int Exponent, ulong Significand) Normalized()
    {
        int e = Exponent == 0 ? 1 - Bias : Exponent - Bias; // denormals and pseudo-denormals have the minimum exponent
        int shift = BitOperations.LeadingZeroCount(Significand);
        return (e - shift, Significand << shift);
    }

    public static Float80 FromSingle(uint bits, out bool signaling, out bool denormal)
    {
        bool sign = (bits >> 31) != 0;
        int e = (int)((bits >> 23) & 0xFF);
        ulong fraction = bits & 0x7F_FFFF;
        return FromBinary(sign, e, fraction, 23, 127, 0xFF, out signaling, out denormal);
    }

    public static Float80 FromDouble(ulong bits, out bool signaling, out bool denormal)
    {
        bool sign = (bits >> 63) != 0;
        int e = (int)((bits >> 52) & 0x7FF);
        ulong fraction = bits & 0xF_FFFF_FFFF_FFFF;
        return FromBinary(sign, e, fraction, 52, 1023, 0x7FF, out signaling, out denormal);
    }

    /// <summary>Widening is exact: an SNaN stays signaling (<paramref name="signaling"/>), a denormal is normalized (<paramref name="denormal"/>).</summary>
    private static Float80 FromBinary(bool sign, int e, ulong fraction, int fractionBits, int bias, int maxE, out bool signaling, out bool denormal)
    {
        signaling = denormal = false;
        ushort s = (ushort)(sign ? 0x8000 : 0);
        ulong aligned = fraction << (63 - fractionBits);
        if (e == maxE)
        {
            if (fraction == 0)
            {
                return Infinity(sign);
            }

            signaling = (aligned & QuietBit) == 0; // kept signaling: the operation that uses it raises IE and quiets it
            return new((ushort)(s | MaxExponent), IntegerBit | aligned);
        }

        if (e == 0)
        {
            if (fraction == 0)
            {
                return Zero(sign);
            }

            denormal = true;
            int shift = BitOperations.LeadingZeroCount(aligned);
            return new((ushort)(s | (1 - bias + Bias - shift)), aligned << shift);
        }

        return new((ushort)(s | (e - bias + Bias)), IntegerBit | aligned);
    }

    public static Float80 FromInt64(long value)
    {
        if (value == 0)
        {
            return Zero(false);
        }

        ulong magnitude = value < 0 ? (ulong)-value : (ulong)value;
        int shift = BitOperations.LeadingZeroCount(magnitude);
        return new((ushort)((value < 0 ? 0x8000 : 0) | (Bias + 63 - shift)), magnitude << shift);
    }

    public override string ToString() => $"{SignExponent:X4}:{Significand:X16}";
}

public enum Float80Class
{
    Zero,
    Denormal,
    PseudoDenormal,
    Normal,
    Infinity,
    QuietNaN,
    SignalingNaN,

    /// <summary>Unnormals, pseudo-NaNs and pseudo-infinities: an invalid operand since the 387.</summary>
    Unsupported,
}
