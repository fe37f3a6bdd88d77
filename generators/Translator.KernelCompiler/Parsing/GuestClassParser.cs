using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>
/// The parser stage: turns a <c>[GuestKernel]</c> or <c>[GuestCode]</c> class into a <see cref="GuestClassModel"/>
/// (fields with their initial contents, methods lowered to IR, diagnostics), holding no symbols or syntax.
/// </summary>
internal static class GuestClassParser
{
    public const string KernelAttribute = "Translator.Guest.GuestKernelAttribute";
    public const string CodeAttribute = "Translator.Guest.GuestCodeAttribute";
    private const string EntryAttribute = "Translator.Guest.EntryAttribute";
    private const string HandlerAttribute = "Translator.Guest.InterruptHandlerAttribute";
    private const string UserModeAttribute = "Translator.Guest.UserModeAttribute";
    private const string AlignedAttribute = "Translator.Guest.AlignedAttribute";
    private const string InImageAttribute = "Translator.Guest.InImageAttribute";

    public static bool IsGuestClass(INamedTypeSymbol? type)
        => type is not null && type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() is KernelAttribute or CodeAttribute);

    public static GuestClassModel Parse(GeneratorAttributeSyntaxContext context, bool isKernel, CancellationToken cancellation)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var diagnostics = new List<DiagnosticInfo>();
        try
        {
            return ParseClass(context, type, isKernel, diagnostics, cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Last line of defence: the generator reports rather than throws, whatever the input.
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InternalError, LocationInfo.From(context.TargetNode), type.Name, e.Message));
            return new GuestClassModel(type.ToDisplayString(), "", type.Name, "", isKernel, LocationInfo.From(context.TargetNode),
                EquatableArray<GuestFunction>.Empty, EquatableArray<GuestField>.Empty, diagnostics.ToEquatableArray());
        }
    }

    private static GuestClassModel ParseClass(
        GeneratorAttributeSyntaxContext context, INamedTypeSymbol type, bool isKernel, List<DiagnosticInfo> diagnostics, CancellationToken cancellation)
    {
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        bool isStruct = type.TypeKind == TypeKind.Struct;
        LocationInfo? location = LocationInfo.From(syntax.Identifier.GetLocation());
        bool isPartial = syntax.Modifiers.Any(SyntaxKind.PartialKeyword);
        if ((!type.IsStatic && !(isStruct && !isKernel)) || type.ContainingType is not null || type.IsGenericType || (isKernel && !isPartial))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ClassShape, location, type.Name));
        }

        var functions = new List<GuestFunction>();
        var fields = new List<GuestField>();
        bool refusedByCSharp = HasSyntaxError(syntax); // unknown types and initializers that do not compile: below
        foreach (MemberDeclarationSyntax member in syntax.Members)
        {
            cancellation.ThrowIfCancellationRequested();
            switch (member)
            {
                case MethodDeclarationSyntax method:
                    if (context.SemanticModel.GetDeclaredSymbol(method, cancellation) is IMethodSymbol symbol
                        && ParseMethod(context.SemanticModel, method, symbol, diagnostics, cancellation, ref refusedByCSharp, out List<GuestFunction> locals) is GuestFunction function)
                    {
                        functions.Add(function);
                        functions.AddRange(locals);
                    }

                    break;
                case FieldDeclarationSyntax field:
                    foreach (VariableDeclaratorSyntax variable in field.Declaration.Variables)
                    {
                        if (context.SemanticModel.GetDeclaredSymbol(variable, cancellation) is IFieldSymbol fieldSymbol
                            && ParseField(context.SemanticModel, variable, fieldSymbol, diagnostics, cancellation, ref refusedByCSharp) is GuestField parsed)
                        {
                            fields.Add(parsed);
                        }
                    }

                    break;
                case ConstructorDeclarationSyntax when isStruct:
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MethodShape, LocationInfo.From(member), CSharpFeatures.MemberName(member),
                        BodyLowering.StructConstructor.Name + " is not supported: " + BodyLowering.StructConstructor.Instead));
                    break;
                case IncompleteMemberSyntax:
                    break; // what a syntax error leaves of a member: C# reports it
                default:
                    if (!HasSyntaxError(member) && CSharpFeatures.OfMember(member) is CSharpFeature feature)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MethodShape, LocationInfo.From(member), CSharpFeatures.MemberName(member),
                            feature.Name + " is not supported: " + feature.Instead));
                    }

                    break;
            }
        }

        if (isKernel)
        {
            int entries = functions.Count(f => f.Kind == FunctionKind.Entry);
            if (entries != 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.EntryPoint, location, type.Name, entries == 0 ? "has no [Entry] method" : "has several [Entry] methods"));
            }
        }

        var vectors = new Dictionary<byte, string>();
        foreach (GuestFunction handler in functions.Where(f => f.Kind == FunctionKind.InterruptHandler))
        {
            if (vectors.TryGetValue(handler.Vector, out string? first))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DuplicateVector, location, handler.Vector.ToString("X2"), first));
            }
            else
            {
                vectors[handler.Vector] = handler.Name;
            }
        }

        refusedByCSharp |= WithoutCSharpsErrors(context.SemanticModel, syntax, diagnostics, cancellation);
        OncePerStruct(diagnostics);
        string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
        return new GuestClassModel(type.ToDisplayString(), ns, type.Name, Modifiers(syntax), isKernel, location,
            functions.ToEquatableArray(), fields.ToEquatableArray(), diagnostics.ToEquatableArray(), refusedByCSharp);
    }

    /// <summary>
    /// Drops the errors on code C# itself refuses (true if it dropped any) (a syntax error that breaks a member apart, a name that does not
    /// exist, a conversion that does not compile): C#'s error is the one to act on. Asked only when there are errors,
    /// since it binds every body again.
    /// </summary>
    private static bool WithoutCSharpsErrors(SemanticModel model, TypeDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics, CancellationToken cancellation)
    {
        if (diagnostics.Count == 0)
        {
            return false;
        }

        var errors = model.GetDiagnostics(syntax.FullSpan, cancellation).Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Location.SourceSpan).ToArray();
        string path = syntax.SyntaxTree.FilePath;
        SyntaxNode root = syntax.SyntaxTree.GetRoot(cancellation);
        return diagnostics.RemoveAll(d => d.Location is { } at && at.FilePath == path
            && errors.Any(e => at.Span.OverlapsWith(e) || at.Span.Contains(e.Start) || e.Contains(at.Span.Start)
                || InSameMember(root, at.Span, e))) > 0;
    }

    /// <summary>
    /// Whether C#'s error <paramref name="error"/> lies in the method (or other member) that holds <paramref name="span"/>:
    /// a body C# cannot parse or bind leaves pieces behind (a method group a lost parenthesis cut from its arguments)
    /// that are not the user's cause, so C#'s errors are the ones to act on first, as C# itself stops at them.
    /// </summary>
    private static bool InSameMember(SyntaxNode root, TextSpan span, TextSpan error)
    {
        if (!root.FullSpan.Contains(span))
        {
            return false;
        }

        SyntaxNode? member = root.FindNode(span, getInnermostNodeForTie: true)
            .AncestorsAndSelf().FirstOrDefault(n => n is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or BasePropertyDeclarationSyntax);
        return member is not null && member.FullSpan.Contains(error.Start);
    }

    /// <summary>A type guest code cannot hold: a struct says which of its fields is the cause (TRN0020), anything else TRN0003.</summary>
    private static DiagnosticInfo TypeRefusal(ITypeSymbol type, LocationInfo? location)
    {
        ITypeSymbol inner = type is IArrayTypeSymbol array ? array.ElementType : type is IPointerTypeSymbol pointer ? pointer.PointedAtType : type;
        return inner is INamedTypeSymbol named && StructLayouts.IsUserStruct(named) && StructLayouts.Of(named, out string? problem) is null
            ? DiagnosticInfo.Create(Diagnostics.StructLayout, location, named.Name, problem ?? "")
            : DiagnosticInfo.Create(Diagnostics.UnsupportedType, location, type.ToDisplayString());
    }

    /// <summary>
    /// A struct guest data cannot hold is one cause however many declarations use it: TRN0020 stays at its first use
    /// (in source order), which names the field to change; the others would repeat it.
    /// </summary>
    private static void OncePerStruct(List<DiagnosticInfo> diagnostics)
    {
        var first = new Dictionary<string, DiagnosticInfo>(StringComparer.Ordinal);
        foreach (DiagnosticInfo d in diagnostics.Where(d => d.Id == Diagnostics.StructLayout.Id && d.Arguments.Count > 0))
        {
            if (!first.TryGetValue(d.Arguments[0], out DiagnosticInfo? kept) || Start(d) < Start(kept))
            {
                first[d.Arguments[0]] = d;
            }
        }

        diagnostics.RemoveAll(d => d.Id == Diagnostics.StructLayout.Id && d.Arguments.Count > 0 && !ReferenceEquals(first[d.Arguments[0]], d));

        static int Start(DiagnosticInfo d) => d.Location?.Span.Start ?? -1;
    }

    /// <summary>A syntax error in <paramref name="node"/> (not a warning such as #warning's).</summary>
    private static bool HasSyntaxError(SyntaxNode node) => node.ContainsDiagnostics && node.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error);

    private static string Modifiers(TypeDeclarationSyntax syntax)
        => string.Join(" ", syntax.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text));

    private static AttributeData? Attribute(ISymbol symbol, string name)
        => symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == name);

    private static GuestFunction? ParseMethod(SemanticModel model, MethodDeclarationSyntax syntax, IMethodSymbol method,
        List<DiagnosticInfo> diagnostics, CancellationToken cancellation, ref bool refusedByCSharp, out List<GuestFunction> localFunctions)
    {
        localFunctions = new List<GuestFunction>();
        LocationInfo? location = LocationInfo.From(syntax.Identifier.GetLocation());
        bool structMethod = method.ContainingType.TypeKind == TypeKind.Struct && !method.IsStatic && method.MethodKind == MethodKind.Ordinary;
        string? shape = !method.IsStatic && !structMethod ? "it is not static"
            : method.IsGenericMethod ? "generic methods are not supported"
            : method.IsAsync ? "async methods are not supported"
            : syntax.Body is null && syntax.ExpressionBody is null ? "it has no body"
            : null;
        if (shape is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MethodShape, location, method.Name, shape));
            return null;
        }

        FunctionKind kind = FunctionKind.Normal;
        byte vector = 0;
        bool userCallable = false;
        bool trapGate = false;
        bool isVoid = method.ReturnsVoid;
        if (Attribute(method, EntryAttribute) is not null)
        {
            kind = FunctionKind.Entry;
            if (!isVoid || method.Parameters.Length != 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.EntryPoint, location, method.ContainingType.Name, "has an [Entry] method that is not 'static void' without parameters"));
            }
        }

        if (Attribute(method, HandlerAttribute) is AttributeData handler)
        {
            kind = FunctionKind.InterruptHandler;
            vector = handler.ConstructorArguments.FirstOrDefault().Value is byte v ? v : (byte)0;
            userCallable = handler.NamedArguments.Any(a => a.Key == "UserCallable" && a.Value.Value is true);
            trapGate = handler.NamedArguments.Any(a => a.Key == "TrapGate" && a.Value.Value is true);
            bool frameOnly = method.Parameters.Length == 0
                || (method.Parameters.Length == 1 && method.Parameters[0].RefKind == RefKind.Ref
                    && method.Parameters[0].Type.ToDisplayString() == GuestTypes.InterruptFrameName);
            if (!isVoid || !frameOnly)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.HandlerShape, location, method.Name));
                return null;
            }
        }

        GuestType? returnType = method.ReturnsByRef || method.ReturnsByRefReadonly ? GuestTypes.PointerTo(method.ReturnType) : GuestTypes.From(method.ReturnType);
        if (returnType is null && GuestTypes.IsErroneous(method.ReturnType))
        {
            refusedByCSharp = true;
            return null; // C# reports the unknown type
        }

        if (returnType is not GuestType ret)
        {
            diagnostics.Add(TypeRefusal(method.ReturnType, LocationInfo.From(syntax.ReturnType)));
            return null;
        }

        bool userMode = Attribute(method, UserModeAttribute) is not null;
        var lowering = new BodyLowering(model, method, userMode, diagnostics, cancellation);
        if (!lowering.DeclareParameters())
        {
            return null;
        }

        Stmt body = lowering.LowerBody(syntax);
        localFunctions = lowering.LocalFunctions;
        return new GuestFunction(
            method.GetDocumentationCommentId() ?? method.Name,
            DisplayName(method),
            kind,
            vector,
            userCallable,
            trapGate,
            userMode,
            ret,
            lowering.ParameterCount,
            lowering.Slots,
            body);
    }

    /// <summary>"Console.Write(char)": the class, the method and, for overloads, the parameter types.</summary>
    public static string DisplayName(IMethodSymbol method)
    {
        string name = method.ContainingType.Name + "." + method.Name;
        bool overloaded = method.ContainingType.GetMembers(method.Name).Length > 1;
        return overloaded ? name + "(" + string.Join(",", method.Parameters.Select(p => p.Type.ToDisplayString())) + ")" : name;
    }

    private static GuestField? ParseField(
        SemanticModel model, VariableDeclaratorSyntax syntax, IFieldSymbol field, List<DiagnosticInfo> diagnostics, CancellationToken cancellation, ref bool refusedByCSharp)
    {
        if (field.IsConst)
        {
            return null;
        }

        LocationInfo? location = LocationInfo.From(syntax.Identifier.GetLocation());
        if (!field.IsStatic && field.ContainingType.TypeKind == TypeKind.Struct)
        {
            return null; // a [GuestCode] struct's instance fields are its layout, not guest statics
        }

        if (!field.IsStatic)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MethodShape, location, field.Name, "instance fields are not supported"));
            return null;
        }

        GuestType? guestType = GuestTypes.From(field.Type);
        if (GuestTypes.IsErroneous(field.Type))
        {
            refusedByCSharp = true;
            return null; // C# reports the unknown type
        }

        if (guestType is not GuestType type || type.Kind is ValueKind.Void)
        {
            diagnostics.Add(TypeRefusal(field.Type, location));
            return null;
        }

        string key = field.GetDocumentationCommentId() ?? field.Name;
        string name = field.ContainingType.Name + "." + field.Name;
        int alignment = Attribute(field, AlignedAttribute)?.ConstructorArguments.FirstOrDefault().Value is int a && a > 0 && (a & (a - 1)) == 0 ? a : 4;
        IOperation? initializer = syntax.Initializer is null ? null : model.GetOperation(syntax.Initializer.Value, cancellation);
        while (initializer is IConversionOperation { IsImplicit: true } conversion && !initializer.ConstantValue.HasValue)
        {
            initializer = conversion.Operand;
        }

        if (type.IsAddress && initializer is IConversionOperation { Operand.ConstantValue: { HasValue: true } address })
        {
            initializer = address.Value is null ? null : initializer; // (T*)0x1000 keeps its value, null is zero
        }

        bool zeroStruct = type.IsStruct && (initializer is null or IDefaultValueOperation
            || initializer is IObjectCreationOperation { Arguments.Length: 0, Initializer: null });
        GuestField? parsed = type.Kind switch
        {
            ValueKind.Struct when zeroStruct
                => new GuestField(key, name, type, FieldStorage.Scalar, field.IsReadOnly, 1, EquatableArray<ulong>.Empty, null, System.Math.Max(alignment, type.Layout!.Alignment), false),
            ValueKind.Struct => null,
            ValueKind.Pointer when initializer is IConversionOperation { Operand.ConstantValue: { HasValue: true } constant } && GuestTypes.IsIntegralConstant(constant.Value)
                => new GuestField(key, name, type, FieldStorage.Scalar, field.IsReadOnly, 1, new EquatableArray<ulong>(new[] { GuestTypes.ConstantBits(constant.Value) }), null, 4, true),
            ValueKind.String when initializer?.ConstantValue is { HasValue: true, Value: string text }
                => new GuestField(key, name, type, FieldStorage.String, field.IsReadOnly, text.Length, EquatableArray<ulong>.Empty, text, 4, true),
            ValueKind.Array when type.IsTable => ConstantTables.Parse(key, name, type, field.IsReadOnly, initializer, location, diagnostics),
            ValueKind.Array => ParseArray(key, name, type, field.IsReadOnly, initializer, alignment, Attribute(field, InImageAttribute) is not null),
            ValueKind.String => null,
            _ when initializer is null
                => new GuestField(key, name, type, FieldStorage.Scalar, field.IsReadOnly, 1, EquatableArray<ulong>.Empty, null, type.StorageSize, true),
            _ when initializer.ConstantValue is { HasValue: true } constant && GuestTypes.IsIntegralConstant(constant.Value)
                => new GuestField(key, name, type, FieldStorage.Scalar, field.IsReadOnly, 1, new EquatableArray<ulong>(new[] { GuestTypes.ConstantBits(constant.Value) }), null, type.StorageSize, true),
            _ => null,
        };
        bool initializerCompiles = syntax.Initializer is not { } written
            || (!HasSyntaxError(written) && !model.GetDiagnostics(written.Span, cancellation).Any(d => d.Severity == DiagnosticSeverity.Error));
        if (parsed is null && !type.IsTable && initializerCompiles)
        {
            // On the expression the guest cannot hold, not on the field's name (the name is fine).
            LocationInfo? at = syntax.Initializer is { } init ? LocationInfo.From(init.Value.GetLocation()) : location;
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.FieldInitializer, at, name));
        }

        refusedByCSharp |= parsed is null && !initializerCompiles;

        return parsed;
    }

    internal static GuestField? ParseArray(string key, string name, GuestType type, bool isReadOnly, IOperation? initializer, int alignment, bool inImage)
    {
        var values = new List<ulong>();
        int length;
        switch (initializer)
        {
            case IArrayCreationOperation { DimensionSizes.Length: 1 } creation:
                if (creation.DimensionSizes[0].ConstantValue is not { HasValue: true } size
                    || !GuestTypes.IsIntegralConstant(size.Value) || GuestTypes.ConstantBits(size.Value) > 64 * 1024 * 1024)
                {
                    return null;
                }

                length = (int)GuestTypes.ConstantBits(size.Value);
                if (creation.Initializer is not null && !ConstantElements(creation.Initializer.ElementValues, values))
                {
                    return null;
                }

                break;
            case IArrayInitializerOperation elements:
                if (!ConstantElements(elements.ElementValues, values))
                {
                    return null;
                }

                length = values.Count;
                break;
            case ICollectionExpressionOperation collection:
                if (!ConstantElements(collection.Elements, values))
                {
                    return null;
                }

                length = values.Count;
                break;
            default:
                return null;
        }

        return new GuestField(key, name, type, FieldStorage.Array, isReadOnly, length, values.ToEquatableArray(), null, Math.Max(alignment, 4), inImage || values.Count > 0);
    }

    private static bool ConstantElements(IEnumerable<IOperation> elements, List<ulong> values)
    {
        foreach (IOperation element in elements)
        {
            if (element.ConstantValue is not { HasValue: true } constant || !GuestTypes.IsIntegralConstant(constant.Value))
            {
                return false;
            }

            values.Add(GuestTypes.ConstantBits(constant.Value));
        }

        return true;
    }
}
