using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>
/// <c>Math.Min/Max/Abs/Clamp</c> on integers become comparisons of values computed once; <c>BitOperations</c>
/// becomes the bit-scan instructions (<see cref="BitCountExpr"/>) and rotates the two shifts C# defines them as.
/// </summary>
internal sealed partial class BodyLowering
{
    private const string MathClass = "System.Math.";
    private const string BitOperationsClass = "System.Numerics.BitOperations.";

    /// <summary>The lowering of a Math or BitOperations call, or null if <paramref name="qualified"/> is neither.</summary>
    private Expr? TryLowerMath(IInvocationOperation invocation, string qualified, IArgumentOperation[] arguments)
    {
        bool math = qualified.StartsWith(MathClass, StringComparison.Ordinal);
        bool bits = qualified.StartsWith(BitOperationsClass, StringComparison.Ordinal);
        if (!math && !bits)
        {
            return null;
        }

        GuestType? parameter = arguments.Length > 0 ? GuestTypes.From(arguments[0].Parameter?.Type) : null;
        if (parameter is not GuestType type || type.IsPointer || type.Kind is ValueKind.Void or ValueKind.Bool)
        {
            return UnsupportedMath(invocation, math);
        }

        var values = new Expr[arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            values[i] = Convert(LowerExpression(arguments[i].Value), GuestTypes.From(arguments[i].Parameter?.Type) ?? type);
        }

        string name = qualified.Substring((math ? MathClass : BitOperationsClass).Length);
        return (name, values.Length) switch
        {
            ("Min", 2) when math => Once(values[0], a => Once(values[1], b => Pick(BinaryOp.LessOrEqual, a, b, type))),
            ("Max", 2) when math => Once(values[0], a => Once(values[1], b => Pick(BinaryOp.GreaterOrEqual, a, b, type))),
            ("Abs", 1) when math && type.IsSigned => Once(values[0], a => new ConditionalExpr(type,
                MakeBinary(BinaryOp.Less, a, new ConstantExpr(type, 0)), Convert(new UnaryExpr(GuestTypes.Promote(type), UnaryOp.Negate, Convert(a, GuestTypes.Promote(type))), type), a)),
            ("Clamp", 3) when math => Once(values[0], v => Once(values[1], min => Once(values[2], max =>
                new ConditionalExpr(type, MakeBinary(BinaryOp.Less, v, min), min,
                    new ConditionalExpr(type, MakeBinary(BinaryOp.Greater, v, max), max, v))))),
            ("TrailingZeroCount", 1) when bits => new BitCountExpr(BitCount.TrailingZeros, Unsigned(values[0])),
            ("LeadingZeroCount", 1) when bits => new BitCountExpr(BitCount.LeadingZeros, Unsigned(values[0])),
            ("Log2", 1) when bits => new BitCountExpr(BitCount.Log2, Unsigned(values[0])),
            ("PopCount", 1) when bits => new BitCountExpr(BitCount.Population, Unsigned(values[0])),
            ("RotateLeft", 2) when bits => Once(values[0], v => Once(values[1], n => Rotate(v, n, left: true))),
            ("RotateRight", 2) when bits => Once(values[0], v => Once(values[1], n => Rotate(v, n, left: false))),
            ("IsPow2", 1) when bits => Once(values[0], v => MakeBinary(BinaryOp.AndAlso,
                MakeBinary(BinaryOp.NotEqual, v, new ConstantExpr(v.Type, 0)),
                MakeBinary(BinaryOp.Equal, MakeBinary(BinaryOp.And, v, MakeBinary(BinaryOp.Subtract, v, new ConstantExpr(v.Type, 1))), new ConstantExpr(v.Type, 0)))),
            _ => UnsupportedMath(invocation, math),
        };
    }

    private Expr UnsupportedMath(IInvocationOperation invocation, bool math)
    {
        ReportFeature(Diagnostics.UnsupportedExpression, invocation.Syntax, math
            ? new CSharpFeature("this Math method", "guest code has Math.Min, Max, Abs and Clamp on integers")
            : new CSharpFeature("this BitOperations method", "guest code has BitOperations.TrailingZeroCount, LeadingZeroCount, Log2, PopCount, RotateLeft, RotateRight and IsPow2 on integers"));
        return Placeholder;
    }

    /// <summary><paramref name="body"/> of the value read once: a constant as it is, anything else through a new slot.</summary>
    private Expr Once(Expr value, Func<Expr, Expr> body)
    {
        if (value is ConstantExpr)
        {
            return body(value);
        }

        int slot = NewSlot(value.Type);
        Expr result = body(new LocalExpr(value.Type, slot));
        return new LetExpr(result.Type, slot, value, result);
    }

    private static Expr Pick(BinaryOp keepLeft, Expr a, Expr b, GuestType type)
        => new ConditionalExpr(type, MakeBinary(keepLeft, a, b), a, b);

    /// <summary>The bits of a 32-bit or 64-bit operand as the unsigned type of its width (BitOperations counts bits, not values).</summary>
    private static Expr Unsigned(Expr value)
        => Convert(value, value.Type.IsWide ? GuestType.UInt64 : GuestType.UInt32);

    /// <summary>C#'s definition: (v &lt;&lt; n) | (v &gt;&gt;&gt; (width - n)), both counts masked as every shift's is.</summary>
    private static Expr Rotate(Expr value, Expr count, bool left)
    {
        var width = new ConstantExpr(GuestType.Int32, value.Type.IsWide ? 64UL : 32UL);
        Expr other = MakeBinary(BinaryOp.Subtract, width, count);
        Expr first = MakeBinary(left ? BinaryOp.ShiftLeft : BinaryOp.ShiftRightUnsigned, value, count);
        Expr second = MakeBinary(left ? BinaryOp.ShiftRightUnsigned : BinaryOp.ShiftLeft, value, other);
        return Convert(MakeBinary(BinaryOp.Or, first, second), value.Type);
    }

    /// <summary>
    /// <c>a[^i]</c> is <c>a[a.Length - i]</c>, bounds-checked as any index (so <c>^0</c> is out of range, as in .NET).
    /// An array held in a field or a local is read twice (so <c>a[^1] = v</c> stays assignable); any other is read once.
    /// </summary>
    private Expr LowerFromEnd(GuestType element, Expr array, IOperation fromEnd)
    {
        Expr offset = Convert(LowerExpression(fromEnd), GuestType.Int32);
        Func<Expr, Expr> at = a => new ElementExpr(element, a, MakeBinary(BinaryOp.Subtract, new LengthExpr(a), offset));
        return array is FieldExpr or LocalExpr ? at(array) : Once(array, at);
    }
}
