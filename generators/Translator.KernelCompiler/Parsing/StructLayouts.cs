using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>
/// Lays out a user-defined struct as C# does (so that <c>sizeof(T)</c> and every offset agree with .NET): sequential
/// fields at their natural alignment by default, <c>[StructLayout(LayoutKind.Explicit)]</c> with
/// <c>[FieldOffset]</c>, <c>Pack</c> and <c>Size</c> honoured, nested structs and <c>fixed</c> buffers.
/// </summary>
internal static class StructLayouts
{
    private const string StructLayoutAttribute = "System.Runtime.InteropServices.StructLayoutAttribute";
    private const string FieldOffsetAttribute = "System.Runtime.InteropServices.FieldOffsetAttribute";
    private const int ExplicitLayout = 2;

    /// <summary>Nesting deeper than this is a cycle the C# compiler already refused (CS0523).</summary>
    private const int MaxDepth = 32;

    /// <summary>
    /// Whether <paramref name="type"/> is a struct guest code lays out: declared in the project's (or the guest
    /// library's) source, or one of the plain-data structs the Translator.Guest assembly defines for guests
    /// (<c>InterruptFrame</c>); not a primitive, an enum or another assembly's type.
    /// </summary>
    public static bool IsUserStruct(ITypeSymbol type)
        => type is INamedTypeSymbol { TypeKind: TypeKind.Struct, SpecialType: SpecialType.None, IsGenericType: false }
            && (type.Locations.Any(l => l.IsInSource) || type.ContainingAssembly?.Name == GuestAssembly);

    /// <summary>The assembly of the DSL's own types: its structs are sequential and of integer fields only.</summary>
    private const string GuestAssembly = "Translator.Guest";

    /// <summary>The layout of a user struct, or null (with the reason) when a field cannot live in guest memory.</summary>
    public static StructLayout? Of(INamedTypeSymbol type, out string? problem, int depth = 0)
    {
        problem = null;
        if (depth > MaxDepth)
        {
            problem = "it contains itself";
            return null;
        }

        AttributeData? layoutAttribute = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == StructLayoutAttribute);
        bool isExplicit = layoutAttribute?.ConstructorArguments.FirstOrDefault().Value is int kind && kind == ExplicitLayout;
        int pack = Named(layoutAttribute, "Pack");
        int minimumSize = Named(layoutAttribute, "Size");

        var fields = new List<StructField>();
        int offset = 0, end = 0, alignment = 1;
        foreach (IFieldSymbol field in type.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && !f.IsConst))
        {
            GuestType fieldType;
            int count = 0;
            if (field.IsFixedSizeBuffer && field.Type is IPointerTypeSymbol buffer && GuestTypes.From(buffer.PointedAtType) is { IsPointer: false, IsStruct: false } element)
            {
                fieldType = element;
                count = field.FixedSize;
            }
            else if (GuestTypes.From(field.Type, depth + 1) is GuestType t && !t.IsPointer && t.Kind != ValueKind.Void)
            {
                fieldType = t;
            }
            else
            {
                problem = $"its field '{field.Name}' is of type '{field.Type.ToDisplayString()}', which guest memory cannot hold (a struct holds integers, bool, char, enums, pointers, other structs and fixed buffers)";
                return null;
            }

            int size = count > 0 ? fieldType.StorageSize * count : fieldType.StorageSize;
            int fieldAlignment = AlignmentOf(fieldType);
            if (pack > 0)
            {
                fieldAlignment = Math.Min(fieldAlignment, pack);
            }

            if (isExplicit)
            {
                AttributeData? at = field.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == FieldOffsetAttribute);
                offset = at?.ConstructorArguments.FirstOrDefault().Value is int explicitOffset ? explicitOffset : 0;
            }
            else
            {
                offset = Align(offset, fieldAlignment);
            }

            fields.Add(new StructField(field.Name, fieldType, offset, count));
            offset += size;
            end = Math.Max(end, offset);
            alignment = Math.Max(alignment, fieldAlignment);
        }

        int total = Math.Max(Align(Math.Max(end, 1), alignment), minimumSize);
        return new StructLayout(type.Name, total, alignment, fields.ToEquatableArray());
    }

    /// <summary>A value's natural alignment: its own size for the integer types and pointers, the largest field's for a struct.</summary>
    public static int AlignmentOf(GuestType type) => type.IsStruct ? type.Layout!.Alignment : Math.Max(1, type.StorageSize);

    private static int Align(int value, int alignment) => (value + alignment - 1) / alignment * alignment;

    private static int Named(AttributeData? attribute, string name)
        => attribute?.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value is int value && value > 0 ? value : 0;
}
