using System.Collections.Immutable;
using Iced.Intel;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Translator.Hypercalls.Generator;
using Translator.Tests.Shared;
using Xunit;

namespace Translator.Hypercalls.Generator.Tests;

/// <summary>The hypercall generator on the real table: both sides' output, incrementality, diagnostics, the page's bytes.</summary>
public sealed class GeneratorTests
{
    private static readonly string Paravirt = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/Translator.Paravirt"));

    private static string[] TableSources() =>
    [
        File.ReadAllText(Path.Combine(Paravirt, "HypercallAttributes.cs")),
        File.ReadAllText(Path.Combine(Paravirt, "HypercallTable.cs")),
        File.ReadAllText(Path.Combine(Paravirt, "Abi", "PvAbi.cs")),
        "namespace Translator.Guest { public sealed class HypercallStubAttribute(int number) : System.Attribute { public int Number => number; } "
            + "public sealed class GuestOnlyException : System.Exception { public static GuestOnlyException For(string name) => new(); } }",
    ];

    [Theory]
    [InlineData("Vmm")]
    [InlineData("Guest")]
    public void OutputOfTheRealTable(string side)
    {
        (GeneratorDriverRunResult result, Compilation output) = Run(side, TableSources());

        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        foreach (GeneratedSourceResult source in result.Results.Single().GeneratedSources)
        {
            Snapshot.Verify(side + "." + Path.GetFileNameWithoutExtension(source.HintName), source.SourceText.ToString(), "cs");
        }
    }

    [Fact]
    public void AnUnrelatedEditLeavesEveryStepCached()
    {
        string[] sources = TableSources();
        CSharpCompilation first = Compilation(sources);
        GeneratorDriver driver = Driver("Vmm").RunGenerators(first);
        CSharpCompilation second = first.AddSyntaxTrees(CSharpSyntaxTree.ParseText("internal static class Unrelated { }", Parse));
        GeneratorRunResult run = driver.RunGenerators(second).GetRunResult().Results.Single();

        foreach (string step in new[] { HypercallGenerator.TablesStep, HypercallGenerator.OutputStep })
        {
            Assert.All(run.TrackedSteps[step].SelectMany(s => s.Outputs), o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }
    }

    [Theory]
    [InlineData("[Hypercall(1, \"a\")] int A(); [Hypercall(1, \"b\")] int B();", "TRN3001")]
    [InlineData("[Hypercall(200, \"a\")] int A();", "TRN3002")]
    [InlineData("[Hypercall(1, \"a\")] int A(); [Hypercall(2, \"a\")] int B();", "TRN3003")]
    [InlineData("[Hypercall(1, \"a\")] int A(uint a, uint b, uint c, uint d, uint e, uint f);", "TRN3004")]
    [InlineData("[Hypercall(1, \"a\")] int A(string s);", "TRN3005")]
    [InlineData("[Hypercall(1, \"a\")] long A();", "TRN3007")]
    public void AMalformedTableIsADiagnosticOnTheMember(string members, string id)
    {
        string table = "namespace Translator.Paravirt { [HypercallTable] internal interface IBad { " + members + " } }";
        (GeneratorDriverRunResult result, _) = Run("Vmm", TableSources()[0], TableSources()[2], TableSources()[3], table);

        Diagnostic diagnostic = Assert.Single(result.Diagnostics, d => d.Id == id);
        FileLinePositionSpan where = diagnostic.Location.GetLineSpan();
        Assert.Equal("Source3.cs", where.Path); // the malformed table, not the attributes or the ABI header
        Assert.True(diagnostic.Location.SourceSpan.Length > 0);
    }

    [Fact]
    public void TheHypercallPageHoldsTheStubsTheAbiDescribes()
    {
        byte[] page = Translator.Paravirt.HypercallPage.Build();
        Assert.Equal(4096, page.Length);
        Assert.Equal("mov eax,12h|int 82h|ret", Disassemble(page, 18 * 32, 3));
        Assert.Equal("push eax|mov eax,17h|int 82h", Disassemble(page, 23 * 32, 3));
        Assert.Equal("mov eax,7Fh|int 82h|ret", Disassemble(page, 127 * 32, 3));
    }

    private static string Disassemble(byte[] page, int offset, int count)
    {
        var decoder = Decoder.Create(32, new ByteArrayCodeReader(page, offset, 32));
        var formatter = new IntelFormatter();
        var output = new StringOutput();
        var text = new List<string>();
        for (int i = 0; i < count; i++)
        {
            formatter.Format(decoder.Decode(), output);
            text.Add(output.ToStringAndReset());
        }

        return string.Join('|', text);
    }

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    private static CSharpCompilation Compilation(params string[] sources)
    {
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        IEnumerable<MetadataReference> references = platform.Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        return CSharpCompilation.Create("TableUnderTest", sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, Parse, path: $"Source{i}.cs")),
            references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    private static GeneratorDriver Driver(string side) => CSharpGeneratorDriver.Create(
        [new HypercallGenerator().AsSourceGenerator()], parseOptions: Parse, optionsProvider: new Options(side),
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    private static (GeneratorDriverRunResult Result, Compilation Output) Run(string side, params string[] sources)
    {
        GeneratorDriver driver = Driver(side).RunGeneratorsAndUpdateCompilation(Compilation(sources), out Compilation output, out _);
        return (driver.GetRunResult(), output);
    }

    /// <summary>The MSBuild property the generator reads, as a project would set it.</summary>
    private sealed class Options(string side) : AnalyzerConfigOptionsProvider
    {
        private readonly Values _global = new(ImmutableDictionary<string, string>.Empty.Add(HypercallGenerator.SideProperty, side));

        public override AnalyzerConfigOptions GlobalOptions => _global;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Values.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Values.Empty;

        private sealed class Values(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
        {
            public static readonly Values Empty = new(ImmutableDictionary<string, string>.Empty);

            public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
        }
    }
}
