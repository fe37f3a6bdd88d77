using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Cpu.X87;
using Translator.Machine.Decoders;
using FloatFormat = Translator.Machine.Cpu.X87.FloatFormat;

namespace Translator.Machine.Instructions;

/// <summary>Loads, stores, constants and stack management.</summary>
internal static unsafe partial class InstX87
{
    /// <summary>IE with SF: C1 = 1 for an overflow (a push onto a full register), 0 for an underflow (an empty operand).</summary>
    internal static void StackFault(X87Fpu f, ref X87Context x, bool overflow)
    {
        x.Raised |= X87Exceptions.Invalid;
        f.Status |= X87Fpu.StatusStackFault;
        f.SetConditions(overflow ? X87Fpu.StatusC1 : (ushort)0);
    }

    /// <summary>Ends an instruction: its flags, C1 = rounded up, then ES/B for any unmasked one.</summary>
    internal static void Finish(X87Fpu f, ref X87Context x)
    {
        if ((f.Status & X87Fpu.StatusStackFault) == 0 || (x.Raised & X87Exceptions.Invalid) == 0)
        {
            f.Status = (ushort)((f.Status & ~X87Fpu.StatusC1) | (x.RoundedUp ? X87Fpu.StatusC1 : 0));
        }

        f.Raise(x.Raised);
    }

    private static X87Context Context(X87Fpu f) => X87Context.FromControl(f.Control);

    private static int StOperand(in Instruction i, int n) => i.GetOpRegister(n) - Iced.Intel.Register.ST0;

    /// <summary>
    /// Reads a memory operand as a register value: reals widen exactly (an SNaN stays signaling; a denormal comes back
    /// normalized, <paramref name="denormal"/> telling the instruction to raise DE when it has no NaN operand).
    /// </summary>
    private static Float80 ReadValue(X86Cpu c, uint address, MemorySize size, out bool denormal)
    {
        bool signaling = false;
        denormal = false;
        Float80 value = size switch
        {
            MemorySize.Float32 => Float80.FromSingle(c.Mmu.Read32(address), out signaling, out denormal),
            MemorySize.Float64 => Float80.FromDouble(Read64(c, address), out signaling, out denormal),
            MemorySize.Float80 => new Float80(c.Mmu.Read16(address + 8), Read64(c, address)),
            MemorySize.Int16 => Float80.FromInt64((short)c.Mmu.Read16(address)),
            MemorySize.Int32 => Float80.FromInt64((int)c.Mmu.Read32(address)),
            MemorySize.Int64 => Float80.FromInt64((long)Read64(c, address)),
            MemorySize.Bcd => FromBcd(Read64(c, address), c.Mmu.Read16(address + 8)),
            _ => throw new InvalidOperationException($"x87 operand size {size}"),
        };
        return value;
    }

    internal static ulong Read64(X86Cpu c, uint address) => c.Mmu.Read32(address) | (ulong)c.Mmu.Read32(address + 4) << 32;

    internal static void Write64(X86Cpu c, uint address, ulong value)
    {
        c.Mmu.ProbeWrite(address, 8, c.Cpl == 3);
        c.Mmu.Write32(address, (uint)value);
        c.Mmu.Write32(address + 4, (uint)(value >> 32));
    }

    internal static void Write80(X86Cpu c, uint address, Float80 value)
    {
        c.Mmu.ProbeWrite(address, 10, c.Cpl == 3);
        Write64(c, address, value.Significand);
        c.Mmu.Write16(address + 8, value.SignExponent);
    }

    private static Float80 FromBcd(ulong low, ushort high)
    {
        long magnitude = 0;
        for (int digit = 17; digit >= 0; digit--)
        {
            int nibble = digit >= 16 ? (high >> (4 * (digit - 16))) & 0xF : (int)(low >> (4 * digit)) & 0xF;
            magnitude = magnitude * 10 + nibble;
        }

        Float80 value = Float80.FromInt64(magnitude);
        return (high & 0x8000) != 0 ? value.WithSign(true) : value;
    }

    /// <summary>FLD, FILD, FBLD: push a memory operand or a copy of ST(i).</summary>
    public static void Fld(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        Float80 value;
        bool memory = op.Instruction.Op0Kind == OpKind.Memory;
        uint address = 0;
        if (memory)
        {
            address = Operands.EffectiveAddress(c, ref op);
            value = ReadValue(c, address, op.Instruction.MemorySize, out bool denormal);
            if (denormal)
            {
                x.Raised |= X87Exceptions.Denormal; // loaded all the same, even with DE unmasked
            }

            if (value.Class == Float80Class.SignalingNaN && op.Instruction.MemorySize != MemorySize.Float80)
            {
                x.Raised |= X87Exceptions.Invalid;
                value = value.Quieted();
            }
        }
        else
        {
            int i = StOperand(in op.Instruction, 0);
            value = f.St(i);
            if (f.IsEmpty(i))
            {
                StackFault(f, ref x, overflow: false);
                value = Float80.Indefinite;
            }
        }

        RecordPointers(c, f, ref op, address, memory);
        PushChecked(f, ref x, value);
    }

    /// <summary>Pushes unless ST(7) is in use (stack overflow: the indefinite, or nothing when IE is unmasked).</summary>
    private static void PushChecked(X87Fpu f, ref X87Context x, Float80 value)
    {
        if (!f.IsEmpty(7))
        {
            StackFault(f, ref x, overflow: true);
            value = Float80.Indefinite;
        }

        if ((x.Raised & ~x.Masks & X87Exceptions.Invalid) == 0)
        {
            f.Push(value);
        }

        Finish(f, ref x);
    }

    /// <summary>FST/FSTP to memory (narrowed with rounding) or to ST(i).</summary>
    public static void Fst(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        bool pop = op.Instruction.Mnemonic == Mnemonic.Fstp;
        Float80 value = f.St(0);
        if (f.IsEmpty(0))
        {
            StackFault(f, ref x, overflow: false);
            value = Float80.Indefinite;
        }

        if (op.Instruction.Op0Kind != OpKind.Memory)
        {
            RecordPointers(c, f, ref op, 0, memory: false);
            if (!x.Suppresses)
            {
                f.SetSt(StOperand(in op.Instruction, 0), value);
                if (pop)
                {
                    f.Pop();
                }
            }

            Finish(f, ref x);
            return;
        }

        uint address = Operands.EffectiveAddress(c, ref op);
        MemorySize size = op.Instruction.MemorySize;
        X87Context trial = x;
        ulong bits = size switch
        {
            MemorySize.Float32 => Narrow(ref trial, value, FloatFormat.Single).ToSingle(),
            MemorySize.Float64 => Narrow(ref trial, value, FloatFormat.Double).ToDouble(),
            _ => 0,
        };
        bool store = (trial.Raised & ~trial.Masks & (X87Exceptions.Invalid | X87Exceptions.Overflow | X87Exceptions.Underflow)) == 0;
        if (!store && (trial.Raised & ~trial.Masks & X87Exceptions.Invalid) == 0)
        {
            trial.Raised &= ~X87Exceptions.Precision; // an unmasked overflow or underflow stores nothing: no PE, no C1
            trial.RoundedUp = false;
        }

        if (store)
        {
            switch (size)
            {
                case MemorySize.Float32: c.Mmu.Write32(address, (uint)bits); break;
                case MemorySize.Float64: Write64(c, address, bits); break;
                default: Write80(c, address, value); break;
            }
        }

        RecordPointers(c, f, ref op, address, memory: true);
        x = trial;
        if (store && pop)
        {
            f.Pop();
        }

        Finish(f, ref x);
    }

    /// <summary>
    /// The DE of a denormal memory operand, raised only when neither operand is a NaN or unsupported; true when DE is
    /// unmasked and so stops the operation.
    /// </summary>
    private static bool MemoryDenormal(ref X87Context x, bool denormal, Float80 a, Float80 b)
    {
        if (!denormal || a.IsNaN || b.IsNaN || a.Class == Float80Class.Unsupported || b.Class == Float80Class.Unsupported)
        {
            return false;
        }

        x.Raised |= X87Exceptions.Denormal;
        return x.Unmasked(X87Exceptions.Denormal);
    }

    /// <summary>A register value rounded to a memory format; NaNs keep their sign and top fraction bits (an SNaN is quieted: IE).</summary>
    private static RoundedValue Narrow(ref X87Context x, Float80 value, FloatFormat format)
    {
        switch (value.Class)
        {
            case Float80Class.Unsupported:
                x.Raised |= X87Exceptions.Invalid;
                return NaNValue(Float80.Indefinite, format);
            case Float80Class.QuietNaN or Float80Class.SignalingNaN:
                if (value.Class == Float80Class.SignalingNaN)
                {
                    x.Raised |= X87Exceptions.Invalid;
                }

                return NaNValue(value.Quieted(), format);
            case Float80Class.Infinity:
                return new RoundedValue(value.Sign, 0, 0, RoundedKind.Infinity, format);
            case Float80Class.Zero:
                return new RoundedValue(value.Sign, 0, 0, RoundedKind.Zero, format); // a denormal source is no DE here
        }

        (int e, ulong m) = value.Normalized();
        return x.Round(value.Sign, e, (UInt128)m << 64, format);
    }

    /// <summary>A NaN narrowed: the exponent all ones and the fraction's top bits (packed by <see cref="RoundedValue"/> as a normal).</summary>
    private static RoundedValue NaNValue(Float80 nan, FloatFormat format) =>
        new(nan.Sign, format.MaxExponent + 1, nan.Significand, RoundedKind.Normal, format);

    /// <summary>FIST/FISTP m16/m32/m64: rounded under RC; out of range, a NaN or infinity give the integer indefinite.</summary>
    public static void Fist(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        bool pop = op.Instruction.Mnemonic == Mnemonic.Fistp;
        int bits = op.Instruction.MemorySize switch { MemorySize.Int16 => 16, MemorySize.Int32 => 32, _ => 64 };
        long result;
        if (f.IsEmpty(0))
        {
            StackFault(f, ref x, overflow: false);
            result = bits == 64 ? long.MinValue : -(1L << (bits - 1));
        }
        else
        {
            result = X87Operations.ToInteger(ref x, f.St(0), bits);
        }

        uint address = Operands.EffectiveAddress(c, ref op);
        bool store = !x.Suppresses;
        if (store)
        {
            switch (bits)
            {
                case 16: c.Mmu.Write16(address, (ushort)result); break;
                case 32: c.Mmu.Write32(address, (uint)result); break;
                default: Write64(c, address, (ulong)result); break;
            }
        }

        RecordPointers(c, f, ref op, address, memory: true);
        if (store && pop)
        {
            f.Pop();
        }

        Finish(f, ref x);
    }

    /// <summary>FBSTP: ST(0) rounded to an integer under RC, as 18 packed BCD digits and a sign byte.</summary>
    public static void Fbstp(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        ulong low = 0;
        ushort high = 0;
        bool indefinite = false;
        if (f.IsEmpty(0))
        {
            StackFault(f, ref x, overflow: false);
            indefinite = true;
        }
        else
        {
            long value = X87Operations.ToInteger(ref x, f.St(0), 64);
            ulong magnitude = value < 0 ? (ulong)-value : (ulong)value;
            if ((x.Raised & X87Exceptions.Invalid) != 0 || magnitude > 999_999_999_999_999_999ul)
            {
                x.Raised = (x.Raised | X87Exceptions.Invalid) & ~X87Exceptions.Precision;
                x.RoundedUp = false;
                indefinite = true;
            }
            else
            {
                for (int digit = 0; digit < 18; digit++, magnitude /= 10)
                {
                    ulong nibble = magnitude % 10;
                    if (digit < 16)
                    {
                        low |= nibble << (4 * digit);
                    }
                    else
                    {
                        high |= (ushort)(nibble << (4 * (digit - 16)));
                    }
                }

                high |= (ushort)(f.St(0).Sign ? 0x8000 : 0);
            }
        }

        if (indefinite)
        {
            low = 0xC000_0000_0000_0000; // the packed BCD indefinite: FFFF C000 0000 0000 0000
            high = 0xFFFF;
        }

        uint address = Operands.EffectiveAddress(c, ref op);
        bool store = !x.Suppresses;
        if (store)
        {
            Write80(c, address, new Float80(high, low));
        }

        RecordPointers(c, f, ref op, address, memory: true);
        if (store)
        {
            f.Pop();
        }

        Finish(f, ref x);
    }

    /// <summary>The constants as 64-bit truncations and whether round-to-nearest rounds them up (SDM Vol. 1 8.3.8: RC applies).</summary>
    private static (ushort SignExponent, ulong Truncated, bool NearestUp) ConstantOf(Mnemonic m) => m switch
    {
        Mnemonic.Fld1 => (0x3FFF, 0x8000_0000_0000_0000, false),
        Mnemonic.Fldz => (0, 0, false),
        Mnemonic.Fldpi => (0x4000, 0xC90F_DAA2_2168_C234, true),
        Mnemonic.Fldl2e => (0x3FFF, 0xB8AA_3B29_5C17_F0BB, true),
        Mnemonic.Fldl2t => (0x4000, 0xD49A_784B_CD1B_8AFE, false),
        Mnemonic.Fldlg2 => (0x3FFD, 0x9A20_9A84_FBCF_F798, true),
        _ => (0x3FFE, 0xB172_17F7_D1CF_79AB, true), // FLDLN2
    };

    public static void LoadConstant(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        (ushort se, ulong truncated, bool nearestUp) = ConstantOf(op.Instruction.Mnemonic);
        bool exact = se == 0 || op.Instruction.Mnemonic == Mnemonic.Fld1;
        bool up = !exact && x.Rounding switch { 0 => nearestUp, 2 => true, _ => false };
        RecordPointers(c, f, ref op, 0, memory: false);
        PushChecked(f, ref x, new Float80(se, up ? truncated + 1 : truncated));
    }

    public static void Fxch(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        int i = op.Instruction.OpCount > 1 ? StOperand(in op.Instruction, 1) : 1;
        RecordPointers(c, f, ref op, 0, memory: false);
        Float80 a = f.St(0), b = f.St(i);
        if (f.IsEmpty(0) || f.IsEmpty(i))
        {
            StackFault(f, ref x, overflow: false);
            if (x.Suppresses)
            {
                Finish(f, ref x);
                return;
            }

            a = f.IsEmpty(0) ? Float80.Indefinite : a;
            b = f.IsEmpty(i) ? Float80.Indefinite : b;
        }

        f.SetSt(0, b);
        f.SetSt(i, a);
        Finish(f, ref x);
    }

    public static void Ffree(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        RecordPointers(c, f, ref op, 0, memory: false);
        f.Free(StOperand(in op.Instruction, 0));
    }

    public static void Fincstp(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        RecordPointers(c, f, ref op, 0, memory: false);
        f.Top++;
        f.Status &= unchecked((ushort)~X87Fpu.StatusC1);
    }

    public static void Fdecstp(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        RecordPointers(c, f, ref op, 0, memory: false);
        f.Top--;
        f.Status &= unchecked((ushort)~X87Fpu.StatusC1);
    }

    public static void Fnop(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        RecordPointers(c, f, ref op, 0, memory: false);
    }

    /// <summary>FCMOVcc ST(0), ST(i): the EFLAGS condition of the matching CMOVcc.</summary>
    public static void Fcmov(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        X87Context x = Context(f);
        int i = StOperand(in op.Instruction, 1);
        RecordPointers(c, f, ref op, 0, memory: false);
        int cc = op.Instruction.Mnemonic switch
        {
            Mnemonic.Fcmovb => 2, Mnemonic.Fcmovnb => 3, Mnemonic.Fcmove => 4, Mnemonic.Fcmovne => 5,
            Mnemonic.Fcmovbe => 6, Mnemonic.Fcmovnbe => 7, Mnemonic.Fcmovu => 10, _ => 11,
        };
        if (f.IsEmpty(0) || f.IsEmpty(i))
        {
            StackFault(f, ref x, overflow: false);
            if (!x.Suppresses)
            {
                f.SetSt(0, Float80.Indefinite);
            }
        }
        else if (c.Condition(cc))
        {
            f.SetSt(0, f.St(i));
        }

        Finish(f, ref x);
    }
}
