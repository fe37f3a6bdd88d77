using Microsoft.CodeAnalysis;
using Translator.Machine.Translation;
using Translator.Tests.Shared;
using Translator.Translation;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// A DSL kernel in a project that references Translator.Machine also gets its image's binary translation (the
/// build-time host for DSL kernels); a project without it gets the image only.
/// </summary>
public sealed class KernelTranslationTests
{
    private static readonly string HelloSource = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "samples", "Hello", "Hello.cs"));

    private static MetadataReference Machine => MetadataReference.CreateFromFile(typeof(TranslatedImage).Assembly.Location);

    [Fact]
    public void TheKernelImageIsTranslatedBesideTheKernel()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(GeneratorHarness.CompilationWith([Machine], HelloSource));
        byte[] image = GeneratedImage.Bytes(outcome.GeneratedSource("Hello.Kernel.g.cs"));

        TranslationResult expected = BinaryTranslator.Translate(image,
            new TranslationOptions { Namespace = "Translator.Samples", ClassName = "HelloTranslation", RegisterOnLoad = true });
        Assert.Empty(outcome.Diagnostics);
        Assert.Equal(expected.Source, outcome.GeneratedSource("Translator.Samples.HelloTranslation.Translation.g.cs"));
        Assert.Empty(outcome.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void AnUnrelatedEditLeavesTheTranslationCached()
    {
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation compilation = GeneratorHarness.CompilationWith([Machine], HelloSource);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var edited = compilation.AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(
            "public static class Unrelated { public static int Answer => 42; }", GeneratorHarness.ParseOptions, path: "Unrelated.cs"));

        GeneratorRunResult second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in new[] { KernelCompilerGenerator.CanHoldTranslationStep, KernelCompilerGenerator.KernelTranslationsStep })
        {
            IncrementalStepRunReason[] reasons = second.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
        }
    }

    [Fact]
    public void WithoutTranslatorMachineThereIsNoTranslation() => AssertNoTranslation(GeneratorHarness.Run(HelloSource));

    [Fact]
    public void WithoutUnsafeCodeThereIsNoTranslation()
    {
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation compilation = GeneratorHarness.CompilationWith([Machine], HelloSource);

        AssertNoTranslation(GeneratorHarness.Run(compilation.WithOptions(compilation.Options.WithAllowUnsafe(false))));
    }

    private static void AssertNoTranslation(GeneratorOutcome outcome)
    {
        Assert.Empty(outcome.Diagnostics);
        Assert.DoesNotContain(outcome.Result.Results.Single().GeneratedSources, s => s.HintName.EndsWith(".Translation.g.cs", StringComparison.Ordinal));
    }
}
