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
    public void HelloListing() => Snapshot.Verify("Hello.Listing", ListingOf(CompileHello().GeneratedSource("Hello.Kernel.g.cs"), "Listing"), "txt");

    /// <summary>The PV build of the same source: hypercalls through the hypercall page where the bare-metal build has IN/OUT.</summary>
    [Fact]
    public void HelloParavirtListing()
        => Snapshot.Verify("Hello.ParavirtListing", ListingOf(CompileHello().GeneratedSource("Hello.Kernel.g.cs"), "ParavirtListing"), "txt");

    private static string ListingOf(string generated, string member)
    {
        string start = "public const string " + member + " = @\"";
        int from = generated.IndexOf(start, StringComparison.Ordinal) + start.Length;
        int to = generated.IndexOf("\";\n", from, StringComparison.Ordinal);
        return generated.Substring(from, to - from).Replace("\"\"", "\"");
    }

    [Fact]
    public void CompilingTwiceGivesTheSameBytes()
        => Assert.Equal(CompileHello().GeneratedSource("Hello.Kernel.g.cs"), CompileHello().GeneratedSource("Hello.Kernel.g.cs"));
}
