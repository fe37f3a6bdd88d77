using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>
/// <c>Console.Write($"tick {n,8} cr3={cr3:X8}")</c> and <c>Console.WriteLine($"...")</c> lowered at build time: the
/// literal text becomes <c>Console.Write("text")</c>, each hole a call of the guest library's <c>ConsoleFormat</c>
/// chosen by the value's type, format (none, D, Dn, X, Xn, x, xn) and alignment, so no string is built at run time.
/// </summary>
internal sealed partial class BodyLowering
{
    private const string ConsoleClass = "Translator.Guest.Console";
    private const string FormatClass = "Translator.Guest.ConsoleFormat";

    /// <summary>The statements a formatted console write becomes, or null if <paramref name="operation"/> is not one.</summary>
    private Stmt? TryLowerFormattedWrite(IOperation operation)
    {
        if (TryLowerHandlerCall(operation) is Stmt handlerCall)
        {
            return handlerCall;
        }

        if (operation is not IInvocationOperation { Arguments.Length: 1 } invocation
            || invocation.TargetMethod.ContainingType.ToDisplayString() != ConsoleClass
            || invocation.TargetMethod.Name is not ("Write" or "WriteLine"))
        {
            return null;
        }

        IOperation argument = invocation.Arguments[0].Value;
        while (argument is IConversionOperation { IsImplicit: true } conversion)
        {
            argument = conversion.Operand;
        }

        if (argument is not IInterpolatedStringOperation interpolated || argument.ConstantValue.HasValue)
        {
            return null;
        }

        return new BlockStmt(WriteInterpolation(interpolated, invocation.TargetMethod.ContainingType, invocation.TargetMethod.Name == "WriteLine").ToEquatableArray());
    }

    /// <summary>The console writes of an interpolated string's parts (and a newline for WriteLine).</summary>
    private List<Stmt> WriteInterpolation(IInterpolatedStringOperation interpolated, INamedTypeSymbol console, bool newline)
    {
        var statements = new List<Stmt>();
        foreach (IInterpolatedStringContentOperation part in interpolated.Parts)
        {
            switch (part)
            {
                case IInterpolatedStringTextOperation { Text.ConstantValue: { HasValue: true, Value: string text } } when text.Length > 0:
                    statements.Add(new ExprStmt(LibraryCall(console, "Write", new Expr[] { new StringLiteralExpr(text) }, SpecialType.System_String)));
                    break;
                case IInterpolationOperation hole:
                    if (LowerHole(hole) is Expr call)
                    {
                        statements.Add(new ExprStmt(call));
                    }

                    break;
                case IInterpolatedStringAppendOperation append when WriteAppend(append, console) is Stmt write:
                    statements.Add(write);
                    break;
            }
        }

        if (newline)
        {
            statements.Add(new ExprStmt(LibraryCall(console, "Write", new Expr[] { new ConstantExpr(GuestType.Char, '\n') }, SpecialType.System_Char)));
        }

        return statements;
    }

    private Expr? LowerHole(IInterpolationOperation hole) => LowerHole(hole.Expression, hole.Alignment, hole.FormatString, hole.Syntax);

    /// <summary>One hole: its value, alignment and format (as an interpolation or a handler's AppendFormatted has them).</summary>
    private Expr? LowerHole(IOperation operand, IOperation? alignmentOperation, IOperation? formatOperation, SyntaxNode hole)
    {
        while (operand is IConversionOperation { IsImplicit: true } conversion && GuestTypes.From(conversion.Type) is null)
        {
            operand = conversion.Operand; // the boxing to object string.Format would need
        }

        int alignment = alignmentOperation?.ConstantValue is { HasValue: true, Value: int a } ? a : 0;
        string format = formatOperation?.ConstantValue.Value as string ?? "";
        var width = new ConstantExpr(GuestType.Int32, unchecked((ulong)alignment));
        if (operand.Type is INamedTypeSymbol { TypeKind: TypeKind.Enum })
        {
            return UnsupportedHole(hole, new CSharpFeature("formatting an enum (.NET writes its name)", "write its number: {(int)value}"));
        }

        Expr value = LowerExpression(operand);
        INamedTypeSymbol? formatClass = _model.Compilation.GetTypeByMetadataName(FormatClass);
        if (formatClass is null)
        {
            return UnsupportedHole(hole, new CSharpFeature("formatted output without the guest library", "reference Translator.Guest"));
        }

        // A string, a char or a bool is not IFormattable: .NET ignores a format string there, and so does the guest.
        switch (value.Type.Kind)
        {
            case ValueKind.String:
                return LibraryCall(formatClass, "Text", new Expr[] { value, width }, SpecialType.System_String, SpecialType.System_Int32);
            case ValueKind.Char:
                return LibraryCall(formatClass, "Character", new Expr[] { value, width }, SpecialType.System_Char, SpecialType.System_Int32);
            case ValueKind.Bool:
                return LibraryCall(formatClass, "Boolean", new Expr[] { value, width }, SpecialType.System_Boolean, SpecialType.System_Int32);
            case ValueKind.Array or ValueKind.Void:
                return UnsupportedHole(hole, new CSharpFeature("formatting this value", "format integers, chars, bools and strings"));
        }

        if (!TryParseFormat(format, out char kind, out int digits))
        {
            return UnsupportedHole(hole, new CSharpFeature("the format '" + format + "'", "guest code formats integers with D, Dn (decimal, at least n digits), X, Xn, x, xn (hexadecimal)"));
        }

        var minDigits = new ConstantExpr(GuestType.Int32, (ulong)digits);
        if (kind is 'X' or 'x')
        {
            // The value's own bits, as many as its type has (.NET writes -1 as FFFFFFFF for an int, FF for an sbyte).
            GuestType bits = value.Type.Kind switch
            {
                ValueKind.SByte or ValueKind.Byte => new GuestType(ValueKind.Byte),
                ValueKind.Int16 or ValueKind.UInt16 => new GuestType(ValueKind.UInt16),
                ValueKind.Int32 or ValueKind.UInt32 => GuestType.UInt32,
                _ => GuestType.UInt64,
            };
            Expr hex = Convert(Convert(value, bits), GuestType.UInt64);
            return LibraryCall(formatClass, "Hex", new Expr[] { hex, new ConstantExpr(GuestType.Bool, kind == 'X' ? 1UL : 0), minDigits, width },
                SpecialType.System_UInt64, SpecialType.System_Boolean, SpecialType.System_Int32, SpecialType.System_Int32);
        }

        return value.Type.IsSigned
            ? LibraryCall(formatClass, "Signed", new Expr[] { Convert(value, GuestType.Int64), minDigits, width }, SpecialType.System_Int64, SpecialType.System_Int32, SpecialType.System_Int32)
            : LibraryCall(formatClass, "Unsigned", new Expr[] { Convert(value, GuestType.UInt64), minDigits, width }, SpecialType.System_UInt64, SpecialType.System_Int32, SpecialType.System_Int32);
    }

    /// <summary>"" or G (general), D or d with an optional digit count, X or x with one.</summary>
    private static bool TryParseFormat(string format, out char kind, out int digits)
    {
        kind = format.Length == 0 ? 'D' : format[0];
        digits = 0;
        if (format.Length == 0 || format is "G" or "g")
        {
            kind = 'D';
            return true;
        }

        if (kind is not ('D' or 'd' or 'X' or 'x') || format.Length > 4)
        {
            return false;
        }

        for (int i = 1; i < format.Length; i++)
        {
            if (format[i] is < '0' or > '9')
            {
                return false;
            }

            digits = digits * 10 + (format[i] - '0');
        }

        kind = char.ToUpperInvariant(kind) == 'D' ? 'D' : kind;
        return true;
    }

    private Expr? UnsupportedHole(SyntaxNode hole, CSharpFeature feature)
    {
        ReportFeature(Diagnostics.UnsupportedExpression, hole, feature);
        return null;
    }

    /// <summary>A call of a guest library method, found by its name and parameter types.</summary>
    private static CallExpr LibraryCall(INamedTypeSymbol type, string name, Expr[] arguments, params SpecialType[] parameters)
    {
        IMethodSymbol method = type.GetMembers(name).OfType<IMethodSymbol>()
            .First(m => m.Parameters.Select(p => p.Type.SpecialType).SequenceEqual(parameters));
        return new CallExpr(GuestTypes.From(method.ReturnType) ?? GuestType.Void, method.GetDocumentationCommentId() ?? name, arguments.ToEquatableArray());
    }
}
