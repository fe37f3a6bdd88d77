using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Translator.Hypercalls.Generator.Model;
using Translator.KernelCompiler.Model;

namespace Translator.Hypercalls.Generator;

/// <summary>
/// The parser stage: the <c>[HypercallTable]</c> interface (syntax and symbols) to a <see cref="HypercallTableModel"/>
/// holding values only. Every rule the generated code relies on is checked here; a hypercall that breaks one gets a
/// diagnostic on the offending syntax and is left out of the model, so the output always compiles.
/// </summary>
internal static class HypercallTableParser
{
    public const string TableAttribute = "Translator.Paravirt.HypercallTableAttribute";
    private const string HypercallAttribute = "Translator.Paravirt.HypercallAttribute";
    private const string GuestBufferAttribute = "Translator.Paravirt.GuestBufferAttribute";
    private const string SelectorAttribute = "Translator.Paravirt.SelectorAttribute";
    private const string GuestPointerType = "Translator.Paravirt.GuestPointer";

    public const int MaxArguments = 5;

    public static HypercallTableModel Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellation)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var type = (INamedTypeSymbol)context.TargetSymbol;
        LocationInfo? location = LocationInfo.From(context.TargetNode is InterfaceDeclarationSyntax syntax ? syntax.Identifier.GetLocation() : context.TargetNode.GetLocation());
        string name = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        try
        {
            return ParseTable(type, name, location, diagnostics, cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Last line of defence: the generator reports rather than throws, whatever the input.
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InternalError, location, type.Name, e.Message));
            return new HypercallTableModel(name, location, EquatableArray<HypercallModel>.Empty, diagnostics.ToEquatableArray());
        }
    }

    private static HypercallTableModel ParseTable(
        INamedTypeSymbol type, string name, LocationInfo? location, List<DiagnosticInfo> diagnostics, CancellationToken cancellation)
    {
        if (type.TypeKind != TypeKind.Interface || type.IsGenericType || IsInsideGeneric(type))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TableShape, location, type.Name, "it must be a non-generic interface"));
            return new HypercallTableModel(name, location, EquatableArray<HypercallModel>.Empty, diagnostics.ToEquatableArray());
        }

        var hypercalls = new List<HypercallModel>();
        var byNumber = new Dictionary<int, string>();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ISymbol member in type.GetMembers())
        {
            cancellation.ThrowIfCancellationRequested();
            if (member.IsImplicitlyDeclared)
            {
                continue;
            }

            if (member is not IMethodSymbol method || method.MethodKind != MethodKind.Ordinary)
            {
                // Accessors come with their property or event, which is reported once.
                if (member is not IMethodSymbol)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MemberShape, LocationInfo.From(member.Locations.FirstOrDefault()), member.Name,
                        "only [Hypercall] methods are allowed"));
                }

                continue;
            }

            if (ParseMethod(method, byNumber, byName, diagnostics, cancellation) is HypercallModel hypercall)
            {
                hypercalls.Add(hypercall);
            }
        }

        hypercalls.Sort((a, b) => a.Number.CompareTo(b.Number));
        return new HypercallTableModel(name, location, hypercalls.ToEquatableArray(), diagnostics.ToEquatableArray());
    }

    private static bool IsInsideGeneric(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.IsGenericType)
            {
                return true;
            }
        }

        return false;
    }

    private static HypercallModel? ParseMethod(
        IMethodSymbol method, Dictionary<int, string> byNumber, Dictionary<string, int> byName, List<DiagnosticInfo> diagnostics, CancellationToken cancellation)
    {
        var syntax = method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellation) as MethodDeclarationSyntax;
        LocationInfo? methodLocation = LocationInfo.From(syntax?.Identifier.GetLocation() ?? method.Locations.FirstOrDefault());
        AttributeData? attribute = method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == HypercallAttribute);
        if (attribute is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MemberShape, methodLocation, method.Name, "a method of the table needs [Hypercall(number, name)]"));
            return null;
        }

        if (method.IsStatic || method.IsGenericMethod || !method.IsAbstract)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MemberShape, methodLocation, method.Name,
                "a hypercall is an abstract, non-generic instance method (no body, no type parameters, not static)"));
            return null;
        }

        // Arguments with errors (not constant, wrong type) are the compiler's to report.
        if (attribute.ConstructorArguments.Length != 2
            || attribute.ConstructorArguments[0].Value is not int number
            || attribute.ConstructorArguments[1].Value is not string name)
        {
            return null;
        }

        var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellation) as AttributeSyntax;
        LocationInfo? numberLocation = LocationInfo.From(PositionalArgument(attributeSyntax, 0) ?? (SyntaxNode?)attributeSyntax ?? syntax);
        LocationInfo? nameLocation = LocationInfo.From(PositionalArgument(attributeSyntax, 1) ?? (SyntaxNode?)attributeSyntax ?? syntax);
        bool noReturn = attribute.NamedArguments.FirstOrDefault(a => a.Key == "NoReturn").Value.Value is true;

        bool valid = true;
        if (number < 0 || number >= Translator.Paravirt.Abi.HypercallNumber.StubCount)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NumberOutOfRange, numberLocation, number.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            valid = false;
        }
        else if (byNumber.TryGetValue(number, out string? other))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DuplicateNumber, numberLocation, number.ToString(System.Globalization.CultureInfo.InvariantCulture), other));
            valid = false;
        }

        if (!IsCounterName(name))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadName, nameLocation, name));
            valid = false;
        }
        else if (byName.TryGetValue(name, out int otherNumber))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DuplicateName, nameLocation, name, otherNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            valid = false;
        }

        if (valid)
        {
            byNumber[number] = name;
            byName[name] = number;
        }

        if (method.ReturnType.SpecialType != SpecialType.System_Int32 || method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ReturnType, LocationInfo.From((SyntaxNode?)syntax?.ReturnType) ?? methodLocation,
                method.Name, method.ReturnType.ToDisplayString()));
            valid = false;
        }

        if (method.Parameters.Length > MaxArguments)
        {
            ParameterSyntax? sixth = syntax is not null && syntax.ParameterList.Parameters.Count > MaxArguments ? syntax.ParameterList.Parameters[MaxArguments] : null;
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TooManyParameters, LocationInfo.From(sixth) ?? methodLocation,
                method.Name, method.Parameters.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            valid = false;
        }

        var parameters = new List<HypercallParameter>();
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (ParseParameter(method, parameter, diagnostics, cancellation) is HypercallParameter parsed)
            {
                parameters.Add(parsed);
            }
            else
            {
                valid = false;
            }
        }

        if (!valid)
        {
            return null;
        }

        return new HypercallModel(number, name, method.Name, Identifier(method.Name), noReturn, Summary(syntax), parameters.ToEquatableArray());
    }

    private static HypercallParameter? ParseParameter(IMethodSymbol method, IParameterSymbol parameter, List<DiagnosticInfo> diagnostics, CancellationToken cancellation)
    {
        var syntax = parameter.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellation) as ParameterSyntax;
        LocationInfo? location = LocationInfo.From((SyntaxNode?)syntax ?? null) ?? LocationInfo.From(parameter.Locations.FirstOrDefault());
        LocationInfo? typeLocation = LocationInfo.From((SyntaxNode?)syntax?.Type) ?? location;
        AttributeData? buffer = null;
        AttributeData? selector = null;
        foreach (AttributeData attribute in parameter.GetAttributes())
        {
            switch (attribute.AttributeClass?.ToDisplayString())
            {
                case GuestBufferAttribute:
                    buffer = attribute;
                    break;
                case SelectorAttribute:
                    selector = attribute;
                    break;
            }
        }

        string typeName = parameter.Type.ToDisplayString();
        bool isUint = parameter.Type.SpecialType == SpecialType.System_UInt32;
        bool isPointer = parameter.Type.ToDisplayString() == GuestPointerType;
        if (parameter.RefKind != RefKind.None || parameter.IsParams || (!isUint && !isPointer))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedParameterType, typeLocation, parameter.Name,
                (parameter.RefKind != RefKind.None ? parameter.RefKind.ToString().ToLowerInvariant() + " " : "") + typeName));
            return null;
        }

        if (buffer is not null && !isPointer)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BufferOnNonPointer, AttributeLocation(buffer, cancellation) ?? location, parameter.Name, typeName));
            return null;
        }

        if (selector is not null && !isUint)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.SelectorOnNonUint, AttributeLocation(selector, cancellation) ?? location, parameter.Name, typeName));
            return null;
        }

        if (isUint)
        {
            return new HypercallParameter(parameter.Name, Identifier(parameter.Name), selector is null ? ParameterKind.Uint : ParameterKind.Selector, 0, "", 0, false, false);
        }

        if (buffer is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.PointerWithoutBuffer, location, parameter.Name));
            return null;
        }

        if (buffer.ConstructorArguments.Length != 1 || buffer.ConstructorArguments[0].Value is not int elementBytes)
        {
            return null; // the compiler reports the argument
        }

        string countFrom = "";
        int maxCount = int.MaxValue;
        bool writable = false;
        bool optional = false;
        foreach (KeyValuePair<string, TypedConstant> named in buffer.NamedArguments)
        {
            switch (named.Key)
            {
                case "CountFrom":
                    countFrom = named.Value.Value as string ?? "";
                    break;
                case "MaxCount" when named.Value.Value is int value:
                    maxCount = value;
                    break;
                case "Writable":
                    writable = named.Value.Value is true;
                    break;
                case "Optional":
                    optional = named.Value.Value is true;
                    break;
            }
        }

        var bufferSyntax = buffer.ApplicationSyntaxReference?.GetSyntax(cancellation) as AttributeSyntax;
        if (elementBytes < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadBufferValues, LocationInfo.From(PositionalArgument(bufferSyntax, 0) ?? (SyntaxNode?)bufferSyntax) ?? location,
                parameter.Name, $"the element size is {elementBytes}, it must be at least 1 byte"));
            return null;
        }

        if (maxCount < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadBufferValues, LocationInfo.From(NamedArgument(bufferSyntax, "MaxCount") ?? (SyntaxNode?)bufferSyntax) ?? location,
                parameter.Name, $"MaxCount is {maxCount}, it must be at least 1"));
            return null;
        }

        if (countFrom.Length > 0)
        {
            IParameterSymbol? count = method.Parameters.FirstOrDefault(p => p.Name == countFrom);
            if (count is null || count.Type.SpecialType != SpecialType.System_UInt32 || count.RefKind != RefKind.None
                || count.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == SelectorAttribute))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.CountFromNotUint, LocationInfo.From(NamedArgument(bufferSyntax, "CountFrom") ?? (SyntaxNode?)bufferSyntax) ?? location,
                    countFrom, parameter.Name));
                return null;
            }
        }

        return new HypercallParameter(parameter.Name, Identifier(parameter.Name), ParameterKind.GuestPointer, elementBytes, countFrom, maxCount, writable, optional);
    }

    private static LocationInfo? AttributeLocation(AttributeData attribute, CancellationToken cancellation)
        => LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellation));

    private static ExpressionSyntax? PositionalArgument(AttributeSyntax? attribute, int index)
    {
        if (attribute?.ArgumentList is null)
        {
            return null;
        }

        int position = 0;
        foreach (AttributeArgumentSyntax argument in attribute.ArgumentList.Arguments)
        {
            if (argument.NameEquals is null && argument.NameColon is null)
            {
                if (position++ == index)
                {
                    return argument.Expression;
                }
            }
        }

        return null;
    }

    private static ExpressionSyntax? NamedArgument(AttributeSyntax? attribute, string name)
        => attribute?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name)?.Expression;

    private static bool IsCounterName(string name)
    {
        if (name.Length == 0 || name[0] < 'a' || name[0] > 'z')
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A name as a C# identifier: keywords get '@'.</summary>
    private static string Identifier(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) is SyntaxKind.NameOfKeyword ? "@" + name : name;

    /// <summary>
    /// The text of the method's <c>&lt;summary&gt;</c>, on one line, tags kept (read from the trivia, so it works whether or
    /// not the project parses documentation comments).
    /// </summary>
    private static string Summary(MethodDeclarationSyntax? syntax)
    {
        if (syntax is null)
        {
            return "";
        }

        var text = new StringBuilder();
        foreach (SyntaxTrivia trivia in syntax.GetLeadingTrivia())
        {
            if (trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) || trivia.IsKind(SyntaxKind.SingleLineCommentTrivia))
            {
                foreach (string line in trivia.ToFullString().Split('\n'))
                {
                    string trimmed = line.Trim();
                    if (trimmed.StartsWith("///", StringComparison.Ordinal))
                    {
                        text.Append(trimmed.Substring(3).Trim()).Append(' ');
                    }
                }
            }
        }

        string all = text.ToString();
        int start = all.IndexOf("<summary>", StringComparison.Ordinal);
        int end = all.IndexOf("</summary>", StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            return "";
        }

        string summary = all.Substring(start + "<summary>".Length, end - start - "<summary>".Length);
        return string.Join(" ", summary.Split(new[] { ' ', '\t', '\r' }, StringSplitOptions.RemoveEmptyEntries));
    }
}
