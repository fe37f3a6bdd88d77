using System.Linq;
using Microsoft.CodeAnalysis;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>Maps C# types to guest types, and C#'s numeric promotion rules.</summary>
internal static class GuestTypes
{
    public const string InterruptFrameName = "Translator.Guest.InterruptFrame";

    /// <summary>The guest type of <paramref name="type"/>, or null if guest code cannot hold such a value.</summary>
    public static GuestType? From(ITypeSymbol? type) => From(type, 0);

    /// <summary>As <see cref="From(ITypeSymbol?)"/>, <paramref name="depth"/> structs deep (a guard against cycles).</summary>
    public static GuestType? From(ITypeSymbol? type, int depth)
    {
        if (type is null)
        {
            return null;
        }

        if (type is IPointerTypeSymbol pointer)
        {
            return PointerTo(pointer.PointedAtType);
        }

        if (StructLayouts.IsUserStruct(type))
        {
            return StructLayouts.Of((INamedTypeSymbol)type, out _, depth) is StructLayout layout ? GuestType.StructOf(layout) : null;
        }

        if (type is INamedTypeSymbol { TypeKind: Microsoft.CodeAnalysis.TypeKind.Enum, EnumUnderlyingType: { } underlying })
        {
            return From(underlying);
        }

        if (type is IArrayTypeSymbol { Rank: 1 } array)
        {
            GuestType? element = From(array.ElementType);
            return element switch
            {
                { Kind: ValueKind.String } => new GuestType(ValueKind.Array, ValueKind.String),
                { Kind: ValueKind.Array, Element: not (ValueKind.Struct or ValueKind.String or ValueKind.Array) } row
                    => new GuestType(ValueKind.Array, ValueKind.Array, null, row.Element),
                { IsPointer: false, Kind: not ValueKind.Void } e => GuestType.ArrayOf(e),
                _ => null,
            };
        }

        ValueKind? kind = type.SpecialType switch
        {
            SpecialType.System_Void => ValueKind.Void,
            SpecialType.System_Boolean => ValueKind.Bool,
            SpecialType.System_SByte => ValueKind.SByte,
            SpecialType.System_Byte => ValueKind.Byte,
            SpecialType.System_Int16 => ValueKind.Int16,
            SpecialType.System_UInt16 => ValueKind.UInt16,
            SpecialType.System_Char => ValueKind.Char,
            SpecialType.System_Int32 => ValueKind.Int32,
            SpecialType.System_UInt32 => ValueKind.UInt32,
            SpecialType.System_Int64 => ValueKind.Int64,
            SpecialType.System_UInt64 => ValueKind.UInt64,
            SpecialType.System_String => ValueKind.String,
            _ => null,
        };
        if (kind is ValueKind k)
        {
            return k == ValueKind.String ? GuestType.String : new GuestType(k);
        }

        return null;
    }

    /// <summary>Whether C# could not bind <paramref name="type"/> (an unknown name): C# reports it, so guest code does not.</summary>
    public static bool IsErroneous(ITypeSymbol? type) => type switch
    {
        null => false,
        IErrorTypeSymbol => true,
        IPointerTypeSymbol pointer => IsErroneous(pointer.PointedAtType),
        IArrayTypeSymbol array => IsErroneous(array.ElementType),
        INamedTypeSymbol named => named.TypeArguments.Any(IsErroneous),
        _ => false,
    };

    /// <summary>
    /// <c>T*</c> (and the address a <c>ref T</c> holds): the pointee's kind only, never its layout, so that a struct may
    /// point to its own kind (<c>Task* Next</c>); whoever dereferences it reads the layout from the symbol.
    /// <c>T**</c> is refused (null): declare the inner address as uint.
    /// </summary>
    public static GuestType? PointerTo(ITypeSymbol pointee)
    {
        if (pointee.SpecialType == SpecialType.System_Void)
        {
            return new GuestType(ValueKind.Pointer, ValueKind.Void);
        }

        if (pointee is IPointerTypeSymbol)
        {
            return null;
        }

        if (StructLayouts.IsUserStruct(pointee))
        {
            return new GuestType(ValueKind.Pointer, ValueKind.Struct);
        }

        return From(pointee) is { IsPointer: false } target ? new GuestType(ValueKind.Pointer, target.Kind) : null;
    }

    /// <summary>C#'s unary numeric promotion: the narrow integer types compute as int.</summary>
    public static GuestType Promote(GuestType type) => type.Kind switch
    {
        ValueKind.SByte or ValueKind.Byte or ValueKind.Int16 or ValueKind.UInt16 or ValueKind.Char => GuestType.Int32,
        _ => type,
    };

    /// <summary>C#'s binary numeric promotion (the type both operands of an arithmetic operator are converted to).</summary>
    public static GuestType Promote(GuestType left, GuestType right)
    {
        if (left.Kind == ValueKind.Bool && right.Kind == ValueKind.Bool)
        {
            return GuestType.Bool;
        }

        GuestType l = Promote(left), r = Promote(right);
        if (l.Kind == ValueKind.UInt64 || r.Kind == ValueKind.UInt64)
        {
            return GuestType.UInt64;
        }

        if (l.Kind == ValueKind.Int64 || r.Kind == ValueKind.Int64)
        {
            return GuestType.Int64;
        }

        if (l.Kind == ValueKind.UInt32 && r.Kind == ValueKind.UInt32)
        {
            return GuestType.UInt32;
        }

        if (l.Kind == ValueKind.UInt32 || r.Kind == ValueKind.UInt32)
        {
            return GuestType.Int64;
        }

        return GuestType.Int32;
    }

    /// <summary>Converts a C# constant to the bit pattern guest code holds (sign-extended to 64 bits).</summary>
    public static ulong ConstantBits(object? value) => value switch
    {
        bool b => b ? 1UL : 0UL,
        char c => c,
        sbyte v => unchecked((ulong)v),
        byte v => v,
        short v => unchecked((ulong)v),
        ushort v => v,
        int v => unchecked((ulong)v),
        uint v => v,
        long v => unchecked((ulong)v),
        ulong v => v,
        _ => 0,
    };

    public static bool IsIntegralConstant(object? value)
        => value is bool or char or sbyte or byte or short or ushort or int or uint or long or ulong;
}
