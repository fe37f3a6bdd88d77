using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>
/// Static local functions: each becomes a function of its own (key: the enclosing method's, then its name), called
/// like any guest method. A static local function captures nothing, so it needs no closure; one that is not static is
/// refused (it could capture the method's locals).
/// </summary>
internal sealed partial class BodyLowering
{
    /// <summary>The static local functions of the body (and of theirs), compiled as functions of their own.</summary>
    public List<GuestFunction> LocalFunctions { get; } = new();

    /// <summary>A function's key: its documentation id, or for a local function the enclosing function's key and its name.</summary>
    public static string FunctionKey(IMethodSymbol method)
        => method.MethodKind == MethodKind.LocalFunction && method.ContainingSymbol is IMethodSymbol outer
            ? FunctionKey(outer) + "." + method.Name
            : method.OriginalDefinition.GetDocumentationCommentId() ?? method.Name;

    private static string LocalDisplayName(IMethodSymbol method)
        => method.MethodKind == MethodKind.LocalFunction && method.ContainingSymbol is IMethodSymbol outer
            ? LocalDisplayName(outer) + "." + method.Name
            : GuestClassParser.DisplayName(method);

    private Stmt LowerLocalFunction(ILocalFunctionOperation local)
    {
        var empty = new BlockStmt(EquatableArray<Stmt>.Empty);
        IMethodSymbol symbol = local.Symbol;
        if (!symbol.IsStatic)
        {
            ReportFeature(Diagnostics.UnsupportedStatement, local.Syntax, new CSharpFeature("a local function that is not static",
                "mark it static (static int G(int x) => ...) and pass it what it needs as parameters"));
            return empty;
        }

        if (symbol.IsGenericMethod || symbol.IsAsync)
        {
            ReportFeature(Diagnostics.UnsupportedStatement, local.Syntax, new CSharpFeature("a generic or async local function", "write a plain static local function"));
            return empty;
        }

        if (GuestTypes.From(symbol.ReturnType) is not GuestType returnType)
        {
            SyntaxNode syntax = (local.Syntax as LocalFunctionStatementSyntax)?.ReturnType ?? local.Syntax;
            ReportType(symbol.ReturnType, syntax);
            return empty;
        }

        var lowering = new BodyLowering(_model, symbol, _userMode, _diagnostics, _cancellation);
        if (!lowering.DeclareParameters() || (local.Body ?? local.IgnoredBody) is not IBlockOperation body)
        {
            return empty;
        }

        Stmt lowered = lowering.LowerStatement(body);
        LocalFunctions.Add(new GuestFunction(FunctionKey(symbol), LocalDisplayName(symbol), FunctionKind.Normal, 0, false, false, _userMode,
            returnType, symbol.Parameters.Length, lowering.Slots, lowered));
        LocalFunctions.AddRange(lowering.LocalFunctions);
        return empty;
    }
}
