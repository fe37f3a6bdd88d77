using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Translator.KernelCompiler.Parsing;

/// <summary>A C# feature as a C# programmer calls it ("a switch expression"), and what to write in guest code instead.</summary>
internal readonly record struct CSharpFeature(string Name, string Instead)
{
    /// <summary>"A switch expression ('x switch { ... }')": the feature and the user's own text, for a message's start.</summary>
    public string Quoting(SyntaxNode syntax) => char.ToUpperInvariant(Name[0]) + Name.Substring(1) + " ('" + CSharpFeatures.Excerpt(syntax) + "')";
}

/// <summary>
/// Names what guest code refuses in the user's words rather than Roslyn's (no <c>SwitchExpression</c>,
/// <c>IsPattern</c> or <c>StructDeclaration</c> in a message): one table per kind of construct.
/// </summary>
internal static class CSharpFeatures
{
    private const string NoHeap = "guest code has no heap: keep data in static fields and static arrays";
    private const string CallDirectly = "call a static guest method directly (Memory.AddressOf(Method) gives its code address)";
    private const string NoExceptions = "guest code has no exceptions: report with Console.Write and stop with Machine.Exit(code)";
    private const string WriteParts = "write it straight to the console, Console.Write($\"n={n,8} cr3={cr3:X8}\") (formatted at build time), or the parts one by one: Console.Write(\"text\"), Console.Write(n)";
    private const string CompareInstead = "use constant, relational (< >=), and/or/not, var and _ patterns, or compare with == and <";
    private const string NeverNull = "guest arrays and strings are static data and never null: use the value itself";
    private const string FromTheEnd = "index an array or a string directly: a[^i], or a[a.Length - i]";

    private static readonly Dictionary<OperationKind, CSharpFeature> s_operations = new()
    {
        [OperationKind.ObjectCreation] = new("creating an object with 'new'", NoHeap),
        [OperationKind.AnonymousObjectCreation] = new("an anonymous type", NoHeap),
        [OperationKind.TypeParameterObjectCreation] = new("'new T()'", NoHeap),
        [OperationKind.ObjectOrCollectionInitializer] = new("an object or collection initializer", NoHeap),
        [OperationKind.ArrayCreation] = new("creating an array inside a method", "declare a static array field: static readonly T[] Name = new T[length];"),
        [OperationKind.CollectionExpression] = new("a collection expression inside a method", "declare a static array field initialized with the collection"),
        [OperationKind.AnonymousFunction] = new("a lambda or anonymous method", CallDirectly),
        [OperationKind.DelegateCreation] = new("a delegate", CallDirectly),
        [OperationKind.MethodReference] = new("a method group used as a value", CallDirectly),
        [OperationKind.InterpolatedString] = new("string interpolation", WriteParts),
        [OperationKind.Throw] = new("throwing an exception", NoExceptions),
        [OperationKind.Await] = new("'await'", "guest code runs synchronously: call the method and use its result"),
                        [OperationKind.IsType] = new("an 'is' type test", "guest values have their static type only: test an integer field that says what a value is"),
        [OperationKind.Tuple] = new("a tuple", "return one value, or store several in static fields"),
        [OperationKind.DeconstructionAssignment] = new("a deconstruction", "assign each variable on its own"),
        [OperationKind.ImplicitIndexerReference] = new("a range", "loop over the indices you need"),
        [OperationKind.Range] = new("a range", "loop over the indices you need"),
        [OperationKind.Coalesce] = new("'??' (null coalescing)", NeverNull),
        [OperationKind.CoalesceAssignment] = new("'??=' (null-coalescing assignment)", NeverNull),
        [OperationKind.ConditionalAccess] = new("'?.' (null-conditional access)", NeverNull),
        [OperationKind.TypeOf] = new("'typeof'", "guest code has no run-time types"),
        [OperationKind.With] = new("a 'with' expression", NoHeap),
        [OperationKind.AddressOf] = new("taking the address of this value", "take the address of a local, a static field, an array element or a struct field"),
        [OperationKind.FunctionPointerInvocation] = new("a call through a function pointer", CallDirectly),
        [OperationKind.DynamicInvocation] = new("a 'dynamic' call", "call a static guest method"),
        [OperationKind.DynamicMemberReference] = new("a 'dynamic' member", "call a static guest method"),
        [OperationKind.Utf8String] = new("a UTF-8 string literal", "use a string (UTF-16) or a static byte array"),
        [OperationKind.EventReference] = new("an event", CallDirectly),
        [OperationKind.InstanceReference] = new("'this'", "guest classes are static: use static fields"),
        [OperationKind.Invalid] = new("code that does not compile", "fix the C# compiler's error first"),

        // Statements.
        [OperationKind.Try] = new("'try'/'catch'/'finally'", NoExceptions),
        [OperationKind.Lock] = new("'lock'", "guest code runs on one processor: disable interrupts around the critical section (Cpu.DisableInterrupts)"),
        [OperationKind.Using] = new("'using'", "guest code has no disposable objects"),
        [OperationKind.UsingDeclaration] = new("a 'using' declaration", "guest code has no disposable objects"),
        [OperationKind.Labeled] = new("a label", "use a loop with break and continue"),
        [OperationKind.LocalFunction] = new("a local function", "make it a static method of the class"),
        [OperationKind.YieldReturn] = new("'yield return'", "fill a static array and return its length"),
        [OperationKind.YieldBreak] = new("'yield break'", "fill a static array and return its length"),
    };

    private static readonly Dictionary<OperationKind, CSharpFeature> s_patterns = new()
    {
        [OperationKind.TypePattern] = new("a type pattern", "guest values have their static type only: use var x, or a constant or relational pattern"),
        [OperationKind.DeclarationPattern] = new("a declaration pattern of another type", "guest values have their static type only: use var x"),
        [OperationKind.RecursivePattern] = new("a property pattern", "compare the fields with == (guest code has no objects with properties)"),
        [OperationKind.ListPattern] = new("a list pattern", "test the elements with a[i] == value"),
        [OperationKind.SlicePattern] = new("a slice pattern", "test the elements with a[i] == value"),
    };

    private static readonly Dictionary<SyntaxKind, CSharpFeature> s_members = new()
    {
        [SyntaxKind.RecordStructDeclaration] = new("a record struct", NoHeap),
        [SyntaxKind.ClassDeclaration] = new("a class declared inside a guest class", "declare a top-level [GuestCode] static class"),
        [SyntaxKind.RecordDeclaration] = new("a record", NoHeap),
        [SyntaxKind.InterfaceDeclaration] = new("an interface", "guest code calls static methods directly"),
        [SyntaxKind.DelegateDeclaration] = new("a delegate type", CallDirectly),
        [SyntaxKind.PropertyDeclaration] = new("a property", "use a static field, or a static method such as GetValue()"),
        [SyntaxKind.IndexerDeclaration] = new("an indexer", "use a static method taking the index"),
        [SyntaxKind.EventDeclaration] = new("an event", CallDirectly),
        [SyntaxKind.EventFieldDeclaration] = new("an event", CallDirectly),
        [SyntaxKind.ConstructorDeclaration] = new("a static constructor", "give static fields constant initializers, or call an Init() method from the entry"),
        [SyntaxKind.DestructorDeclaration] = new("a finalizer", NoHeap),
        [SyntaxKind.OperatorDeclaration] = new("a user-defined operator", "use a static method"),
        [SyntaxKind.ConversionOperatorDeclaration] = new("a user-defined conversion", "use a static method"),
    };

    private static readonly CSharpFeature s_other = new("this expression", "guest code has integer arithmetic, locals, static fields and arrays, and calls to guest methods and intrinsics");

    public static CSharpFeature Of(IOperation operation)
    {
        switch (operation)
        {
            case IBinaryOperation { Type.SpecialType: SpecialType.System_String }:
                return new CSharpFeature("string concatenation", WriteParts);
            case IBinaryOperation binary when IsReference(binary.LeftOperand) || IsReference(binary.RightOperand):
                return new CSharpFeature("comparing or combining arrays or strings", "compare their elements, or their lengths");
            case IBinaryOperation { OperatorMethod: not null }:
                return new CSharpFeature("a user-defined operator", "use a static method");
            case IConversionOperation { OperatorMethod: not null }:
                return new CSharpFeature("a user-defined conversion", "use a static method");
            case IConversionOperation:
                return new CSharpFeature("a conversion to or from a non-integer type", "guest code converts between the integer types, char and enums");
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Hat }:
                return new CSharpFeature("an index from the end outside an indexer", FromTheEnd);
            case IPropertyReferenceOperation:
                return new CSharpFeature("a property", "guest code reads fields; its properties are Length of arrays and strings and KernelImage.IsParavirtual");
            case IFieldReferenceOperation { Field.IsStatic: false }:
                return new CSharpFeature("an instance field", "guest data is static fields and arrays (and the fields of a ref InterruptFrame)");
            case ISimpleAssignmentOperation { IsRef: true }:
                return new CSharpFeature("a ref assignment", "assign the value itself");
            case ILiteralOperation { ConstantValue: { HasValue: true, Value: null } }:
                return new CSharpFeature("'null'", NeverNull);
            case IPatternOperation pattern:
                return OfPattern(pattern);
        }

        return s_operations.TryGetValue(operation.Kind, out CSharpFeature feature) ? feature : s_other;
    }

    public static CSharpFeature OfPattern(IPatternOperation pattern)
        => s_patterns.TryGetValue(pattern.Kind, out CSharpFeature feature) ? feature : new CSharpFeature("this pattern", CompareInstead);

    /// <summary>A member a guest class cannot hold, or null when it holds no code and needs no refusal (a nested enum).</summary>
    public static CSharpFeature? OfMember(MemberDeclarationSyntax member)
    {
        if (member.IsKind(SyntaxKind.EnumDeclaration) || member.IsKind(SyntaxKind.StructDeclaration))
        {
            return null; // data types: a nested struct is laid out where it is used
        }

        return s_members.TryGetValue(member.Kind(), out CSharpFeature feature)
            ? feature
            : new CSharpFeature("this member", "guest classes hold static methods, static fields and constants");
    }

    /// <summary>A member's name as the user wrote it ("struct Task", "property Count").</summary>
    public static string MemberName(MemberDeclarationSyntax member) => member switch
    {
        TypeDeclarationSyntax type => type.Keyword.Text + " " + type.Identifier.Text,
        EnumDeclarationSyntax e => "enum " + e.Identifier.Text,
        DelegateDeclarationSyntax d => "delegate " + d.Identifier.Text,
        PropertyDeclarationSyntax p => p.Identifier.Text,
        EventDeclarationSyntax e => e.Identifier.Text,
        EventFieldDeclarationSyntax e => string.Join(", ", System.Linq.Enumerable.Select(e.Declaration.Variables, v => v.Identifier.Text)),
        ConstructorDeclarationSyntax c => c.Identifier.Text + "()",
        DestructorDeclarationSyntax d => "~" + d.Identifier.Text + "()",
        OperatorDeclarationSyntax o => "operator " + o.OperatorToken.Text,
        ConversionOperatorDeclarationSyntax c => c.ImplicitOrExplicitKeyword.Text + " operator " + c.Type,
        IndexerDeclarationSyntax => "this[]",
        _ => Excerpt(member),
    };

    /// <summary>The first line of the user's text, shortened.</summary>
    public static string Excerpt(SyntaxNode syntax)
    {
        string text = syntax.ToString();
        int newline = text.IndexOf('\n');
        text = (newline >= 0 ? text.Substring(0, newline) : text).Trim();
        return text.Length > 40 ? text.Substring(0, 37) + "..." : text;
    }

    private static bool IsReference(IOperation operand)
    {
        while (operand is IConversionOperation { IsImplicit: true } conversion)
        {
            operand = conversion.Operand;
        }

        return operand.Type is { IsReferenceType: true };
    }
}
