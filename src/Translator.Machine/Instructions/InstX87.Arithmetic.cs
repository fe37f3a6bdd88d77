using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Cpu.X87;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>Arithmetic, comparisons and the one-operand instructions on ST(0).</summary>
internal static unsafe partial class InstX87
{
    private delegate Float80 Binary(ref X87Context x, Float80 a, Float80 b);

    private static void RegisterArithmetic(InstructionTableBuilder t)
    {
        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Fadd, Mnemonic.Faddp, Mnemonic.Fiadd, Mnemonic.Fsub, Mnemonic.Fsubp,
                     Mnemonic.Fisub, Mnemonic.Fsubr, Mnemonic.Fsubrp, Mnemonic.Fisubr, Mnemonic.Fmul, Mnemonic.Fmulp,
                     Mnemonic.Fimul, Mnemonic.Fdiv, Mnemonic.Fdivp, Mnemonic.Fidiv, Mnemonic.Fdivr, Mnemonic.Fdivrp, Mnemonic.Fidivr])
        {
            t.Add(m, &Arithmetic);
        }

        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Fcom, Mnemonic.Fcomp, Mnemonic.Fcompp, Mnemonic.Fucom, Mnemonic.Fucomp,
                     Mnemonic.Fucompp, Mnemonic.Ficom, Mnemonic.Ficomp, Mnemonic.Ftst])
        {
            t.Add(m, &Compare);
        }

        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Fcomi, Mnemonic.Fcomip, Mnemonic.Fucomi, Mnemonic.Fucomip])
        {
            t.Add(m, &CompareToFlags);
        }

        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Fsqrt, Mnemonic.Fabs, Mnemonic.Fchs, Mnemonic.Frndint])
        {
            t.Add(m, &Unary);
        }

        t.Add(Mnemonic.Fscale, &Fscale);
        t.Add(Mnemonic.Fprem, &Fprem);
        t.Add(Mnemonic.Fprem1, &Fprem);
        t.Add(Mnemonic.Fxtract, &Fxtract);
        t.Add(Mnemonic.Fxam, &Fxam);
    }

    private static (Binary Operation, bool Reversed) OperationOf(Mnemonic m) => m switch
    {
        Mnemonic.Fadd or Mnemonic.Faddp or Mnemonic.Fiadd => (X87Arithmetic.Add, false),
        Mnemonic.Fsub or Mnemonic.Fsubp or Mnemonic.Fisub => (X87Arithmetic.Subtract, false),
        Mnemonic.Fsubr or Mnemonic.Fsubrp or Mnemonic.Fisubr => (X87Arithmetic.Subtract, true),
        Mnemonic.Fmul or Mnemonic.Fmulp or Mnemonic.Fimul => (X87Arithmetic.Multiply, false),
        Mnemonic.Fdiv or Mnemonic.Fdivp or Mnemonic.Fidiv => (X87Arithmetic.Divide, false),
        _ => (X87Arithmetic.Divide, true),
    };

    /// <summary>
    /// The two-operand arithmetic in every form: dest = dest op src, or src op dest for the reversed (R) forms; the
    /// destination is ST(0) for a memory source, else the first register operand; the P forms pop.
    /// </summary>
    public static void Arithmetic(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        ref readonly Instruction i = ref op.Instruction;
        int destination = 0;
        Float80 source;
        bool empty, denormal = false;
        uint address = 0;
        bool memory = i.Op0Kind == OpKind.Memory;
        if (memory)
        {
            address = Operands.EffectiveAddress(c, ref op);
            source = ReadValue(c, address, i.MemorySize, out denormal);
            empty = f.IsEmpty(0);
        }
        else
        {
            destination = StOperand(in i, 0);
            int s = StOperand(in i, 1);
            source = f.St(s);
            empty = f.IsEmpty(destination) || f.IsEmpty(s);
        }

        RecordPointers(c, f, ref op, address, memory);
        bool pop = i.Mnemonic is Mnemonic.Faddp or Mnemonic.Fsubp or Mnemonic.Fsubrp or Mnemonic.Fmulp or Mnemonic.Fdivp or Mnemonic.Fdivrp;
        Float80 result;
        if (empty)
        {
            StackFault(f, ref x, overflow: false);
            result = Float80.Indefinite;
        }
        else
        {
            (Binary operation, bool reversed) = OperationOf(i.Mnemonic);
            Float80 d = f.St(destination);
            bool zeroDivisor = operation == X87Arithmetic.Divide && (reversed ? d : source).Class == Float80Class.Zero;
            result = MemoryDenormal(ref x, denormal && !zeroDivisor, d, source) ? d
                : reversed ? operation(ref x, source, d) : operation(ref x, d, source);
        }

        WriteResult(f, ref x, destination, result, pop);
    }

    /// <summary>Stores a result unless an unmasked IE, ZE or DE suppresses it (then nothing changes, not even TOP).</summary>
    private static void WriteResult(X87Fpu f, ref X87Context x, int destination, Float80 result, bool pop)
    {
        if (!x.Suppresses)
        {
            f.SetSt(destination, result);
            if (pop)
            {
                f.Pop();
            }
        }
        else
        {
            x.RoundedUp = false;
        }

        Finish(f, ref x);
    }

    public static void Unary(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        RecordPointers(c, f, ref op, 0, memory: false);
        Float80 result;
        if (f.IsEmpty(0))
        {
            StackFault(f, ref x, overflow: false);
            result = Float80.Indefinite;
        }
        else
        {
            Float80 a = f.St(0);
            result = op.Instruction.Mnemonic switch
            {
                Mnemonic.Fsqrt => X87Arithmetic.SquareRoot(ref x, a),
                Mnemonic.Fabs => a.Abs(),
                Mnemonic.Fchs => a.Negate(),
                Mnemonic.F2xm1 => F2xm1Of(ref x, a),
                _ => X87Operations.RoundToIntegral(ref x, a),
            };
        }

        WriteResult(f, ref x, 0, result, pop: false);
    }

    public static void Fscale(X86Cpu c, ref DecodedOp op)
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
            result = X87Operations.Scale(ref x, f.St(0), f.St(1));
        }

        WriteResult(f, ref x, 0, result, pop: false);
    }

    /// <summary>FPREM/FPREM1: C2 = 1 while the reduction is incomplete; else C0, C3, C1 = the quotient's bits 2, 1, 0.</summary>
    public static void Fprem(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        RecordPointers(c, f, ref op, 0, memory: false);
        if (f.IsEmpty(0) || f.IsEmpty(1))
        {
            StackFault(f, ref x, overflow: false);
            WriteResult(f, ref x, 0, Float80.Indefinite, pop: false);
            return;
        }

        Float80 result = X87Operations.Remainder(ref x, f.St(0), f.St(1), op.Instruction.Mnemonic == Mnemonic.Fprem1, out ulong quotient, out bool complete);
        if (x.Suppresses)
        {
            Finish(f, ref x);
            return;
        }

        f.SetSt(0, result);
        if (complete)
        {
            f.SetConditions((ushort)(((quotient & 4) != 0 ? X87Fpu.StatusC0 : 0) | ((quotient & 2) != 0 ? X87Fpu.StatusC3 : 0)
                | ((quotient & 1) != 0 ? X87Fpu.StatusC1 : 0)));
        }
        else
        {
            f.SetConditions((ushort)((f.Status & X87Fpu.ConditionBits & ~X87Fpu.StatusC1) | X87Fpu.StatusC2));
        }

        f.Raise(x.Raised);
    }

    /// <summary>FXTRACT: ST(0) becomes its unbiased exponent and the significand (exponent 0) is pushed.</summary>
    public static void Fxtract(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        RecordPointers(c, f, ref op, 0, memory: false);
        Float80 exponent, significand;
        if (f.IsEmpty(0))
        {
            StackFault(f, ref x, overflow: false);
            exponent = significand = Float80.Indefinite;
        }
        else if (!f.IsEmpty(7))
        {
            StackFault(f, ref x, overflow: true);
            exponent = significand = Float80.Indefinite;
        }
        else
        {
            (exponent, significand) = X87Operations.Extract(ref x, f.St(0));
        }

        if (!x.Suppresses)
        {
            f.SetSt(0, exponent);
            f.Push(significand);
        }

        Finish(f, ref x);
    }

    /// <summary>FXAM: the class of ST(0) in C3, C2, C0 (empty too, without a fault) and its sign in C1.</summary>
    public static void Fxam(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        RecordPointers(c, f, ref op, 0, memory: false);
        Float80 a = f.St(0);
        int code = f.IsEmpty(0) ? 0b101 : a.Class switch
        {
            Float80Class.Unsupported => 0b000,
            Float80Class.QuietNaN or Float80Class.SignalingNaN => 0b001,
            Float80Class.Normal => 0b010,
            Float80Class.Infinity => 0b011,
            Float80Class.Zero => 0b100,
            _ => 0b110,
        };
        f.SetConditions((ushort)(((code & 4) != 0 ? X87Fpu.StatusC3 : 0) | ((code & 2) != 0 ? X87Fpu.StatusC2 : 0)
            | ((code & 1) != 0 ? X87Fpu.StatusC0 : 0) | (a.Sign ? X87Fpu.StatusC1 : 0)));
    }

    /// <summary>The compared operands of FCOM-class instructions and how many pops follow.</summary>
    private static (Float80 Source, bool Empty, int Pops, bool Quiet) ComparandOf(X86Cpu c, X87Fpu f, ref DecodedOp op, ref X87Context x)
    {
        ref readonly Instruction i = ref op.Instruction;
        Mnemonic m = i.Mnemonic;
        int pops = m switch
        {
            Mnemonic.Fcomp or Mnemonic.Fucomp or Mnemonic.Ficomp or Mnemonic.Fcomip or Mnemonic.Fucomip => 1,
            Mnemonic.Fcompp or Mnemonic.Fucompp => 2,
            _ => 0,
        };
        bool quiet = m is Mnemonic.Fucom or Mnemonic.Fucomp or Mnemonic.Fucompp or Mnemonic.Fucomi or Mnemonic.Fucomip;
        if (m == Mnemonic.Ftst)
        {
            RecordPointers(c, f, ref op, 0, memory: false);
            return (Float80.Zero(false), f.IsEmpty(0), 0, false);
        }

        if (i.Op0Kind == OpKind.Memory)
        {
            uint address = Operands.EffectiveAddress(c, ref op);
            Float80 value = ReadValue(c, address, i.MemorySize, out bool denormal);
            RecordPointers(c, f, ref op, address, memory: true);
            if (!f.IsEmpty(0))
            {
                MemoryDenormal(ref x, denormal, f.St(0), value);
            }

            return (value, f.IsEmpty(0), pops, quiet);
        }

        int s = i.OpCount == 0 ? 1 : StOperand(in i, i.OpCount - 1);
        RecordPointers(c, f, ref op, 0, memory: false);
        return (f.St(s), f.IsEmpty(0) || f.IsEmpty(s), pops, quiet);
    }

    private static X87Ordering CompareOperands(X87Fpu f, ref X87Context x, (Float80 Source, bool Empty, int Pops, bool Quiet) operands)
    {
        if (operands.Empty)
        {
            StackFault(f, ref x, overflow: false);
            return X87Ordering.Unordered;
        }

        return X87Operations.Compare(ref x, f.St(0), operands.Source, operands.Quiet);
    }

    public static void Compare(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        var operands = ComparandOf(c, f, ref op, ref x);
        X87Ordering order = CompareOperands(f, ref x, operands);

        // The condition codes are set even when an unmasked exception stops the pops (as the reference processor does).
        f.SetConditions(order switch
        {
            X87Ordering.Greater => 0,
            X87Ordering.Less => X87Fpu.StatusC0,
            X87Ordering.Equal => X87Fpu.StatusC3,
            _ => X87Fpu.StatusC0 | X87Fpu.StatusC2 | X87Fpu.StatusC3,
        });
        PopUnlessSuppressed(f, ref x, operands.Pops);
    }

    private static void PopUnlessSuppressed(X87Fpu f, ref X87Context x, int pops)
    {
        for (int n = 0; n < pops && !x.Suppresses; n++)
        {
            f.Pop();
        }

        f.Raise(x.Raised);
    }

    /// <summary>FCOMI and kin: ZF, PF, CF as an unsigned compare would set them; OF, SF, AF cleared.</summary>
    public static void CompareToFlags(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        var operands = ComparandOf(c, f, ref op, ref x);
        X87Ordering order = CompareOperands(f, ref x, operands);
        f.Status &= unchecked((ushort)~X87Fpu.StatusC1);
        uint bits = order switch
        {
            X87Ordering.Greater => 0u,
            X87Ordering.Less => (uint)EFlags.CF,
            X87Ordering.Equal => (uint)EFlags.ZF,
            _ => (uint)(EFlags.ZF | EFlags.PF | EFlags.CF),
        };
        uint mask = (uint)(EFlags.OF | EFlags.SF | EFlags.ZF | EFlags.AF | EFlags.PF | EFlags.CF);
        c.MaterializeFlags();
        c.SetStatusFlags((c.FlagBits & ~mask) | bits);
        PopUnlessSuppressed(f, ref x, operands.Pops);
    }
}
