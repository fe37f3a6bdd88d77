using System.Reflection.Emit;

namespace Translator.Vmm.Backends.Bt.DirectIl;

/// <summary>
/// C#'s rules for the integer types, as the C# compiler applies them (ECMA-334 §12.4.7 numeric promotions, §10.2
/// implicit conversions, §10.3 explicit conversions in an unchecked context), and the IL that carries them out.
/// </summary>
internal static class NumericRules
{
    public static bool IsIntegral(Type t) =>
        t == typeof(sbyte) || t == typeof(byte) || t == typeof(short) || t == typeof(ushort) || t == typeof(int) || t == typeof(uint)
        || t == typeof(long) || t == typeof(ulong) || t == typeof(nint) || t == typeof(nuint) || t == typeof(char);

    public static bool IsSigned(Type t) => t == typeof(sbyte) || t == typeof(short) || t == typeof(int) || t == typeof(long) || t == typeof(nint);

    /// <summary>Unary numeric promotion: the small types compute as int.</summary>
    public static Type Promote(Type t) =>
        t == typeof(sbyte) || t == typeof(byte) || t == typeof(short) || t == typeof(ushort) || t == typeof(char) ? typeof(int) : t;

    /// <summary>
    /// Binary numeric promotion of <paramref name="left"/> and <paramref name="right"/>; a non-negative int constant
    /// on either side converts to the other's unsigned type, as overload resolution of the predefined operators does.
    /// </summary>
    public static Type BinaryPromotion(Type left, Type right, long? leftConstant, long? rightConstant)
    {
        Type l = Promote(left), r = Promote(right);
        if (l == r)
        {
            return l;
        }

        // The signedness rules below look at the operand's own type (ECMA-334 §12.4.7.3): ushort + uint is uint, and
        // ushort + ulong is ulong, though ushort alone promotes to int.
        if (l == typeof(ulong) || r == typeof(ulong))
        {
            Type other = l == typeof(ulong) ? right : left;
            long? constant = l == typeof(ulong) ? rightConstant : leftConstant;
            if (IsSigned(other) && !(constant >= 0))
            {
                throw new DirectIlException($"no predefined operator takes {Name(left)} and {Name(right)}");
            }

            return typeof(ulong);
        }

        if (l == typeof(long) || r == typeof(long))
        {
            return typeof(long);
        }

        if (l == typeof(uint) || r == typeof(uint))
        {
            Type other = l == typeof(uint) ? right : left;
            long? constant = l == typeof(uint) ? rightConstant : leftConstant;
            if ((other == typeof(int) || other == typeof(short) || other == typeof(sbyte)) && !(constant >= 0))
            {
                return typeof(long);
            }

            return typeof(uint);
        }

        if (l == typeof(nint) || r == typeof(nint) || l == typeof(nuint) || r == typeof(nuint))
        {
            throw new DirectIlException($"native-sized arithmetic on {Name(left)} and {Name(right)} is not in the subset");
        }

        return typeof(int);
    }

    /// <summary>Whether an integer constant of value <paramref name="value"/> fits <paramref name="t"/> (implicit constant conversion).</summary>
    public static bool ConstantFits(long value, Type t) =>
        t == typeof(sbyte) ? value is >= sbyte.MinValue and <= sbyte.MaxValue
        : t == typeof(byte) ? value is >= 0 and <= byte.MaxValue
        : t == typeof(short) ? value is >= short.MinValue and <= short.MaxValue
        : t == typeof(ushort) ? value is >= 0 and <= ushort.MaxValue
        : t == typeof(int) || t == typeof(nint) ? value is >= int.MinValue and <= int.MaxValue
        : t == typeof(uint) || t == typeof(nuint) ? value is >= 0 and <= uint.MaxValue
        : t == typeof(long) ? true
        : t == typeof(ulong) && value >= 0;

    private static readonly Dictionary<Type, Type[]> s_widening = new()
    {
        [typeof(sbyte)] = new[] { typeof(short), typeof(int), typeof(long), typeof(nint) },
        [typeof(byte)] = new[] { typeof(short), typeof(ushort), typeof(int), typeof(uint), typeof(long), typeof(ulong), typeof(nint), typeof(nuint) },
        [typeof(short)] = new[] { typeof(int), typeof(long), typeof(nint) },
        [typeof(ushort)] = new[] { typeof(int), typeof(uint), typeof(long), typeof(ulong), typeof(nint), typeof(nuint) },
        [typeof(int)] = new[] { typeof(long), typeof(nint) },
        [typeof(uint)] = new[] { typeof(long), typeof(ulong), typeof(nuint) },
        [typeof(char)] = new[] { typeof(ushort), typeof(int), typeof(uint), typeof(long), typeof(ulong), typeof(nint), typeof(nuint) },
    };

    /// <summary>An implicit numeric conversion from <paramref name="from"/> to <paramref name="to"/> (identity included).</summary>
    public static bool WidensTo(Type from, Type to) => from == to || (s_widening.TryGetValue(from, out Type[]? targets) && targets.Contains(to));

    /// <summary>
    /// Emits the conversion of a value of <paramref name="from"/> on the stack to <paramref name="to"/> (unchecked,
    /// as C# does by default): truncation, sign or zero extension by the source's signedness.
    /// </summary>
    public static void EmitConversion(ILGenerator il, Type from, Type to)
    {
        if (from == to || (!IsIntegral(to) && !to.IsPointer) || (to.IsPointer && (from.IsPointer || from == typeof(nint) || from == typeof(nuint))))
        {
            return;
        }

        if (to == typeof(nint) && from.IsPointer || to == typeof(nuint) && from.IsPointer)
        {
            return;
        }

        bool signed = IsSigned(from);
        if (to == typeof(sbyte))
        {
            il.Emit(OpCodes.Conv_I1);
        }
        else if (to == typeof(byte))
        {
            il.Emit(OpCodes.Conv_U1);
        }
        else if (to == typeof(short))
        {
            il.Emit(OpCodes.Conv_I2);
        }
        else if (to == typeof(ushort) || to == typeof(char))
        {
            il.Emit(OpCodes.Conv_U2);
        }
        else if (to == typeof(int) || to == typeof(uint))
        {
            if (Size(from) > 4)
            {
                il.Emit(OpCodes.Conv_U4); // the low 32 bits; both views of them are the same bits on the stack
            }
        }
        else if (to == typeof(long) || to == typeof(ulong))
        {
            if (Size(from) < 8 || from == typeof(nint) || from == typeof(nuint))
            {
                il.Emit(signed ? OpCodes.Conv_I8 : OpCodes.Conv_U8);
            }
        }
        else if (to == typeof(nint) || to == typeof(nuint) || to.IsPointer)
        {
            il.Emit(signed ? OpCodes.Conv_I : OpCodes.Conv_U);
        }
        else
        {
            throw new DirectIlException($"no conversion from {Name(from)} to {Name(to)}");
        }
    }

    /// <summary>A value's bits truncated to <paramref name="t"/>, then sign- or zero-extended to 64 bits by its signedness.</summary>
    public static ulong Extend(ulong bits, Type t) =>
        t == typeof(sbyte) ? unchecked((ulong)(sbyte)bits) : t == typeof(byte) ? (byte)bits
        : t == typeof(short) ? unchecked((ulong)(short)bits) : t == typeof(ushort) || t == typeof(char) ? (ushort)bits
        : t == typeof(int) ? unchecked((ulong)(int)bits) : t == typeof(uint) ? (uint)bits : bits;

    /// <summary>
    /// <paramref name="op"/> on two constants of <paramref name="t"/> (int, uint, long or ulong), unchecked, as the C#
    /// compiler folds it; null where the C# compiler reports an error instead (division by zero, MinValue / -1).
    /// </summary>
    public static ulong? Fold(string op, ulong a, ulong b, Type t)
    {
        bool wide = Size(t) == 8, signed = IsSigned(t);
        int count = (int)b & (wide ? 63 : 31);
        if (op is "/" or "%" && (Extend(b, t) == 0 || (signed && Extend(b, t) == ulong.MaxValue && a == (wide ? 0x8000000000000000UL : Extend(0x80000000UL, t)))))
        {
            return null;
        }

        ulong result = op switch
        {
            "+" => a + b,
            "-" => a - b,
            "*" => a * b,
            "/" => signed ? unchecked((ulong)((long)a / (long)b)) : wide ? a / b : (uint)a / (uint)b,
            "%" => signed ? unchecked((ulong)((long)a % (long)b)) : wide ? a % b : (uint)a % (uint)b,
            "&" => a & b,
            "|" => a | b,
            "^" => a ^ b,
            "<<" => wide ? a << count : (uint)a << count,
            ">>" => signed ? unchecked((ulong)((long)a >> count)) : wide ? a >> count : (uint)a >> count,
            _ => 0,
        };
        return op is "+" or "-" or "*" or "/" or "%" or "&" or "|" or "^" or "<<" or ">>" ? Extend(result, t) : null;
    }

    public static int Size(Type t) =>
        t == typeof(sbyte) || t == typeof(byte) || t == typeof(bool) ? 1
        : t == typeof(short) || t == typeof(ushort) || t == typeof(char) ? 2
        : t == typeof(int) || t == typeof(uint) ? 4
        : t == typeof(long) || t == typeof(ulong) ? 8
        : IntPtr.Size;

    /// <summary>Loads a <paramref name="t"/> from the address on the stack.</summary>
    public static void EmitLoadIndirect(ILGenerator il, Type t)
    {
        OpCode op = t == typeof(sbyte) ? OpCodes.Ldind_I1
            : t == typeof(byte) || t == typeof(bool) ? OpCodes.Ldind_U1
            : t == typeof(short) ? OpCodes.Ldind_I2
            : t == typeof(ushort) || t == typeof(char) ? OpCodes.Ldind_U2
            : t == typeof(int) ? OpCodes.Ldind_I4
            : t == typeof(uint) ? OpCodes.Ldind_U4
            : t == typeof(long) || t == typeof(ulong) ? OpCodes.Ldind_I8
            : t == typeof(nint) || t == typeof(nuint) || t.IsPointer ? OpCodes.Ldind_I
            : !t.IsValueType ? OpCodes.Ldind_Ref
            : throw new DirectIlException($"cannot load a {Name(t)} through a pointer");
        il.Emit(op);
    }

    /// <summary>Stores the value on the stack, of <paramref name="t"/>, at the address below it.</summary>
    public static void EmitStoreIndirect(ILGenerator il, Type t)
    {
        OpCode op = t == typeof(sbyte) || t == typeof(byte) || t == typeof(bool) ? OpCodes.Stind_I1
            : t == typeof(short) || t == typeof(ushort) || t == typeof(char) ? OpCodes.Stind_I2
            : t == typeof(int) || t == typeof(uint) ? OpCodes.Stind_I4
            : t == typeof(long) || t == typeof(ulong) ? OpCodes.Stind_I8
            : t == typeof(nint) || t == typeof(nuint) || t.IsPointer ? OpCodes.Stind_I
            : !t.IsValueType ? OpCodes.Stind_Ref
            : throw new DirectIlException($"cannot store a {Name(t)} through a pointer");
        il.Emit(op);
    }

    /// <summary>Pushes the constant <paramref name="bits"/> as a value of <paramref name="t"/>.</summary>
    public static void EmitConstant(ILGenerator il, ulong bits, Type t)
    {
        if (Size(t) == 8 && t != typeof(nint) && t != typeof(nuint) && !t.IsPointer)
        {
            il.Emit(OpCodes.Ldc_I8, unchecked((long)bits));
        }
        else if (t == typeof(nint) || t == typeof(nuint) || t.IsPointer)
        {
            il.Emit(OpCodes.Ldc_I8, unchecked((long)bits));
            il.Emit(t == typeof(nint) ? OpCodes.Conv_I : OpCodes.Conv_U);
        }
        else
        {
            // Truncated to the type, then pushed as the int32 the stack holds it as (sign-extended for signed types).
            long value = t == typeof(sbyte) ? (sbyte)bits : t == typeof(byte) || t == typeof(bool) ? (byte)bits
                : t == typeof(short) ? (short)bits : t == typeof(ushort) || t == typeof(char) ? (ushort)bits : unchecked((int)(uint)bits);
            il.Emit(OpCodes.Ldc_I4, unchecked((int)value));
        }
    }

    public static string Name(Type t) =>
        t == typeof(int) ? "int" : t == typeof(uint) ? "uint" : t == typeof(long) ? "long" : t == typeof(ulong) ? "ulong"
        : t == typeof(byte) ? "byte" : t == typeof(sbyte) ? "sbyte" : t == typeof(short) ? "short" : t == typeof(ushort) ? "ushort"
        : t == typeof(bool) ? "bool" : t == typeof(nint) ? "nint" : t.IsPointer ? Name(t.GetElementType()!) + "*" : t.Name;
}
