using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Cpu.X87;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>
/// The transcendental instructions: operand screening and the SDM's special-value tables here, the functions
/// themselves in <see cref="X87Transcendentals"/>.
/// </summary>
internal static unsafe partial class InstX87
{
    private static void RegisterTranscendental(InstructionTableBuilder t)
    {
        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Fsin, Mnemonic.Fcos, Mnemonic.Fsincos, Mnemonic.Fptan])
        {
            t.Add(m, &Trigonometric);
        }

        t.Add(Mnemonic.F2xm1, &Unary);
        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Fpatan, Mnemonic.Fyl2x, Mnemonic.Fyl2xp1])
        {
            t.Add(m, &TwoOperandTranscendental);
        }
    }

    /// <summary>Screens a one-operand instruction's operand: true when an unsupported value, a NaN or a stopping DE decided.</summary>
    private static bool SpecialOperand(ref X87Context x, Float80 a, out Float80 result)
    {
        result = a;
        switch (a.Class)
        {
            case Float80Class.Unsupported:
                result = x.InvalidResult();
                return true;
            case Float80Class.QuietNaN or Float80Class.SignalingNaN:
                result = x.PropagateNaN(a, a);
                return true;
        }

        return x.DenormalOperand(a.Class);
    }

    /// <summary>
    /// FSIN, FCOS, FPTAN (ST(0) = tan, then 1.0 pushed) and FSINCOS (ST(0) = sin, then cos pushed). An operand
    /// with |x| ≥ 2^63 is out of range: C2 = 1 and nothing else changes; C2 = 0 otherwise.
    /// </summary>
    public static void Trigonometric(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        RecordPointers(c, f, ref op, 0, memory: false);
        Mnemonic m = op.Instruction.Mnemonic;
        bool pushes = m is Mnemonic.Fsincos or Mnemonic.Fptan;
        Float80 first, second = Float80.One;
        if (f.IsEmpty(0) || (pushes && !f.IsEmpty(7)))
        {
            StackFault(f, ref x, overflow: !f.IsEmpty(0));
            first = second = Float80.Indefinite;
        }
        else
        {
            Float80 a = f.St(0);
            if (SpecialOperand(ref x, a, out first))
            {
                second = first;
            }
            else if (a.Class == Float80Class.Infinity)
            {
                first = second = x.InvalidResult();
            }
            else if (a.Class == Float80Class.Zero)
            {
                // sin ±0 = ±0, tan ±0 = ±0, cos ±0 = +1 (exact)
                (first, second) = m switch
                {
                    Mnemonic.Fcos => (Float80.One, second),
                    Mnemonic.Fsincos => (a, Float80.One),
                    _ => (a, second),
                };
            }
            else if (a.Exponent - Float80.Bias >= 63)
            {
                f.SetConditions((ushort)((f.Status & X87Fpu.ConditionBits & ~X87Fpu.StatusC1) | X87Fpu.StatusC2));
                f.Raise(x.Raised);
                return;
            }
            else
            {
                X87Transcendentals.Trig function = m switch
                {
                    Mnemonic.Fcos => X87Transcendentals.Trig.Cosine,
                    Mnemonic.Fptan => X87Transcendentals.Trig.Tangent,
                    _ => X87Transcendentals.Trig.Sine,
                };
                if (m == Mnemonic.Fsincos)
                {
                    // C1 is the sine's rounding on the host processor: the cosine is rounded first.
                    second = X87Transcendentals.Trigonometric(a, X87Transcendentals.Trig.Cosine).Round(ref x);
                }

                first = X87Transcendentals.Trigonometric(a, function).Round(ref x);
            }
        }

        f.Status &= unchecked((ushort)~X87Fpu.StatusC2);
        if (!x.Suppresses)
        {
            f.SetSt(0, first);
            if (pushes)
            {
                f.Push(second);
            }
        }
        else
        {
            x.RoundedUp = false;
        }

        Finish(f, ref x);
    }

    /// <summary>
    /// F2XM1: 2^x - 1 for -1 ≤ x ≤ 1. Outside that range the SDM leaves the result undefined; the host processor
    /// returns the operand unchanged and reports it inexact, and so does this one. At the ends it also follows the
    /// host: 2^-1 - 1 is -0.5, inexact, and 2^1 - 1 rounds as a value just below 1.
    /// </summary>
    /// <remarks>Run by <see cref="Unary"/>, which reads ST0 (or faults) and writes the result like FSQRT's.</remarks>
    private static Float80 F2xm1Of(ref X87Context x, Float80 a) =>
        SpecialOperand(ref x, a, out Float80 special) ? special : TwoToTheXMinusOne(ref x, a);

    private static Float80 TwoToTheXMinusOne(ref X87Context x, Float80 a)
    {
        if (a.Class is Float80Class.Zero or Float80Class.Infinity)
        {
            return a.Class == Float80Class.Infinity && a.Sign ? Float80.One.Negate() : a; // 2^-∞ - 1 = -1
        }

        if (a.Abs() == Float80.One)
        {
            x.Raised |= X87Exceptions.Precision;
            return a.Sign ? new Float80(0xBFFE, Float80.IntegerBit) : X87Transcendentals.JustBelowOne.Round(ref x);
        }

        if (a.Exponent - Float80.Bias >= 0)
        {
            x.Raised |= X87Exceptions.Precision;
            return a;
        }

        return X87Transcendentals.Exp2Minus1(a).Round(ref x);
    }

    /// <summary>FPATAN, FYL2X and FYL2XP1: ST(1) = f(ST(1), ST(0)), then pop.</summary>
    public static void TwoOperandTranscendental(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        RecordPointers(c, f, ref op, 0, memory: false);
        Float80 result;
        if (f.IsEmpty(0) || f.IsEmpty(1))
        {
            StackFault(f, ref x, overflow: false);
            result = Float80.Indefinite;
        }
        else
        {
            Float80 y = f.St(1), a = f.St(0);
            result = op.Instruction.Mnemonic switch
            {
                Mnemonic.Fpatan => ArcTangent(ref x, y, a),
                Mnemonic.Fyl2x => YLog2X(ref x, y, a),
                _ => YLog2XPlus1(ref x, y, a),
            };
        }

        WriteResult(f, ref x, 1, result, pop: true);
    }

    /// <summary>Unsupported encodings and NaNs of two operands (true: decided).</summary>
    private static bool SpecialPair(ref X87Context x, Float80 y, Float80 a, out Float80 result)
    {
        result = default;
        if (y.Class == Float80Class.Unsupported || a.Class == Float80Class.Unsupported)
        {
            result = x.InvalidResult();
            return true;
        }

        if (y.IsNaN || a.IsNaN)
        {
            result = x.PropagateNaN(y, a);
            return true;
        }

        return false;
    }

    /// <summary>FPATAN's table (SDM Vol. 2): zeros and infinities give 0, ±π/2, ±π, ±π/4 or ±3π/4 by quadrant.</summary>
    private static Float80 ArcTangent(ref X87Context x, Float80 y, Float80 a)
    {
        if (SpecialPair(ref x, y, a, out Float80 special))
        {
            return special;
        }

        if (x.DenormalOperand(y.Class, a.Class))
        {
            return y;
        }

        Float80Class cy = y.Class, ca = a.Class;
        bool yZero = cy == Float80Class.Zero, aZero = ca == Float80Class.Zero;
        bool yInfinite = cy == Float80Class.Infinity, aInfinite = ca == Float80Class.Infinity;
        if (yInfinite && aInfinite)
        {
            return X87Transcendentals.PiQuarters(y.Sign, a.Sign ? 3 : 1).Round(ref x);
        }

        if (yZero || aInfinite)
        {
            return a.Sign ? X87Transcendentals.PiQuarters(y.Sign, 4).Round(ref x) : Float80.Zero(y.Sign);
        }

        if (aZero || yInfinite)
        {
            return X87Transcendentals.PiQuarters(y.Sign, 2).Round(ref x);
        }

        return X87Transcendentals.ArcTangent(y, a).Round(ref x);
    }

    /// <summary>FYL2X's table (SDM Vol. 2): log2 of a negative value, 0 × ∞ and ∞ × log2 1 are invalid; log2 ±0 is -∞ (ZE for a finite y).</summary>
    private static Float80 YLog2X(ref X87Context x, Float80 y, Float80 a)
    {
        if (SpecialPair(ref x, y, a, out Float80 special))
        {
            return special;
        }

        Float80Class cy = y.Class, ca = a.Class;
        bool yZero = cy == Float80Class.Zero, yInfinite = cy == Float80Class.Infinity;
        bool aOne = a == Float80.One, aZero = ca == Float80Class.Zero;
        if ((a.Sign && !aZero) || (aZero && yZero) || (aOne && yInfinite) || (ca == Float80Class.Infinity && yZero))
        {
            return x.InvalidResult();
        }

        if (aZero)
        {
            // log2 ±0 = -∞ decides before a denormal y would raise DE (the host processor; as a zero divisor does).
            if (!yInfinite)
            {
                x.Raised |= X87Exceptions.ZeroDivide;
            }

            return Float80.Infinity(!y.Sign);
        }

        if (x.DenormalOperand(cy, ca))
        {
            return y;
        }

        if (aOne)
        {
            return Float80.Zero(y.Sign);
        }

        bool belowOne = ca != Float80Class.Infinity && a.Exponent < Float80.Bias;
        if (ca == Float80Class.Infinity || yInfinite)
        {
            return Float80.Infinity(y.Sign != belowOne);
        }

        return yZero ? Float80.Zero(y.Sign != belowOne) : X87Transcendentals.YLog2X(y, a).Round(ref x);
    }

    /// <summary>
    /// FYL2XP1's table (SDM Vol. 2) for |x| &lt; 1 - √2/2, and y × log2(1 + x) beyond it, where the SDM leaves the
    /// result undefined, except that for x ≤ -1 the host processor returns x, inexact, and so does this one.
    /// </summary>
    private static Float80 YLog2XPlus1(ref X87Context x, Float80 y, Float80 a)
    {
        if (SpecialPair(ref x, y, a, out Float80 special))
        {
            return special;
        }

        Float80Class cy = y.Class, ca = a.Class;
        bool yZero = cy == Float80Class.Zero, yInfinite = cy == Float80Class.Infinity;
        bool aZero = ca == Float80Class.Zero, aInfinite = ca == Float80Class.Infinity;
        if ((aZero && yInfinite) || (aInfinite && (yZero || a.Sign)))
        {
            return x.InvalidResult();
        }

        if (x.DenormalOperand(cy, ca))
        {
            return y;
        }

        bool sign = y.Sign != a.Sign;
        if (aZero || yZero)
        {
            return Float80.Zero(sign);
        }

        if (aInfinite || yInfinite)
        {
            return Float80.Infinity(sign);
        }

        if (a.Sign && a.Exponent >= Float80.Bias)
        {
            x.Raised |= X87Exceptions.Precision;
            return a;
        }

        return X87Transcendentals.YLog2XPlus1(y, a).Round(ref x);
    }
}
