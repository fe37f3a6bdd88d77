using Translator.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// One test per diagnostic: the offending code is marked <c>[|like this|]</c> and the diagnostic must be reported
/// there, once, with nothing else from the kernel compiler.
/// </summary>
public sealed class DiagnosticTests
{
    private const string Prelude = "using Translator.Guest;\n";

    private static string Kernel(string members) =>
        Prelude + "[GuestKernel]\npublic static partial class K\n{\n    [Entry] static void Start() { }\n" + members + "\n}\n";

    public static TheoryData<string, string> Cases => new()
    {
        { "TRN0001", Prelude + "[GuestKernel] public static class [|K|] { [Entry] static void Start() { } }" },
        { "TRN0002", Prelude + "[GuestKernel] public static partial class [|K|] { static void F() { } }" },
        { "TRN0003", Kernel("static void F() { float [|x = 1|]; }") },
        { "TRN0004", Kernel("static void F() { [|new object()|]; }") },
        { "TRN0005", Kernel("static void F() { [|try { } finally { }|] }") },
        { "TRN0006", Kernel("static void F() => [|System.Environment.Exit(1)|];") },
        { "TRN0007", Kernel("static int F(int x) => checked([|x + 1|]);") },
        { "TRN0008", Kernel("static int s = [|System.Environment.ProcessorCount|];") },
        { "TRN0009", Kernel("[UserMode] static void U() { [|Cpu.Halt()|]; }") },
        { "TRN0010", Kernel("static void F(byte v) { Cpu.Interrupt([|v|]); }") },
        { "TRN0011", Kernel("[InterruptHandler(0x20)] static int [|H|]() => 0;") },
        { "TRN0012", Prelude + "[GuestKernel] public static partial class [|K|] { [Entry] static void Start() { }"
            + " [InterruptHandler(0x21)] static void A() { } [InterruptHandler(0x21)] static void B() { } }" },
        { "TRN0013", Kernel("static void [|F|]<T>() { }") },
        { "TRN0014", Prelude + "[GuestKernel] public static partial class [|K|] { [Entry] static void Start() => Lib.G(); }"
            + " [GuestCode] static partial class Lib { } static partial class Lib { public static void G() { } }" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void IsReportedOnTheOffendingSyntax(string id, string markedSource)
    {
        (string source, TextSpan span) = Unmark(markedSource);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);

        Assert.Null(outcome.Result.Results.Single().Exception);
        Diagnostic diagnostic = Assert.Single(outcome.Translator);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
    }

    [Fact]
    public void EveryDiagnosticIsDocumentedInTheReleaseTrackingFile()
    {
        string unshipped = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "generators", "Translator.KernelCompiler", "AnalyzerReleases.Unshipped.md"));
        foreach (string id in Cases.Select(c => (string)c[0]).Append("TRN0099"))
        {
            Assert.Contains(id + " |", unshipped);
        }
    }

    [Fact]
    public void AValidKernelHasNoDiagnostics()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Kernel("static int F(int x) => x * 2;"));
        Assert.Empty(outcome.Diagnostics);
    }

    internal static (string Source, TextSpan Span) Unmark(string marked)
    {
        int start = marked.IndexOf("[|", StringComparison.Ordinal);
        int end = marked.IndexOf("|]", StringComparison.Ordinal);
        string source = marked.Remove(end, 2).Remove(start, 2);
        return (source, TextSpan.FromBounds(start, end - 2));
    }
}
