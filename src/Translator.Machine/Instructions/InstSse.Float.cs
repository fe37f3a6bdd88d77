using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Cpu.SimdFloat;

namespace Translator.Machine.Instructions;

/// <summary>SSE/SSE2 floating point under MXCSR: arithmetic, MIN/MAX, compares, COMIS/UCOMIS and conversions.</summary>
internal static unsafe partial class InstSse
{
    /// <summary>One lane: the destination's lane and the source's in, the result out, the exception flags gathered.</summary>
    private delegate ulong LaneFunction(FloatFormat f, ulong a, ulong b, uint mxcsr, uint immediate, ref uint flags);

    private enum Shape : byte { PackedSingle, PackedDouble, ScalarSingle, ScalarDouble }

    private static readonly Dictionary<Mnemonic, LaneFunction> s_lanes = new()
    {
        [Mnemonic.Addps] = (FloatFormat f, ulong a, ulong b, uint m, uint _, ref uint x) => Arithmetic(f, Operation.Add, a, b, m, ref x),
        [Mnemonic.Subps] = (FloatFormat f, ulong a, ulong b, uint m, uint _, ref uint x) => Arithmetic(f, Operation.Subtract, a, b, m, ref x),
        [Mnemonic.Mulps] = (FloatFormat f, ulong a, ulong b, uint m, uint _, ref uint x) => Arithmetic(f, Operation.Multiply, a, b, m, ref x),
        [Mnemonic.Divps] = (FloatFormat f, ulong a, ulong b, uint m, uint _, ref uint x) => Arithmetic(f, Operation.Divide, a, b, m, ref x),
        [Mnemonic.Sqrtps] = (FloatFormat f, ulong _, ulong b, uint m, uint _, ref uint x) => SquareRoot(f, b, m, ref x),
        [Mnemonic.Minps] = (FloatFormat f, ulong a, ulong b, uint _, uint _, ref uint x) => MinMax(f, a, b, maximum: false, ref x),
        [Mnemonic.Maxps] = (FloatFormat f, ulong a, ulong b, uint _, uint _, ref uint x) => MinMax(f, a, b, maximum: true, ref x),
        [Mnemonic.Cmpps] = (FloatFormat f, ulong a, ulong b, uint _, uint i, ref uint x) => ComparePredicate(f, a, b, i, ref x),
    };

    private static readonly Shape[] s_shapes = new Shape[Enum.GetValues<Mnemonic>().Length];
    private static readonly LaneFunction?[] s_laneByMnemonic = new LaneFunction?[Enum.GetValues<Mnemonic>().Length];

    private static void RegisterFloat(Dictionary<Mnemonic, nint> t)
    {
        foreach ((Mnemonic packed, LaneFunction lane) in s_lanes)
        {
            string stem = packed.ToString()[..^2];
            foreach ((string suffix, Shape shape) in new[] { ("ps", Shape.PackedSingle), ("pd", Shape.PackedDouble), ("ss", Shape.ScalarSingle), ("sd", Shape.ScalarDouble) })
            {
                Mnemonic m = Enum.Parse<Mnemonic>(stem + suffix, ignoreCase: true);
                s_shapes[(int)m] = shape;
                s_laneByMnemonic[(int)m] = lane;
                t[m] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Lanewise;
            }
        }

        // The approximations have single-precision forms only and raise no exception (SimdApproximations: AMD's values).
        foreach ((Mnemonic m, Shape shape, LaneFunction lane) in new (Mnemonic, Shape, LaneFunction)[]
        {
            (Mnemonic.Rcpps, Shape.PackedSingle, Reciprocal), (Mnemonic.Rcpss, Shape.ScalarSingle, Reciprocal),
            (Mnemonic.Rsqrtps, Shape.PackedSingle, ReciprocalSquareRoot), (Mnemonic.Rsqrtss, Shape.ScalarSingle, ReciprocalSquareRoot),
        })
        {
            s_shapes[(int)m] = shape;
            s_laneByMnemonic[(int)m] = lane;
            t[m] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Lanewise;
        }

        t[Mnemonic.Comiss] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&CompareOrdered;
        t[Mnemonic.Comisd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&CompareOrdered;
        t[Mnemonic.Ucomiss] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&CompareOrdered;
        t[Mnemonic.Ucomisd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&CompareOrdered;
        RegisterConversions(t);
    }

    /// <summary>A packed or scalar operation, lane by lane: scalar forms change the low lane only.</summary>
    private static void Lanewise(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        Shape shape = s_shapes[(int)op.Instruction.Mnemonic];
        LaneFunction lane = s_laneByMnemonic[(int)op.Instruction.Mnemonic]!;
        bool isDouble = shape is Shape.PackedDouble or Shape.ScalarDouble;
        FloatFormat f = isDouble ? FloatFormat.Double : FloatFormat.Single;
        int width = isDouble ? 64 : 32, lanes = shape switch { Shape.PackedSingle => 4, Shape.PackedDouble => 2, _ => 1 };
        UInt128 source = shape switch
        {
            Shape.ScalarSingle => Source32(c, ref op, 1),
            Shape.ScalarDouble => Source64(c, ref op, 1),
            _ => Source128(c, ref op, 1),
        };
        int d = XmmOf(ref op, 0);
        UInt128 result = c.Xmm[d];
        uint flags = 0;
        for (int i = 0; i < lanes; i++)
        {
            UInt128 mask = (UInt128)(width == 64 ? ulong.MaxValue : uint.MaxValue) << (width * i);
            ulong a = (ulong)((result & mask) >> (width * i)), b = (ulong)((source & mask) >> (width * i));
            ulong r = lane(f, a, b, c.Mxcsr, op.Immediate, ref flags);
            result = (result & ~mask) | ((UInt128)r << (width * i));
        }

        Commit(c, flags);
        c.Xmm[d] = result;
    }

    /// <summary>
    /// Records the exception flags; an unmasked one is #XM (CR4.OSXMMEXCPT = 1) or #UD, and the destination is left
    /// as it was. An unmasked exception found before computing (invalid, denormal, divide by zero) records only those.
    /// </summary>
    private static void Commit(X86Cpu c, uint flags)
    {
        uint unmasked = flags & ~(c.Mxcsr >> (int)MaskShift) & 0x3F;
        const uint beforeComputing = Invalid | Denormal | DivideByZero;
        c.Mxcsr |= (unmasked & beforeComputing) != 0 ? flags & beforeComputing : flags;
        if (unmasked != 0)
        {
            throw (c.Cr4 & X86Cpu.Cr4OsXmmExcpt) != 0 ? c.Exception(ExceptionVector.SimdFloatingPoint) : c.InvalidOpcode();
        }
    }

    private static ulong Reciprocal(FloatFormat f, ulong a, ulong b, uint mxcsr, uint immediate, ref uint flags) => SimdApproximations.Reciprocal((uint)b);

    private static ulong ReciprocalSquareRoot(FloatFormat f, ulong a, ulong b, uint mxcsr, uint immediate, ref uint flags) =>
        SimdApproximations.ReciprocalSquareRoot((uint)b);

    /// <summary>MIN/MAX: a NaN in either (QNaN too) is invalid and gives the second source; equal values (±0) give it too.</summary>
    private static ulong MinMax(FloatFormat f, ulong a, ulong b, bool maximum, ref uint flags)
    {
        if (f.IsNaN(a) || f.IsNaN(b))
        {
            flags |= Invalid;
            return b;
        }

        flags |= f.IsDenormal(a) || f.IsDenormal(b) ? Denormal : 0;
        int order = SimdFloat.Compare(f, a, b)!.Value;
        return (maximum ? order > 0 : order < 0) ? a : b;
    }

    /// <summary>CMPPS/CMPPD/CMPSS/CMPSD with predicates 0-7: all ones or zero; LT, LE, NLT and NLE signal on QNaN too.</summary>
    private static ulong ComparePredicate(FloatFormat f, ulong a, ulong b, uint predicate, ref uint flags)
    {
        predicate &= 7;
        int? order = SimdFloat.Compare(f, a, b);
        bool signalsOnQuiet = predicate is 1 or 2 or 5 or 6;
        if (order is null)
        {
            flags |= signalsOnQuiet || f.IsSignalingNaN(a) || f.IsSignalingNaN(b) ? Invalid : 0;
        }
        else
        {
            flags |= f.IsDenormal(a) || f.IsDenormal(b) ? Denormal : 0;
        }

        bool truth = predicate switch
        {
            0 => order == 0,
            1 => order < 0,
            2 => order <= 0,
            3 => order is null,
            4 => order != 0,
            5 => !(order < 0),
            6 => !(order <= 0),
            _ => order is not null,
        };
        return truth ? (f.Precision == 24 ? uint.MaxValue : ulong.MaxValue) : 0;
    }

    /// <summary>COMISS/COMISD (invalid on any NaN) and UCOMISS/UCOMISD (on SNaN): ZF, PF, CF; OF, SF, AF cleared.</summary>
    private static void CompareOrdered(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        bool isDouble = op.Instruction.Mnemonic is Mnemonic.Comisd or Mnemonic.Ucomisd;
        FloatFormat f = isDouble ? FloatFormat.Double : FloatFormat.Single;
        ulong a = isDouble ? (ulong)c.Xmm[XmmOf(ref op, 0)] : (uint)c.Xmm[XmmOf(ref op, 0)];
        ulong b = isDouble ? Source64(c, ref op, 1) : Source32(c, ref op, 1);
        bool ordered = op.Instruction.Mnemonic is Mnemonic.Comiss or Mnemonic.Comisd;
        uint flags = 0;
        int? order = SimdFloat.Compare(f, a, b);
        if (order is null)
        {
            flags |= ordered || f.IsSignalingNaN(a) || f.IsSignalingNaN(b) ? Invalid : 0;
        }
        else
        {
            flags |= f.IsDenormal(a) || f.IsDenormal(b) ? Denormal : 0;
        }

        Commit(c, flags);
        const uint cf = 0x1, pf = 0x4, zf = 0x40;
        c.SetStatusFlags(order switch { null => zf | pf | cf, < 0 => cf, 0 => zf, _ => 0 });
    }
}
