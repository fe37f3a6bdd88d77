using System.Numerics;

namespace Translator.Machine.Cpu.X87;

/// <summary>The x87 exception flags (FSW bits 0-5, FCW masks in the same positions).</summary>
[Flags]
public enum X87Exceptions
{
    None = 0,
    Invalid = 1 << 0,
    Denormal = 1 << 1,
    ZeroDivide = 1 << 2,
    Overflow = 1 << 3,
    Underflow = 1 << 4,
    Precision = 1 << 5,
}

/// <summary>A destination format: significand bits and the unbiased exponent range of its normal numbers.</summary>
internal readonly record struct FloatFormat(int Precision, int MinExponent, int MaxExponent, int BiasAdjust)
{
    public static readonly FloatFormat Single = new(24, -126, 127, 192);
    public static readonly FloatFormat Double = new(53, -1022, 1023, 1536);
    public static readonly FloatFormat Extended = new(64, 1 - Float80.Bias, Float80.Bias, 24576);

    /// <summary>An x87 register under precision control: the significand is shortened, the exponent range is not.</summary>
    public static FloatFormat Register(int precision) => new(precision, 1 - Float80.Bias, Float80.Bias, 24576);
}

/// <summary>
/// One x87 operation's environment and outcome: the rounding control and masks it runs under, the exception flags it
/// raised and whether it rounded the magnitude up (C1). Arithmetic is exact to the bit: every result is computed
/// as an exact or sticky-bit-jammed 128-bit significand and rounded once (never through host floating point).
/// </summary>
internal struct X87Context
{
    public int Rounding; // FCW.RC: 0 nearest-even, 1 down, 2 up, 3 toward zero
    public int Precision; // FCW.PC as significand bits: 24, 53 or 64
    public X87Exceptions Masks;
    public X87Exceptions Raised;
    public bool RoundedUp;

    public static X87Context FromControl(ushort fcw) => new()
    {
        Rounding = (fcw >> 10) & 3,
        Precision = ((fcw >> 8) & 3) switch { 0 => 24, 2 => 53, _ => 64 },
        Masks = (X87Exceptions)(fcw & 0x3F),
    };

    public readonly bool Unmasked(X87Exceptions e) => (Masks & e) == 0;

    /// <summary>An invalid, zero-divide or denormal-operand exception that is unmasked: the destination must not change.</summary>
    public readonly bool Suppresses => (Raised & ~Masks & (X87Exceptions.Invalid | X87Exceptions.ZeroDivide | X87Exceptions.Denormal)) != 0;

    /// <summary>Raises DE for a denormal operand; true when DE is unmasked, which stops the operation before it computes.</summary>
    public bool DenormalOperand(Float80Class a, Float80Class b = Float80Class.Zero)
    {
        if (a is Float80Class.Denormal or Float80Class.PseudoDenormal || b is Float80Class.Denormal or Float80Class.PseudoDenormal)
        {
            Raised |= X87Exceptions.Denormal;
            return Unmasked(X87Exceptions.Denormal);
        }

        return false;
    }

    public Float80 InvalidResult()
    {
        Raised |= X87Exceptions.Invalid;
        return Float80.Indefinite;
    }

    /// <summary>
    /// x87's NaN rules (SDM Vol. 1 table 4-7): an SNaN raises IE and is quieted; an SNaN and a QNaN give the QNaN; of
    /// two NaNs of one kind the larger significand wins (on a tie, the positive one).
    /// </summary>
    public Float80 PropagateNaN(Float80 a, Float80 b)
    {
        bool aNaN = a.IsNaN, bNaN = b.IsNaN;
        if (a.Class == Float80Class.SignalingNaN || b.Class == Float80Class.SignalingNaN)
        {
            Raised |= X87Exceptions.Invalid;
        }

        if (aNaN && bNaN)
        {
            bool aSignaling = a.Class == Float80Class.SignalingNaN, bSignaling = b.Class == Float80Class.SignalingNaN;
            if (aSignaling != bSignaling)
            {
                return (aSignaling ? b : a).Quieted(); // an SNaN and a QNaN: the QNaN
            }

            ulong ma = a.Significand | Float80.QuietBit, mb = b.Significand | Float80.QuietBit;
            if (ma != mb)
            {
                return (ma > mb ? a : b).Quieted();
            }

            return (a.SignExponent < b.SignExponent ? a : b).Quieted();
        }

        return (aNaN ? a : b).Quieted();
    }

    /// <summary>Rounds to an x87 register under precision control (the arithmetic instructions).</summary>
    public Float80 RoundToRegister(bool sign, int exponent, UInt128 significand) =>
        Round(sign, exponent, significand, FloatFormat.Register(Precision)).ToFloat80();

    /// <summary>Rounds to a full 64-bit register significand (FSCALE, FLD constants, FXTRACT's parts).</summary>
    public Float80 RoundToExtended(bool sign, int exponent, UInt128 significand) =>
        Round(sign, exponent, significand, FloatFormat.Extended).ToFloat80();

    /// <summary>
    /// Rounds sign × significand × 2^(exponent - 127) (bit 127 of a nonzero significand set; lower bits may hold a
    /// sticky bit) to <paramref name="format"/>, raising PE, UE and OE with x87's masked and unmasked responses.
    /// </summary>
    public RoundedValue Round(bool sign, int exponent, UInt128 significand, FloatFormat format)
    {
        if (significand == 0)
        {
            return new RoundedValue(sign, 0, 0, RoundedKind.Zero, format);
        }

        int lz = BitOperations.LeadingZeroCount((ulong)(significand >> 64));
        if (lz == 64)
        {
            lz += BitOperations.LeadingZeroCount((ulong)significand);
        }

        significand <<= lz;
        exponent -= lz;

        // Tininess is detected after rounding, as the reference processor does: the value rounded to the precision
        // with an unbounded exponent lies below the smallest normal.
        bool tiny = exponent < format.MinExponent && (exponent < format.MinExponent - 1 || !RoundsToNextBinade(sign, significand, format.Precision));
        // An unmasked underflow or overflow delivers the exponent bias-adjusted into range (SDM Vol. 1 4.9.2), unless
        // even that is out of range: then a signed zero or infinity, inexact (as the reference processor does).
        if (Unmasked(X87Exceptions.Underflow) && exponent + format.BiasAdjust < format.MinExponent)
        {
            Raised |= X87Exceptions.Underflow | X87Exceptions.Precision;
            return new RoundedValue(sign, 0, 0, RoundedKind.Zero, format);
        }

        if (Unmasked(X87Exceptions.Overflow) && exponent - format.BiasAdjust > format.MaxExponent)
        {
            Raised |= X87Exceptions.Overflow | X87Exceptions.Precision;
            RoundedUp = true;
            return new RoundedValue(sign, 0, 0, RoundedKind.Infinity, format);
        }

        bool underflowUnmasked = Unmasked(X87Exceptions.Underflow);
        if (exponent < format.MinExponent && !underflowUnmasked)
        {
            significand = ShiftRightJam(significand, format.MinExponent - exponent);
            exponent = format.MinExponent;
        }

        int dropped = 128 - format.Precision;
        UInt128 mask = (UInt128.One << dropped) - 1;
        UInt128 remainder = significand & mask;
        UInt128 half = UInt128.One << (dropped - 1);
        bool increment = Rounding switch
        {
            0 => remainder > half || (remainder == half && ((significand >> dropped) & 1) != 0),
            1 => sign && remainder != 0,
            2 => !sign && remainder != 0,
            _ => false,
        };
        bool inexact = remainder != 0;
        significand &= ~mask;
        if (increment)
        {
            significand += UInt128.One << dropped;
            if (significand == 0)
            {
                significand = UInt128.One << 127;
                exponent++;
            }
        }

        var kind = (significand >> 127) != 0 ? RoundedKind.Normal : significand == 0 ? RoundedKind.Zero : RoundedKind.Denormal;
        if (tiny)
        {
            if (underflowUnmasked)
            {
                Raised |= X87Exceptions.Underflow;
                exponent += format.BiasAdjust;
            }
            else if (inexact || Unmasked(X87Exceptions.Underflow))
            {
                Raised |= X87Exceptions.Underflow;
            }
        }

        if (kind == RoundedKind.Normal && exponent > format.MaxExponent)
        {
            Raised |= X87Exceptions.Overflow;
            if (Unmasked(X87Exceptions.Overflow))
            {
                exponent -= format.BiasAdjust;
            }
            else
            {
                Raised |= X87Exceptions.Precision;
                bool toInfinity = Rounding switch { 0 => true, 1 => sign, 2 => !sign, _ => false };
                RoundedUp = toInfinity;
                if (toInfinity)
                {
                    return new RoundedValue(sign, 0, 0, RoundedKind.Infinity, format);
                }

                return new RoundedValue(sign, format.MaxExponent, ~0ul << (64 - format.Precision), RoundedKind.Normal, format);
            }
        }

        if (inexact)
        {
            Raised |= X87Exceptions.Precision;
            RoundedUp = increment;
        }

        return new RoundedValue(sign, exponent, (ulong)(significand >> 64), kind, format);
    }

    /// <summary>Whether rounding a normalized significand to <paramref name="precision"/> bits carries into a new binade.</summary>
    private readonly bool RoundsToNextBinade(bool sign, UInt128 significand, int precision)
    {
        int dropped = 128 - precision;
        UInt128 mask = (UInt128.One << dropped) - 1;
        if ((significand | mask) != UInt128.MaxValue)
        {
            return false; // a zero among the kept bits absorbs any carry
        }

        UInt128 remainder = significand & mask, half = UInt128.One << (dropped - 1);
        return Rounding switch
        {
            0 => remainder >= half,
            1 => sign && remainder != 0,
            2 => !sign && remainder != 0,
            _ => false,
        };
    }

    public static UInt128 ShiftRightJam(UInt128 value, int count)
    {
        if (count <= 0)
        {
            return value;
        }

        if (count >= 128)
        {
            return value != 0 ? UInt128.One : UInt128.Zero;
        }

        return (value >> count) | ((value << (128 - count)) != 0 ? UInt128.One : UInt128.Zero);
    }
}

internal enum RoundedKind
{
    Zero,
    Denormal,
    Normal,
    Infinity,
}

/// <summary>A rounded result: for <see cref="RoundedKind.Normal"/>, bit 63 of the significand is the integer bit.</summary>
internal readonly record struct RoundedValue(bool Sign, int Exponent, ulong Significand, RoundedKind Kind, FloatFormat Format)
{
    public Float80 ToFloat80() => Kind switch
    {
        RoundedKind.Zero => Float80.Zero(Sign),
        RoundedKind.Infinity => Float80.Infinity(Sign),
        RoundedKind.Denormal => new((ushort)(Sign ? 0x8000 : 0), Significand),
        _ => new((ushort)((Sign ? 0x8000 : 0) | (Exponent + Float80.Bias)), Significand),
    };

    public uint ToSingle()
    {
        uint s = Sign ? 0x8000_0000u : 0;
        return Kind switch
        {
            RoundedKind.Zero => s,
            RoundedKind.Infinity => s | 0x7F80_0000u,
            RoundedKind.Denormal => s | (uint)(Significand >> 40),
            _ => s | ((uint)(Exponent + 127) << 23) | ((uint)(Significand >> 40) & 0x7F_FFFF),
        };
    }

    public ulong ToDouble()
    {
        ulong s = Sign ? 1ul << 63 : 0;
        return Kind switch
        {
            RoundedKind.Zero => s,
            RoundedKind.Infinity => s | 0x7FF0_0000_0000_0000ul,
            RoundedKind.Denormal => s | (Significand >> 11),
            _ => s | ((ulong)(Exponent + 1023) << 52) | ((Significand >> 11) & 0xF_FFFF_FFFF_FFFF),
        };
    }
}
