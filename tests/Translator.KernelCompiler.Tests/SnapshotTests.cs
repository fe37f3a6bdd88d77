using Translator.Tests.Shared;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>The generated C# and the listing of the Hello sample, as committed snapshots.</summary>
public sealed class SnapshotTests
{
    private static GeneratorOutcome CompileHello()
    {
        string source = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "samples", "Hello", "Hello.cs"));
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        Assert.Empty(outcome.Diagnostics);
        return outcome;
    }

    [Fact]
    public void HelloGeneratedCode() => Snapshot.Verify("Hello.Kernel", CompileHello().GeneratedSource("Hello.Kernel.g.cs"), "cs");

    [Fact]
    public void HelloListing()
    {
        string generated = CompileHello().GeneratedSource("Hello.Kernel.g.cs");
        const string start = "public const string Listing = @\"";
        int from = generated.IndexOf(start, StringComparison.Ordinal) + start.Length;
        int to = generated.LastIndexOf("\";", StringComparison.Ordinal);
        Snapshot.Verify("Hello.Listing", generated.Substring(from, to - from).Replace("\"\"", "\""), "txt");
    }

    [Fact]
    public void CompilingTwiceGivesTheSameBytes()
        => Assert.Equal(CompileHello().GeneratedSource("Hello.Kernel.g.cs"), CompileHello().GeneratedSource("Hello.Kernel.g.cs"));
}
