using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Translator.Tests.Shared;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// The audit of every diagnostic the kernel compiler can report: for each, a minimal kernel that provokes it gets
/// exactly one error (the compilation's, C#'s included) on the offending syntax, worded in C# terms (no Roslyn kind
/// such as <c>SwitchExpression</c>, no "Type 'object'"), and the id has a row in docs/dsl.md and an entry in
/// AnalyzerReleases. The follow-on cases are one cause each that used to give several errors: a refused
/// declaration's uses, a refused expression's parents, C#'s own error.
/// </summary>
public sealed class DiagnosticAuditTests
{
    private const string Prelude = "using Translator.Guest;\n";

    private static string Kernel(string members, string entry = "{ }") =>
        Prelude + "[GuestKernel]\npublic static unsafe partial class K\n{\n    [Entry] static void Start() " + entry + "\n"
        + "    static void Take(string s) { }\n    static void Use(int v) { }\n" + members + "\n}\n";

    /// <summary>A kernel whose entry calls F: the linker's diagnostics are about what the entry reaches.</summary>
    private static string Reached(string members) => Kernel(members, "=> F();");

    /// <summary>Ids no source can provoke: the checks of the compiler's own invariants.</summary>
    private static readonly Dictionary<string, string> s_unprovokable = new()
    {
        ["TRN0099"] = "an internal error: the parser's last line of defence against its own exceptions",
        ["TRN1004"] = "the linked PV image's check for privileged instructions, which the PV lowering never emits",
    };

    /// <summary>
    /// One minimal kernel per id, the offending syntax marked [|like this|]: DiagnosticTests' cases (TRN0001-TRN0014)
    /// and the ids beyond them.
    /// </summary>
    public static TheoryData<string, string> ById
    {
        get
        {
            TheoryData<string, string> cases = DiagnosticTests.Cases;
            foreach ((string id, string source) in s_beyondDiagnosticTests)
            {
                cases.Add(id, source);
            }

            return cases;
        }
    }

    private static readonly (string Id, string Source)[] s_beyondDiagnosticTests =
    [
        ("TRN0020", Kernel("struct N { public string Name; } static void F() { N [|n = default|]; }")),
        ("TRN1001", Reached("[HypercallStub(200)] static uint H() => 0; static void F() { if (KernelImage.IsParavirtual) { [|H()|]; } }")),
        ("TRN1002", Reached("static void F() { [|Hypercall.XenVersion(0, 0)|]; }")),
        ("TRN1003", Reached("static uint s_x; static void F() { s_x = (uint)[|Cpu.ReadMsr(0x10)|]; }")),
        ("TRN0030", Kernel("public struct P { public int X; public int Twice => X * 2; } static bool F(P p) => p is { [|Twice|]: 2 };")),
        ("TRN0031", Kernel("static readonly string[] [|Names|] = new string[3];")),
        ("TRN0032", Kernel("static readonly int[] Table = new int[4]; static void G(int[] a) { } static void F() { G([|Table[1..3]|]); }")),
        ("TRN0033", Kernel("static int Count(ConsoleText t) => 0; static int F() => Count([|$\"n={1}\"|]);")),
    ];

    /// <summary>One cause each, which once gave follow-on errors on its uses, its parents or beside C#'s own error.</summary>
    public static TheoryData<string, string> FollowOns => new()
    {
        // A refused local's uses.
        { "TRN0003", Kernel("static int F() { float [|f = 1|]; f = f + 1; return (int)f; }") },
        { "TRN0003", Kernel("static int F(int x) { var [|t = (x, 2)|]; return t.Item1 + t.Item2; }") },
        // A refused static field's uses.
        { "TRN0003", Kernel("static float [|s_f|]; static int F() => (int)(s_f * 2); static void G() { s_f = 1; }") },
        { "TRN0020", Kernel("struct N { public string Name; } static N[] [|s_n|] = new N[2]; static void F() { s_n[0].Name = \"a\"; Take(s_n[1].Name); }") },
        // A struct guest data cannot hold, used by several declarations: one error, at the first.
        { "TRN0020", Kernel("struct N { public string Name; } static void F() { N [|n = default|]; N m = default; } static N G(N p) => p;") },
        // A refused parameter's callers.
        { "TRN0003", Kernel("static void G([|float v|]) { } static void F() { G(1); G(2); }") },
        { "TRN0003", Kernel("static int G([|double d|]) => 0; static void F() { Use(G(1.5) + G(2)); }") },
        // A refused expression's parents.
        { "TRN0004", Kernel("static void F(uint sum) { Take([|\"a\" + sum|]); }") },
        { "TRN0006", Kernel("static int F() => [|new object().GetHashCode()|] + 1;") },
        { "TRN0004", Kernel("static int F(int x) => 1 + [|(x, 2)|].Item1;") },
        { "TRN0004", Kernel("static int F() => [|System.Environment.TickCount|] * 2 + 1;") },
        // C#'s own error is the only one, also where it is further along the statement than the call it leaves unbound.
        { "CS1026", Kernel("static void F() { Console.WriteHex(1u[|;|] }") },
        { "CS0103", Kernel("static int F() => [|Undefined|] + 1;") },
        { "CS0029", Kernel("static void F() { int x = [|\"a\"|]; Use(x); }") },
    };

    [Theory]
    [MemberData(nameof(ById))]
    public void EachDiagnosticIsOneErrorInCSharpWordsOnItsSpan(string id, string markedSource) => AssertOneCause(id, markedSource);

    [Theory]
    [MemberData(nameof(FollowOns))]
    public void OneCauseIsOneError(string id, string markedSource) => AssertOneCause(id, markedSource);

    [Fact]
    public void EveryDiagnosticIsAuditedDocumentedAndReleaseTracked()
    {
        string[] ids = typeof(KernelCompilerGenerator).Assembly.GetType("Translator.KernelCompiler.Diagnostics")!
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => f.GetValue(null)).OfType<DiagnosticDescriptor>().Select(d => d.Id).ToArray();
        string[] audited = ById.Select(row => (string)row[0]).ToArray();
        string dsl = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "dsl.md"));
        string releases = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "generators", "Translator.KernelCompiler", "AnalyzerReleases.Unshipped.md"));
        Assert.Equal(24, ids.Length);
        foreach (string id in ids)
        {
            Assert.True(audited.Contains(id) || s_unprovokable.ContainsKey(id), $"{id} has no audit case");
            Assert.Matches(@"(?m)^\| " + id + @"\b", dsl);
            Assert.Matches(@"(?m)^" + id + @" \| Translator\.KernelCompiler \|", releases);
        }
    }

    /// <summary>
    /// Bodies C# cannot parse, as the mutation campaign made them (mutants 22 and 56): a lost parenthesis leaves a
    /// method group behind, which is no cause of the user's. C#'s errors are the only ones.
    /// </summary>
    [Theory]
    [InlineData("static void F(uint sum) {\n        (\n        Console.Write(\"a\");\n        Console.WriteHex}sum);\n    }")]
    [InlineData("static void P(uint a, uint b) { } static void F() { P,1, 2); P(2, 3); }")]
    public void InABodyCSharpRefusesOnlyCSharpsErrorsAreReported(string members)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Kernel(members));
        Diagnostic[] reported = outcome.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.Contains(reported, d => d.Id.StartsWith("CS", StringComparison.Ordinal));
        Assert.DoesNotContain(reported, d => d.Id.StartsWith("TRN", StringComparison.Ordinal));
    }

    private static void AssertOneCause(string id, string markedSource)
    {
        (string source, TextSpan span) = DiagnosticTests.Unmark(markedSource);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);

        Assert.Null(outcome.Result.Results.Single().Exception);
        Diagnostic[] reported = outcome.Diagnostics.ToArray(); // C#'s errors and every one of the generator's
        Assert.True(reported.Length == 1, string.Join("\n", reported.Select(d => d.ToString())));
        Diagnostic diagnostic = reported[0];
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        string message = diagnostic.GetMessage();
        Assert.DoesNotContain("Type 'object'", message);
        foreach (string kind in FeatureDiagnosticTests.RoslynKinds.Where(k => Regex.IsMatch(message, @"\b" + k + @"\b")))
        {
            Assert.Fail($"'{message}' names Roslyn's {kind}");
        }
    }
}
