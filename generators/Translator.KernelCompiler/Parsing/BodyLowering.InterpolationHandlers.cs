using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>
/// A kernel's own method taking <c>$"..."</c> through the guest library's <c>ConsoleText</c> handler
/// (<c>static void Log(ConsoleText text)</c>, called as <c>Log($"tick {n,8}")</c>). .NET runs the handler's appends
/// while it evaluates the argument, before the method's body, and ConsoleText's appends write to the console; so the
/// call statement becomes the same console writes <c>Console.Write($"...")</c> becomes (built at build time, no
/// string at run time), then the call with an empty ConsoleText.
/// </summary>
internal sealed partial class BodyLowering
{
    private const string ConsoleTextType = "Translator.Guest.ConsoleText";

    /// <summary>The handler arguments of the call statement being lowered, whose text is already written.</summary>
    private readonly HashSet<IOperation> _writtenHandlers = new();

    /// <summary>A call statement with ConsoleText arguments: their writes, then the call; null for any other statement.</summary>
    private Stmt? TryLowerHandlerCall(IOperation operation)
    {
        if (operation is not IInvocationOperation invocation
            || _model.Compilation.GetTypeByMetadataName(ConsoleClass) is not INamedTypeSymbol console)
        {
            return null;
        }

        var statements = new List<Stmt>();
        IOperation? computedBefore = null;
        foreach (IArgumentOperation argument in invocation.Arguments.OrderBy(a => a.Syntax.SpanStart))
        {
            if (argument.Value is not IInterpolatedStringHandlerCreationOperation handler || !IsConsoleText(handler.Type))
            {
                // .NET evaluates an argument written before the text first: one that computes something would run
                // after the text here, so it must be a plain value.
                computedBefore ??= argument.Value is ILiteralOperation or ILocalReferenceOperation or IParameterReferenceOperation
                    || argument.Value.ConstantValue.HasValue || argument.IsImplicit ? null : argument;
                continue;
            }

            if (computedBefore is not null)
            {
                ReportFeature(Diagnostics.InterpolationHandlerUse, computedBefore.Syntax, new CSharpFeature(
                    "an argument computed before an interpolated string the build writes at the call",
                    "compute it into a local first (var v = ...; Log(v, $\"...\");), so it runs before the text as in .NET"));
                return new BlockStmt(EquatableArray<Stmt>.Empty);
            }

            WriteHandlerContent(handler.Content, console, statements);
            _writtenHandlers.Add(handler);
        }

        if (statements.Count == 0 && !invocation.Arguments.Any(a => _writtenHandlers.Contains(a.Value)))
        {
            return null;
        }

        statements.Add(new ExprStmt(LowerExpression(invocation)));
        return new BlockStmt(statements.ToEquatableArray());
    }

    /// <summary>An interpolated string, or several joined with + (<c>$"a" + $"{b}"</c>), in order.</summary>
    private void WriteHandlerContent(IOperation content, INamedTypeSymbol console, List<Stmt> statements)
    {
        switch (content)
        {
            case IInterpolatedStringAdditionOperation addition:
                WriteHandlerContent(addition.Left, console, statements);
                WriteHandlerContent(addition.Right, console, statements);
                break;
            case IInterpolatedStringOperation interpolated:
                statements.AddRange(WriteInterpolation(interpolated, console, newline: false));
                break;
        }
    }

    /// <summary>One of ConsoleText's appends: AppendLiteral(text) or AppendFormatted(value, alignment, format).</summary>
    private Stmt? WriteAppend(IInterpolatedStringAppendOperation append, INamedTypeSymbol console)
    {
        if (append.AppendCall is not IInvocationOperation call)
        {
            return null;
        }

        IOperation? Argument(string name) => call.Arguments.FirstOrDefault(a => a.Parameter?.Name == name)?.Value;
        if (append.Kind == OperationKind.InterpolatedStringAppendLiteral)
        {
            return Argument("value")?.ConstantValue.Value is string { Length: > 0 } text
                ? new ExprStmt(LibraryCall(console, "Write", new Expr[] { new StringLiteralExpr(text) }, SpecialType.System_String))
                : null;
        }

        IOperation? value = Argument("value");
        return value is not null && LowerHole(value, Argument("alignment"), Argument("format"), append.Syntax) is Expr write ? new ExprStmt(write) : null;
    }

    /// <summary>
    /// A ConsoleText argument: an empty struct once its text is written (by <see cref="TryLowerHandlerCall"/>);
    /// anywhere else, refused: its writes would have to happen in the middle of an expression.
    /// </summary>
    private Expr LowerHandlerArgument(IInterpolatedStringHandlerCreationOperation handler)
    {
        if (_writtenHandlers.Contains(handler) && GuestTypes.From(handler.Type) is { IsStruct: true } type)
        {
            return LowerStructCreation(handler, null, type);
        }

        ReportFeature(Diagnostics.InterpolationHandlerUse, handler.Syntax, IsConsoleText(handler.Type)
            ? new CSharpFeature("an interpolated string passed to a method inside an expression", "make the call a statement of its own, Log($\"...\");, so its text is written where .NET writes it")
            : new CSharpFeature("an interpolated-string handler of another type", "take a Translator.Guest.ConsoleText parameter: the build writes its text to the console at the call"));
        return Placeholder;
    }

    private static bool IsConsoleText(ITypeSymbol? type) => type?.ToDisplayString() == ConsoleTextType;
}
