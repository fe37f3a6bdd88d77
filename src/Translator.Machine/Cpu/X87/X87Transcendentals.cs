using System.Numerics;

namespace Translator.Machine.Cpu.X87;

/// <summary>
/// FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X and FYL2XP1 (SDM Vol. 2): each result is computed in
/// <see cref="BigInteger"/> fixed point with at least 150 bits relative to its size, then rounded once to the
/// 64-bit significand under RC (the host processor rounds these per RC; precision control does not apply).
/// Where the host processor follows its own rule rather than the mathematical function, the rule was measured
/// against it (docs/x87.md, "The transcendental instructions"): FSIN, FCOS, FSINCOS and FPTAN reduce by π rounded
/// to 66 bits, and FPATAN's quadrant constants are that same π.
/// </summary>
internal static class X87Transcendentals
{
    /// <summary>Fraction bits of the fixed-point arithmetic for arguments of ordinary size.</summary>
    private const int Scale = 256;

    /// <summary>Arguments smaller than 2^-TinyExponent: the function's first term decides, the next one only its direction.</summary>
    private const int TinyExponent = 100;

    /// <summary>π rounded to nearest at 66 bits (it is below π), at scale 2^-64: the host processor's reduction constant.</summary>
    private static readonly BigInteger s_pi66 = BigInteger.Parse("03243F6A8885A308D3", System.Globalization.NumberStyles.HexNumber);

    private const int ConstantScale = 512;

    /// <summary>ln 2 and log2 e at scale 2^-512 (ln 2 = 2 atanh(1/3)).</summary>
    private static readonly BigInteger s_ln2 = 2 * AtanhSeries((BigInteger.One << ConstantScale) / 3, ConstantScale);

    private static readonly BigInteger s_log2e = (BigInteger.One << (2 * ConstantScale)) / s_ln2;

    // ---- operands ----------------------------------------------------------------------------------------------

    /// <summary>A finite nonzero value as (significand, exponent of its lowest bit): value = m × 2^e.</summary>
    private static (BigInteger M, int E) Exact(Float80 a)
    {
        (int e, ulong m) = a.Normalized();
        return (m, e - 63);
    }

    /// <summary>m × 2^e at scale 2^-scale (exact when e ≥ -scale, else truncated).</summary>
    private static BigInteger AtScale(BigInteger m, int e, int scale) => e + scale >= 0 ? m << (e + scale) : m >> -(e + scale);

    // ---- series --------------------------------------------------------------------------------------------------

    /// <summary>sin r or cos r for 0 ≤ r ≤ 1 at scale 2^-w (Taylor: each term is the last × r²/((n+1)(n+2)), n = 1 or 0).</summary>
    private static BigInteger SinOrCosSeries(BigInteger r, int w, bool cosine)
    {
        BigInteger r2 = (r * r) >> w;
        BigInteger term = cosine ? BigInteger.One << w : r, sum = term;
        for (int n = cosine ? 0 : 1; !term.IsZero; n += 2)
        {
            term = ((term * r2) >> w) / ((n + 1) * (n + 2));
            sum += ((n >> 1) & 1) == 0 ? -term : term;
        }

        return sum;
    }

    /// <summary>atanh z = z + z³/3 + z⁵/5 + ... for |z| ≤ 1/3, at scale 2^-w.</summary>
    private static BigInteger AtanhSeries(BigInteger z, int w) => OddPowerSeries(z, w, alternating: false);

    /// <summary>Σ (±1)^k z^(2k+1)/(2k+1): atanh, or atan when alternating.</summary>
    private static BigInteger OddPowerSeries(BigInteger z, int w, bool alternating)
    {
        BigInteger z2 = (z * z) >> w, power = z, sum = z;
        for (int k = 1; ; k++)
        {
            power = (power * z2) >> w;
            BigInteger term = power / (2 * k + 1);
            if (term.IsZero)
            {
                return sum;
            }

            sum += alternating && (k & 1) != 0 ? -term : term;
        }
    }

    /// <summary>
    /// ⌊√n⌋ by Newton's iteration from above, started from the double square root of n's top bits (rounded up): each
    /// step doubles the correct bits, so a 768-bit radicand takes four or five.
    /// </summary>
    private static BigInteger SquareRoot(BigInteger n)
    {
        if (n.IsZero)
        {
            return n;
        }

        int shift = Math.Max(0, (int)n.GetBitLength() - 100) & ~1;
        double top = (double)(n >> shift) + 1;
        BigInteger r = (new BigInteger(Math.Sqrt(top) * (1 + 1e-12)) + 1) << (shift / 2);
        while (true)
        {
            BigInteger next = (r + n / r) >> 1;
            if (next >= r)
            {
                return r;
            }

            r = next;
        }
    }

    /// <summary>atan q for 0 ≤ q ≤ 1 at scale 2^-w: three halvings, q → q / (1 + √(1 + q²)), bring q below 0.1 for the series.</summary>
    private static BigInteger AtanFixed(BigInteger q, int w)
    {
        BigInteger one = BigInteger.One << w;
        for (int n = 0; n < 3; n++)
        {
            BigInteger root = SquareRoot((one << w) + q * q);
            q = (q << w) / (one + root);
        }

        return OddPowerSeries(q, w, alternating: true) << 3;
    }

    /// <summary>log2(n × 2^-s) at scale 2^-w (signed), and whether it is exact (n × 2^-s a power of two).</summary>
    private static (BigInteger Log, bool Exact) Log2(BigInteger n, int s, int w)
    {
        // n × 2^-s = f × 2^e with f = n / 2^d in [√½, √2): then log2 = e + 2 atanh((f-1)/(f+1)) log2 e.
        int d = (int)n.GetBitLength() - 1;
        if (n * n > BigInteger.One << (2 * d + 1))
        {
            d++;
        }

        BigInteger exponent = new BigInteger(d - s) << w;
        BigInteger power = BigInteger.One << d;
        if (n == power)
        {
            return (exponent, true);
        }

        BigInteger z = ((n - power) << w) / (n + power);
        BigInteger ln = 2 * AtanhSeries(z, w);
        return (exponent + ((ln * s_log2e) >> ConstantScale), false);
    }

    // ---- FSIN, FCOS, FSINCOS, FPTAN ------------------------------------------------------------------------------

    /// <summary>Which result a trigonometric instruction wants of its reduced argument.</summary>
    internal enum Trig
    {
        Sine,
        Cosine,
        Tangent,
    }

    /// <summary>
    /// The trigonometric function of a finite nonzero operand with |a| &lt; 2^63: a is reduced exactly by the
    /// nearest multiple k of π66/2, and the function of the reduced argument r is taken by k mod 4.
    /// </summary>
    internal static Unrounded Trigonometric(Float80 a, Trig function)
    {
        (BigInteger m, int e) = Exact(a);
        bool odd = function != Trig.Cosine, sign = odd && a.Sign;
        if (e + 63 < -TinyExponent)
        {
            // k = 0 and sin a = a - a³/6, tan a = a + a³/3, cos a = 1 - a²/2: the second term only says which side.
            return function switch
            {
                Trig.Sine => new Unrounded(sign, m, -e, Accuracy.JustBelow),
                Trig.Tangent => new Unrounded(sign, m, -e, Accuracy.JustAbove),
                _ => new Unrounded(false, BigInteger.One, 0, Accuracy.JustBelow),
            };
        }

        // |a| ≥ 2^-100 has its lowest bit at 2^-164 or above, and π66/2 at 2^-65: a - k π66/2 is exact at the scale.
        BigInteger value = AtScale(m, e, Scale), halfPi = s_pi66 << (Scale - 65);
        BigInteger k = (2 * value + halfPi) / (2 * halfPi);
        BigInteger r = value - k * halfPi;
        // sin(r + kπ/2) is ±sin r or ±cos r by k mod 4 (cos is sin a quadrant on); tan is their quotient.
        int quadrant = (int)(k & 3) + (function == Trig.Cosine ? 1 : 0);
        BigInteger SinOrCos(bool cosine)
        {
            BigInteger v = SinOrCosSeries(BigInteger.Abs(r), Scale, cosine);
            return !cosine && r.Sign < 0 ? -v : v;
        }

        BigInteger result;
        if (function == Trig.Tangent)
        {
            BigInteger sin = SinOrCos(false), cos = SinOrCos(true);
            result = (quadrant & 1) == 0 ? (sin << Scale) / cos : -(cos << Scale) / sin;
        }
        else
        {
            result = SinOrCos((quadrant & 1) != 0);
            result = (quadrant & 2) != 0 ? -result : result;
        }

        return new Unrounded(sign != (result.Sign < 0), BigInteger.Abs(result), Scale, Accuracy.Approximate);
    }

    // ---- FPATAN ------------------------------------------------------------------------------------------------------

    /// <summary>π66 × numerator / 4 (π, π/2, π/4, 3π/4), the constants of FPATAN's special operands.</summary>
    internal static Unrounded PiQuarters(bool sign, int numerator) =>
        new Unrounded(sign, s_pi66 * numerator, 66, Accuracy.Approximate);

    /// <summary>FPATAN of finite nonzero y (ST(1)) and x (ST(0)): the angle of (x, y), in (-π, π].</summary>
    internal static Unrounded ArcTangent(Float80 y, Float80 xv)
    {
        (BigInteger my, int ey) = Exact(y);
        (BigInteger mx, int ex) = Exact(xv);
        int order = (ey + (int)my.GetBitLength()).CompareTo(ex + (int)mx.GetBitLength());
        bool yLarger = order > 0 || (order == 0 && my > mx); // both significands are 64-bit normalized
        (BigInteger num, int en, BigInteger den, int ed) = yLarger ? (mx, ex, my, ey) : (my, ey, mx, ex);

        // q = num/den ≤ 1. A tiny q with x > 0: atan q = q - q³/3, q computed to 256 bits (exactly or not).
        if (!yLarger && !xv.Sign && en - ed < -TinyExponent)
        {
            BigInteger scaled = num << 256;
            BigInteger q = BigInteger.DivRem(scaled, den, out BigInteger rest);
            return new Unrounded(y.Sign, q, 256 - (en - ed), rest.IsZero ? Accuracy.JustBelow : Accuracy.Approximate);
        }

        BigInteger quotient = en - ed >= -Scale ? (num << (Scale + en - ed)) / den : BigInteger.Zero;
        BigInteger angle = AtanFixed(quotient, Scale);
        BigInteger pi = s_pi66 << (Scale - 64);
        if (yLarger)
        {
            angle = (pi >> 1) - angle;
        }

        if (xv.Sign)
        {
            angle = pi - angle;
        }

        return new Unrounded(y.Sign, angle, Scale, Accuracy.Approximate);
    }

    // ---- F2XM1, FYL2X, FYL2XP1 -------------------------------------------------------------------------------------

    /// <summary>2^a - 1 for finite nonzero |a| &lt; 1: e^t - 1 with t = a ln 2, Taylor.</summary>
    internal static Unrounded Exp2Minus1(Float80 a)
    {
        (BigInteger m, int e) = Exact(a);
        int w = Scale + Math.Max(0, -(e + 63)); // a tiny argument's t keeps as many bits as a large one's
        BigInteger t = AtScale(m * s_ln2, e - ConstantScale, w);
        if (a.Sign)
        {
            t = -t;
        }

        BigInteger sum = t, term = t;
        for (int n = 2; !term.IsZero; n++)
        {
            term = ((term * t) >> w) / n;
            sum += term;
        }

        return new Unrounded(sum.Sign < 0, BigInteger.Abs(sum), w, Accuracy.Approximate);
    }

    /// <summary>F2XM1(1) on the host processor: a value just below 1, rounded per RC (1, or 1 - 2^-64 rounding down).</summary>
    internal static readonly Unrounded JustBelowOne = new Unrounded(false, BigInteger.One, 0, Accuracy.JustBelow);

    /// <summary>y × log2 v for finite nonzero y and v = n × 2^-s > 0, v ≠ 1; exact results are rounded as they are.</summary>
    private static Unrounded YLog2(Float80 y, BigInteger n, int s, int w)
    {
        (BigInteger log, bool exact) = Log2(n, s, w);
        (BigInteger my, int ey) = Exact(y);
        BigInteger product = my * BigInteger.Abs(log);
        // The host processor reports an exact result (log2 of a power of two) inexact too.
        return new Unrounded(y.Sign != (log.Sign < 0), product, w - ey, exact ? Accuracy.ReportedInexact : Accuracy.Approximate);
    }

    /// <summary>FYL2X: y × log2 a for finite nonzero y and finite a &gt; 0, a ≠ 1.</summary>
    internal static Unrounded YLog2X(Float80 y, Float80 a)
    {
        (BigInteger m, int e) = Exact(a);
        return YLog2(y, m, -e, Scale);
    }

    /// <summary>FYL2XP1: y × log2(1 + a) for finite nonzero y and finite nonzero a &gt; -1 (1 + a exact).</summary>
    internal static Unrounded YLog2XPlus1(Float80 y, Float80 a)
    {
        (BigInteger m, int e) = Exact(a);
        int s = Math.Max(0, -e);
        BigInteger sum = (BigInteger.One << s) + (a.Sign ? -m : m) * (BigInteger.One << (e + s));
        int w = Scale + Math.Max(0, -(e + 63)); // for a tiny a, log2(1 + a) ≈ a log2 e keeps as many bits
        return YLog2(y, sum, s, w);
    }
}

/// <summary>Where the true value lies relative to an approximation v: exactly v, within a unit either side, or just below or above.</summary>
internal enum Accuracy
{
    Exact,

    /// <summary>Exact, but reported inexact (PE, C1 = 0), as the host processor does for a few exact results.</summary>
    ReportedInexact,
    Approximate,
    JustBelow,
    JustAbove,
}

/// <summary>A transcendental result before its one rounding: sign × V × 2^-Scale, V ≥ 0, with what is known of its accuracy.</summary>
internal readonly record struct Unrounded(bool Sign, BigInteger V, int Scale, Accuracy Accuracy)
{
    /// <summary>
    /// Rounds to the register. An approximate V is jammed half a unit up, so that it never reads as exact (the true
    /// values are irrational, and 150 bits place them well away from any rounding boundary); JustBelow and JustAbove
    /// put it a fraction of a unit to the side the omitted terms lie on.
    /// </summary>
    public Float80 Round(ref X87Context x)
    {
        if (V.IsZero && Accuracy == Accuracy.Exact)
        {
            return Float80.Zero(Sign);
        }

        if (Accuracy == Accuracy.ReportedInexact)
        {
            Float80 exact = (this with { Accuracy = Accuracy.Exact }).Round(ref x);
            x.Raised |= X87Exceptions.Precision;
            if (exact.Class == Float80Class.Denormal)
            {
                // A tiny one is reported as a rounded-up underflow (masked UE), as the host processor does.
                x.Raised |= X87Exceptions.Underflow;
                x.RoundedUp = true;
            }

            return exact;
        }

        (BigInteger v, int scale) = Jammed();
        long bits = (long)v.GetBitLength();
        UInt128 significand;
        if (bits > 128)
        {
            BigInteger top = v >> (int)(bits - 128);
            significand = (UInt128)top | ((top << (int)(bits - 128)) != v ? UInt128.One : UInt128.Zero);
        }
        else
        {
            significand = (UInt128)v << (int)(128 - bits);
        }

        return x.RoundToExtended(Sign, (int)Math.Clamp(bits - 1 - scale, int.MinValue / 2, int.MaxValue / 2), significand);
    }

    /// <summary>V with the jam below its 128th bit, where it cannot reach the 64-bit significand's rounding.</summary>
    private (BigInteger V, int Scale) Jammed()
    {
        if (Accuracy is Accuracy.Exact or Accuracy.ReportedInexact)
        {
            return (V, Scale);
        }

        int shift = Math.Max(0, 128 - (int)V.GetBitLength()) + 2;
        return ((V << shift) + Accuracy switch { Accuracy.JustBelow => -1, Accuracy.JustAbove => 1, _ => 1L << (shift - 1) }, Scale + shift);
    }

    /// <summary>
    /// The value's position between two 64-bit significands, in units of the last place (0 to 1; normal results
    /// only): how near it is to a rounding boundary decides whether another implementation may round it otherwise.
    /// </summary>
    public double UlpFraction()
    {
        (BigInteger v, _) = Jammed();
        int drop = (int)v.GetBitLength() - 64;
        if (drop <= 0)
        {
            return 0;
        }

        BigInteger rest = v & ((BigInteger.One << drop) - 1);
        int keep = Math.Min(drop, 60);
        return (double)(rest >> (drop - keep)) / Math.Pow(2, keep);
    }
}
