using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// Refusals in the user's words: each names the C# feature as a C# programmer calls it, quotes the user's text,
/// says what to write instead, lands on the offending span, and is the only error of its cause (no Roslyn kind such as
/// <c>SwitchExpression</c>, no follow-on error such as <c>object</c> for a string concatenation's operand).
/// </summary>
public sealed class FeatureDiagnosticTests
{
    private static string Kernel(string members) =>
        "using Translator.Guest;\n[GuestKernel]\npublic static partial class K\n{\n    [Entry] static void Start() { }\n"
        + "    static void Take(string s) { }\n    static readonly int[] Table = new int[4];\n" + members + "\n}\n";

    public static TheoryData<string, string, string> Cases => new()
    {
        { "TRN0004", "static int F(int x) => [|x switch { 1 => 2 }|];", "A switch expression that does not cover every value ('x switch { 1 => 2 }') is not supported in guest code: end it with a discard arm: _ => value" },
        { "TRN0004", "static int F() => [|Table|] switch { _ => 1 };", "A switch expression on an array ('Table') is not supported in guest code: switch on an integer, an enum or a string" },
        { "TRN0004", "static bool F(int x) => x is [|{ }|];", "A property pattern ('{ }') is not supported in guest code: compare the fields with ==" },
        { "TRN0004", "static bool F() => Table is [|[1, ..]|];", "A list pattern ('[1, ..]') is not supported in guest code: test the elements with a[i] == value" },
        { "TRN0004", "static void F(uint sum) { Take([|\"a\" + sum|]); }", "String concatenation ('\"a\" + sum') is not supported in guest code: write it straight to the console, Console.Write($" },
        { "TRN0004", "static void F(int x) { Take([|$\"n={x}\"|]); }", "String interpolation ('$\"n={x}\"') is not supported in guest code: write it straight to the console" },
        { "TRN0004", "static void F(int x) { Console.Write($\"n={x} [|{x:N2}|]\"); }", "The format 'N2' ('{x:N2}') is not supported in guest code: guest code formats integers with D, Dn" },
        { "TRN0004", "enum Color { Red } static void F(Color c) { Console.Write($\"[[|{c}|]]\"); }", "Formatting an enum (.NET writes its name) ('{c}') is not supported in guest code: write its number: {(int)value}" },
        { "TRN0004", "static int F(int x) => [|System.Math.Sign(x)|];", "This Math method ('System.Math.Sign(x)') is not supported in guest code: guest code has Math.Min, Max, Abs and Clamp on integers" },
        { "TRN0004", "static bool F() => [|Table == null|];", "Comparing or combining arrays or strings ('Table == null')" },
        { "TRN0004", "static string F(string s) => [|s[1..3]|];", "A range ('s[1..3]') is not supported in guest code: loop over the indices you need" },
        { "TRN0005", "static void F() { [|throw new System.Exception();|] }", "Throwing an exception ('throw new System.Exception();') is not supported in guest code: guest code has no exceptions" },
        { "TRN0005", "static void F() { switch ([|Table|]) { default: break; } }", "A switch on an array ('Table') is not supported in guest code: switch on an integer or an enum" },
        { "TRN0004", "static void F(int x) { switch (x) { case [|object o|]: break; } }", "A declaration pattern of another type ('object o') is not supported in guest code: guest values have their static type only" },
        { "TRN0005", "static int F(int x) { [|int G() => x;|] return G(); }", "A local function that is not static ('int G() => x;') is not supported in guest code: mark it static" },
        { "TRN0005", "static void F() { [|lock (Table) { }|] }", "'lock' ('lock (Table) { }') is not supported in guest code: guest code runs on one processor" },
        { "TRN0013", "[|static int Count => 1;|]", "'Count' cannot be guest code: a property is not supported: use a static field" },
        { "TRN0013", "[|static K() { }|]", "'K()' cannot be guest code: a static constructor is not supported" },
        { "TRN0004", "struct P { public int X; public P(int x) { X = x; } } static int F() => [|new P(1)|].X;", "A struct constructor ('new P(1)') is not supported in guest code: create the struct with 'new S { Field = value }' or 'default'" },
        { "TRN0020", "struct N { public string Name; } static void F() { N [|n = default|]; }", "Struct 'N' cannot be guest data: its field 'Name' is of type 'string', which guest memory cannot hold" },
        { "TRN0003", "static unsafe void F([|int** p|]) { }", "Type 'int**' is not supported in guest code" },
        { "TRN0003", "static void F() { System.Span<int> [|s = default|]; }", "Type 'System.Span<int>' is not supported in guest code" },
        { "TRN0004", "static void F() { [|G(1, 2)|]; } static void G(params int[] v) { }", "A params argument ('G(1, 2)') is not supported in guest code: pass the values one by one" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void NamesTheFeatureOnItsSpanOnce(string id, string markedMembers, string message)
    {
        string text = AssertOnlyErrorOnItsSpan(Kernel(markedMembers), id, message);
        foreach (string kind in RoslynKinds.Where(k => Regex.IsMatch(text, @"\b" + k + @"\b")))
        {
            Assert.Fail($"'{text}' names Roslyn's {kind}");
        }
    }

    /// <summary>
    /// Runs the generator on a kernel whose [|marked|] span is the offence; asserts that the one TRN diagnostic is
    /// <paramref name="id"/> on that span, starting with <paramref name="message"/>, and returns its whole text.
    /// </summary>
    internal static string AssertOnlyErrorOnItsSpan(string markedKernel, string id, string message)
    {
        (string source, TextSpan span) = DiagnosticTests.Unmark(markedKernel);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);

        Assert.Null(outcome.Result.Results.Single().Exception);
        Diagnostic diagnostic = Assert.Single(outcome.Translator);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        string text = diagnostic.GetMessage();
        Assert.StartsWith(message, text);
        return text;
    }

    [Fact]
    public void AStructDeclaredInsideAGuestClassIsData()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Kernel("struct Task { public int Eip; } static Task s_task; static int F() { s_task.Eip = 3; return s_task.Eip; }"));
        Assert.Empty(outcome.Translator);
    }

    /// <summary>The library's InterruptFrame is plain data: a struct field of it, its copies and its fields compile.</summary>
    [Fact]
    public void TheLibrarysInterruptFrameIsAStructLikeAnyOther()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Kernel(
            "struct Saved { public uint Id; public InterruptFrame Frame; } static readonly Saved[] s_saved = new Saved[2];"
            + " [InterruptHandler(0x20)] static void H(ref InterruptFrame frame) { s_saved[0].Frame = frame; frame.Eax = s_saved[1].Frame.Eax; frame = s_saved[1].Frame; }"
            + " static unsafe int F() => sizeof(InterruptFrame);"));
        Assert.Empty(outcome.Diagnostics);
    }

    [Fact]
    public void AnEnumDeclaredInsideAGuestClassIsData()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Kernel("enum Mode : byte { Idle, Busy } static int F(Mode m) => m == Mode.Busy ? 1 : 0;"));
        Assert.Empty(outcome.Diagnostics);
    }

    /// <summary>Roslyn's compound kind names (SwitchExpression, IsPattern, StructDeclaration, ...), which no message may show.</summary>
    internal static readonly string[] RoslynKinds = Enum.GetNames<Microsoft.CodeAnalysis.OperationKind>()
        .Concat(Enum.GetNames<SyntaxKind>())
        .Where(name => name.Count(char.IsUpper) > 1 && !name.EndsWith("Token", StringComparison.Ordinal) && !name.EndsWith("Keyword", StringComparison.Ordinal))
        .Distinct()
        .ToArray();
}
