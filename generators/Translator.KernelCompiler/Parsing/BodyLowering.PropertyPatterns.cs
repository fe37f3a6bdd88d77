using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>
/// Property patterns on structs, type-free: <c>t is { State: TaskState.Ready, Ticks: &gt; 10 }</c>, nested
/// (<c>{ Frame: { Eip: 0 } }</c>) and extended (<c>{ Frame.Eip: 0 }</c>) ones, and <c>{ Length: &gt; 3 }</c> on a
/// string or an array. The subject is a struct's address held in a slot; each subpattern tests the field's memory at
/// its offset with the ordinary pattern tests, and the tests are and'ed in source order, so they short-circuit as C#'s
/// decision tree does (C# may test in another order, but the tests only read memory, so the outcome is the same).
/// </summary>
internal sealed partial class BodyLowering
{
    /// <summary>
    /// A struct subject is tested through its address, which the slot keeps (the struct itself is not copied: C#
    /// reads a struct variable's fields in place too).
    /// </summary>
    private (Expr Subject, int? Slot, Expr Bound) StructSubject(Expr value)
    {
        int slot = NewSlot(AnyPointer);
        return (new MemoryExpr(value.Type, new LocalExpr(AnyPointer, slot), 0), slot, AddressOf(value, AnyPointer));
    }

    private Expr TestProperties(Expr subject, IRecursivePatternOperation pattern)
    {
        if (!pattern.DeconstructionSubpatterns.IsEmpty)
        {
            return RefusePattern(pattern, new CSharpFeature("a positional pattern", "name the fields: { X: 1, Y: 2 }"));
        }

        if (pattern.MatchedType is ITypeSymbol matched && GuestTypes.From(matched) != subject.Type
            && !(subject.Type.Kind == ValueKind.String && matched.SpecialType == SpecialType.System_String))
        {
            return RefusePattern(pattern, new CSharpFeature("a type test in a property pattern", "guest values have their static type only: leave the type out, { Field: value }"));
        }

        // { } matches every struct, string and array: guest ones are never null.
        Expr test = new ConstantExpr(GuestType.Bool, 1);
        foreach (IPropertySubpatternOperation subpattern in pattern.PropertySubpatterns)
        {
            if (PatternMember(subject, subpattern.Member) is not Expr member)
            {
                return new ConstantExpr(GuestType.Bool, 0);
            }

            Expr memberTest = Convert(Test(member, subpattern.Pattern), GuestType.Bool);
            test = test is ConstantExpr { Value: 1 } ? memberTest : MakeBinary(BinaryOp.AndAlso, test, memberTest);
        }

        if (pattern.DeclaredSymbol is ILocalSymbol local && GuestTypes.From(local.Type) is GuestType type)
        {
            // { ... } t: t is a copy of the value, assigned once the fields matched.
            var assign = new AssignExpr(type, new LocalExpr(type, SlotOf(local)), subject);
            Expr bind = new LetExpr(GuestType.Bool, NewSlot(type.IsStruct ? AnyPointer : type), assign, new ConstantExpr(GuestType.Bool, 1));
            test = test is ConstantExpr { Value: 1 } ? bind : MakeBinary(BinaryOp.AndAlso, test, bind);
        }

        return test;
    }

    /// <summary>The place a subpattern's member names: a field at any depth, or the Length of a string or an array.</summary>
    private Expr? PatternMember(Expr subject, IOperation? member)
    {
        switch (member)
        {
            case IFieldReferenceOperation field when !field.Field.IsStatic:
            {
                Expr? instance = field.Instance is IInstanceReferenceOperation or null ? subject : PatternMember(subject, field.Instance);
                if (instance is null)
                {
                    return null;
                }

                if (instance.Type.IsStruct && instance.Type.Layout!.Field(field.Field.Name) is StructField f && f.FixedLength == 0)
                {
                    return Member(instance, f.Type, f.Offset);
                }

                RefusePattern(field, new CSharpFeature("a fixed buffer in a property pattern", "test its elements with s.Name[i] == value"));
                return null;
            }

            case IPropertyReferenceOperation { Property.Name: "Length" } length
                when length.Property.ContainingType.SpecialType is SpecialType.System_String or SpecialType.System_Array:
            {
                Expr? instance = length.Instance is IInstanceReferenceOperation or null ? subject : PatternMember(subject, length.Instance);
                return instance is null ? null : new LengthExpr(instance);
            }

            default:
                if (member is not null)
                {
                    RefusePattern(member, new CSharpFeature("a property in a property pattern", "guest structs have fields: match a field, { Field: value }"));
                }

                return null;
        }
    }

    private Expr RefusePattern(IOperation operation, CSharpFeature feature)
    {
        ReportFeature(Diagnostics.UnsupportedPattern, operation.Syntax, feature);
        return new ConstantExpr(GuestType.Bool, 0);
    }
}
