using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Translator.Guest;

namespace Translator.KernelCompiler.Tests;

/// <summary>Runs the kernel compiler on source text in memory, as the C# compiler would in a guest project.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return platform.Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "netstandard.dll" or "mscorlib.dll")
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(GuestKernelAttribute).Assembly.Location))
            .ToImmutableArray();
    });

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static CSharpCompilation Compilation(params string[] sources) => CompilationWith([], sources);

    /// <summary>A guest project that also references <paramref name="extra"/> (Translator.Machine: the project gets the image's translation).</summary>
    public static CSharpCompilation CompilationWith(IEnumerable<MetadataReference> extra, params string[] sources) => CSharpCompilation.Create(
        "GuestUnderTest",
        sources.Select((text, i) => CSharpSyntaxTree.ParseText(text, ParseOptions, path: $"Source{i}.cs")),
        s_references.Value.AddRange(extra),
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver() => CSharpGeneratorDriver.Create(
        new[] { new KernelCompilerGenerator().AsSourceGenerator() },
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator and returns its result, the diagnostics of the whole compilation after it, and the sources.</summary>
    public static GeneratorOutcome Run(params string[] sources) => Run(Compilation(sources));

    public static GeneratorOutcome Run(CSharpCompilation compilation)
    {
        GeneratorDriver driver = Driver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        GeneratorDriverRunResult result = driver.GetRunResult();
        ImmutableArray<Diagnostic> all = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Concat(generatorDiagnostics).ToImmutableArray();
        return new GeneratorOutcome(result, all, output);
    }
}

internal sealed record GeneratorOutcome(GeneratorDriverRunResult Result, ImmutableArray<Diagnostic> Diagnostics, Compilation Output)
{
    public string GeneratedSource(string hintNameSuffix)
        => Result.Results.Single().GeneratedSources.Single(s => s.HintName.EndsWith(hintNameSuffix, StringComparison.Ordinal)).SourceText.ToString();

    public IEnumerable<Diagnostic> Translator => Diagnostics.Where(d => d.Id.StartsWith("TRN", StringComparison.Ordinal));
}
