using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Translator.Machine.Translation;

namespace Translator.Translation.Generator.Tests;

/// <summary>
/// Runs the build-time translator in memory, as the compiler would in a project importing GuestImages.targets: each
/// image becomes a hexadecimal additional file carrying the marker metadata.
/// </summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_framework = new(() =>
    {
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return platform.Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "netstandard.dll" or "mscorlib.dll")
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static string ImagePath(string name) => Path.Combine(AppContext.BaseDirectory, "Images", name);

    public static byte[] Image(string name) => File.ReadAllBytes(ImagePath(name));

    /// <summary>A project compilation; with <paramref name="machine"/> it references Translator.Machine, as a real project must.</summary>
    public static CSharpCompilation Compilation(bool machine = true, bool allowUnsafe = true, params string[] sources) => CSharpCompilation.Create(
        "ImagesUnderTest",
        sources.Select((text, i) => CSharpSyntaxTree.ParseText(text, ParseOptions, path: $"Source{i}.cs")),
        machine ? s_framework.Value.Add(MetadataReference.CreateFromFile(typeof(TranslatedImage).Assembly.Location)) : s_framework.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: allowUnsafe, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>The additional file GuestImages.targets makes of an image: its bytes as hex, marked as a guest image.</summary>
    public static AdditionalText ImageFile(string imagePath, byte[] bytes) => new HexImage(imagePath, Hex(bytes));

    public static AdditionalText ImageFile(string imagePath, string? text) => new HexImage(imagePath, text);

    public static GeneratorDriver Driver(params AdditionalText[] files) => CSharpGeneratorDriver.Create(
        new[] { new GuestImageGenerator().AsSourceGenerator() },
        additionalTexts: files,
        parseOptions: ParseOptions,
        optionsProvider: new Options(files.OfType<HexImage>().ToDictionary(f => f.Path, f => f.ImagePath)),
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static ImagesOutcome Run(CSharpCompilation compilation, params AdditionalText[] files)
    {
        GeneratorDriver driver = Driver(files).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return new ImagesOutcome(driver, driver.GetRunResult(), diagnostics, output);
    }

    private static string Hex(byte[] bytes)
    {
        var text = new StringBuilder();
        for (int i = 0; i < bytes.Length; i++)
        {
            text.Append(bytes[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            if (i % 32 == 31)
            {
                text.Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>An image's hexadecimal file under obj/ (null text: the file cannot be read).</summary>
    private sealed class HexImage(string imagePath, string? text) : AdditionalText
    {
        public string ImagePath { get; } = imagePath;

        public override string Path { get; } = System.IO.Path.Combine("obj", "guest-images", System.IO.Path.GetFileName(imagePath) + "." + imagePath.GetHashCode(StringComparison.Ordinal).ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + ".hex");

        public override SourceText? GetText(CancellationToken cancellationToken = default) => text is null ? null : SourceText.From(text, Encoding.UTF8);
    }

    /// <summary>The build metadata the .editorconfig MSBuild writes gives each marked additional file.</summary>
    private sealed class Options(Dictionary<string, string> images) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions => Metadata.None;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Metadata.None;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile)
            => images.TryGetValue(textFile.Path, out string? image)
                ? new Metadata(new() { [GuestImageGenerator.MarkerMetadata] = "true", [GuestImageGenerator.SourceMetadata] = image })
                : Metadata.None;
    }

    private sealed class Metadata(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly Metadata None = new([]);

        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}

internal sealed record ImagesOutcome(GeneratorDriver Driver, GeneratorDriverRunResult Result, ImmutableArray<Diagnostic> Diagnostics, Compilation Output)
{
    public ImmutableArray<GeneratedSourceResult> Sources => Result.Results.Single().GeneratedSources;

    public IEnumerable<Diagnostic> Errors => Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error);
}
