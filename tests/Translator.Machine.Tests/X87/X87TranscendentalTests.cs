using Translator.Machine.Cpu.X87;
using Xunit;

namespace Translator.Machine.Tests.X87;

/// <summary>
/// The transcendental instructions' special-value tables (SDM Vol. 2, each instruction's page), stack faults,
/// out-of-range operands and a few correctly rounded values, on the emulated CPU alone (no host processor needed).
/// Values are x87 bit patterns (sign/exponent:significand), flags FSW bits.
/// </summary>
public sealed class X87TranscendentalTests
{
    private const ushort Nearest = 0x037F, Down = 0x077F, Up = 0x0B7F, InvalidUnmasked = 0x037E, DenormalUnmasked = 0x037D;
    private const ushort IE = 0x01, DE = 0x02, ZE = 0x04, UE = 0x10, PE = 0x20, SF = 0x40, ES = 0x80;
    private const ushort C1 = 0x200, C2 = 0x400;

    private static readonly Float80 PosZero = Float80.Zero(false), NegZero = Float80.Zero(true);
    private static readonly Float80 PosInf = Float80.Infinity(false), NegInf = Float80.Infinity(true);
    private static readonly Float80 One = Float80.One, MinusOne = Float80.One.Negate();
    private static readonly Float80 Pi = new(0x4000, 0xC90F_DAA2_2168_C235), HalfPi = new(0x3FFF, 0xC90F_DAA2_2168_C235);
    private static readonly Float80 QuarterPi = new(0x3FFE, 0xC90F_DAA2_2168_C235), ThreeQuartersPi = new(0x4000, 0x96CB_E3F9_990E_91A8);
    private static readonly Float80 Two63 = new(0x403E, 0x8000_0000_0000_0000), Tiny = new(0x3F37, 0x8000_0000_0000_0000);
    private static readonly Float80 Denormal = new(0x0000, 0x4000_0000_0000_0000);
    private static readonly Float80 SignalingNaN = new(0x7FFF, 0xA000_0000_0000_0000);

    private const byte Fsin = 0xFE, Fcos = 0xFF, Fsincos = 0xFB, Fptan = 0xF2, Fpatan = 0xF3, F2xm1 = 0xF0, Fyl2x = 0xF1, Fyl2xp1 = 0xF9;

    /// <summary>FNINIT, FLDCW, FLD st1, FLD st0, then D9 op, as in the host comparison; the FSW flags and C1/C2, TOP, ST0 and ST1.</summary>
    private static (ushort Flags, int Top, Float80 St0, Float80 St1) Run(byte opcode, ushort control, Float80 st1, Float80 st0, params byte[] prefix)
    {
        var op = new X87Op($"d9 {opcode:x2}", [.. prefix, 0xD9, opcode]);
        var context = new byte[192];
        BitConverter.TryWriteBytes(context.AsSpan(0), control);
        BitConverter.TryWriteBytes(context.AsSpan(16), st1.Significand);
        BitConverter.TryWriteBytes(context.AsSpan(24), st1.SignExponent);
        BitConverter.TryWriteBytes(context.AsSpan(32), st0.Significand);
        BitConverter.TryWriteBytes(context.AsSpan(40), st0.SignExponent);
        byte[] after = new X87HostCpuTests.EmulatedX87([op]).Run(op, context);
        ushort fsw = BitConverter.ToUInt16(after, 84);
        static Float80 Register(byte[] image, int at) => new(BitConverter.ToUInt16(image, at + 8), BitConverter.ToUInt64(image, at));
        return ((ushort)(fsw & 0x06FF), (fsw >> 11) & 7, Register(after, 108), Register(after, 118));
    }

    private static void Expect(byte opcode, ushort control, Float80 st1, Float80 st0, ushort flags, Float80 result, Float80? second = null)
    {
        (ushort f, _, Float80 r0, Float80 r1) = Run(opcode, control, st1, st0);
        Assert.Equal(result, r0);
        if (second is Float80 s)
        {
            Assert.Equal(s, r1);
        }

        Assert.Equal($"{flags:X4}", $"{f:X4}");
    }

    [Fact]
    public void SineCosineAndTangentOfZerosAreExact()
    {
        Expect(Fsin, Nearest, One, NegZero, 0, NegZero);
        Expect(Fcos, Nearest, One, NegZero, 0, One);
        Expect(Fptan, Nearest, One, PosZero, 0, One, second: PosZero); // tan in ST(1), 1.0 pushed
        Expect(Fsincos, Nearest, One, NegZero, 0, One, second: NegZero); // cos in ST(0), sin in ST(1)
    }

    [Fact]
    public void InfinitiesAreInvalidAndNaNsPropagate()
    {
        Expect(Fsin, Nearest, One, PosInf, IE, Float80.Indefinite);
        Expect(Fcos, InvalidUnmasked, One, NegInf, IE | ES, NegInf); // unmasked: the operand stays
        Expect(Fsin, Nearest, One, SignalingNaN, IE, SignalingNaN.Quieted());
        Expect(F2xm1, Nearest, One, NegInf, 0, MinusOne);
        Expect(F2xm1, Nearest, One, PosInf, 0, PosInf);
    }

    [Fact]
    public void OutOfRangeOperandsSetC2AndChangeNothing()
    {
        foreach (byte op in new[] { Fsin, Fcos, Fsincos, Fptan })
        {
            (ushort flags, int top, Float80 st0, _) = Run(op, Nearest, One, Two63.Negate());
            Assert.Equal(C2, flags);
            Assert.Equal(6, top); // FPTAN and FSINCOS pushed nothing
            Assert.Equal(Two63.Negate(), st0);
        }

        (ushort inRange, _, _, _) = Run(Fsin, Nearest, One, new Float80(0x403D, 0xFFFF_FFFF_FFFF_FFFF));
        Assert.Equal(PE, (ushort)(inRange & ~C1)); // 2^63 - 1 is in range: C2 = 0
    }

    [Fact]
    public void StackUnderflowAndOverflowGiveTheIndefinite()
    {
        (ushort flags, _, Float80 st0, _) = Run(Fsin, Nearest, One, One, 0xDD, 0xC0); // FFREE ST(0)
        Assert.Equal(IE | SF, flags);
        Assert.Equal(Float80.Indefinite, st0);

        byte[] fill = [0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8]; // six FLD1: ST(7) in use
        (flags, int top, st0, Float80 st1) = Run(Fptan, Nearest, One, One, fill);
        Assert.Equal(IE | SF | C1, flags);
        Assert.Equal(7, top);
        Assert.Equal((Float80.Indefinite, Float80.Indefinite), (st0, st1));
    }

    [Fact]
    public void ValuesAreCorrectlyRoundedPerRoundingControl()
    {
        Expect(Fsin, Nearest, One, One, PE | C1, new(0x3FFE, 0xD76A_A478_4867_7021));
        Expect(Fcos, Nearest, One, One, PE | C1, new(0x3FFE, 0x8A51_407D_A834_5C92));

        // tan 1 rounds to ...2DC5, 0.4 ulp below the midpoint; the host processor gives ...2DC6 (docs/x87.md).
        Expect(Fptan, Nearest, One, One, PE, One, second: new(0x3FFF, 0xC759_22E5_F71D_2DC5));

        // sin x = x - x³/6 and cos x = 1 - x²/2 for tiny x: below x and 1, so rounding down moves them.
        Expect(Fsin, Nearest, One, Tiny, PE | C1, Tiny);
        Expect(Fsin, Down, One, Tiny, PE, new(0x3F36, 0xFFFF_FFFF_FFFF_FFFF));
        Expect(Fcos, Down, One, Tiny, PE, new(0x3FFE, 0xFFFF_FFFF_FFFF_FFFF));
        Expect(Fcos, Up, One, Tiny, PE | C1, One);
    }

    [Fact]
    public void DenormalOperandsRaiseDe()
    {
        Expect(Fsin, DenormalUnmasked, One, Denormal, DE | ES, Denormal);
        Expect(Fsin, Nearest, One, Denormal, DE | UE | PE | C1, Denormal); // sin of a denormal: just below it, rounded up
    }

    [Fact]
    public void ArcTangentFollowsTheQuadrantTable()
    {
        Expect(Fpatan, Nearest, PosZero, NegZero, PE | C1, Pi);
        Expect(Fpatan, Nearest, NegZero, PosZero, 0, NegZero);
        Expect(Fpatan, Nearest, PosInf, NegInf, PE | C1, ThreeQuartersPi);
        Expect(Fpatan, Nearest, One, PosInf, 0, PosZero);
        Expect(Fpatan, Nearest, MinusOne, NegZero, PE | C1, HalfPi.Negate());
        Expect(Fpatan, Nearest, One, One, PE | C1, QuarterPi);
        Expect(Fpatan, Nearest, One, new(0x4000, 0x8000_0000_0000_0000), PE, new(0x3FFD, 0xED63_382B_0DDA_7B45));
    }

    [Fact]
    public void TwoToTheXMinusOne()
    {
        Expect(F2xm1, Nearest, One, NegZero, 0, NegZero);
        Expect(F2xm1, Nearest, One, new(0x3FFE, 0x8000_0000_0000_0000), PE, new(0x3FFD, 0xD413_CCCF_E779_9211));
        Expect(F2xm1, Nearest, One, MinusOne, PE, new(0xBFFE, 0x8000_0000_0000_0000));
        Expect(F2xm1, Down, One, One, PE, new(0x3FFE, 0xFFFF_FFFF_FFFF_FFFF)); // the host's 2^1 - 1 is just below 1
        Expect(F2xm1, Nearest, One, new(0x4000, 0xC000_0000_0000_0000), PE, new(0x4000, 0xC000_0000_0000_0000)); // out of range: x
    }

    [Fact]
    public void LogarithmsFollowTheSpecialValueTables()
    {
        Float80 ten = new(0x4002, 0xA000_0000_0000_0000), half = new(0x3FFE, 0x8000_0000_0000_0000);
        Float80 oneAndHalf = new(0x3FFF, 0xC000_0000_0000_0000);
        Expect(Fyl2x, Nearest, oneAndHalf, ten, PE | C1, new(0x4001, 0x9F73_DA38_D9D4_A83F));
        Expect(Fyl2x, Nearest, oneAndHalf.Negate(), PosZero, ZE, PosInf);
        Expect(Fyl2x, Nearest, One, MinusOne, IE, Float80.Indefinite);
        Expect(Fyl2x, Nearest, PosZero, PosZero, IE, Float80.Indefinite);
        Expect(Fyl2x, Nearest, PosInf, One, IE, Float80.Indefinite);
        Expect(Fyl2x, Nearest, MinusOne, One, 0, NegZero);
        Expect(Fyl2x, Nearest, new(0xC000, 0x8000_0000_0000_0000), half, PE, new(0x4000, 0x8000_0000_0000_0000)); // exact, reported inexact
        Expect(Fyl2x, Nearest, PosInf, half, 0, NegInf);

        Expect(Fyl2xp1, Nearest, One, PosZero, 0, PosZero);
        Expect(Fyl2xp1, Nearest, MinusOne, PosZero, 0, NegZero);
        Expect(Fyl2xp1, Nearest, PosInf, NegZero, IE, Float80.Indefinite);
        Expect(Fyl2xp1, Nearest, One, new(0x3FFD, 0x8000_0000_0000_0000), PE, new(0x3FFD, 0xA4D3_C25E_68DC_57F2));
        Expect(Fyl2xp1, Nearest, One, new(0xBFFF, 0xC000_0000_0000_0000), PE, new(0xBFFF, 0xC000_0000_0000_0000)); // x ≤ -1: x
    }
}
