using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Translator.Tests.Shared;
using Xunit;

namespace Translator.Translation.Generator.Tests;

/// <summary>The build-time host: what a project with <c>&lt;GuestImage&gt;</c> items gets, and what bad items get instead.</summary>
public sealed class GeneratorTests
{
    private static readonly byte[] Sieve = GeneratorHarness.Image("sieve.elf");

    [Fact]
    public void AGuestImageBecomesTheCoreTranslationRegisteredOnLoad()
    {
        ImagesOutcome outcome = GeneratorHarness.Run(GeneratorHarness.Compilation(), GeneratorHarness.ImageFile("Images/sieve.elf", Sieve));

        TranslationResult expected = BinaryTranslator.Translate(Sieve, new TranslationOptions { RegisterOnLoad = true });
        GeneratedSourceResult source = Assert.Single(outcome.Sources);
        Assert.Equal(expected.Namespace + "." + expected.ClassName + ".Translation.g.cs", source.HintName);
        Assert.Equal(expected.Source, source.SourceText.ToString());
        Assert.DoesNotContain(outcome.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(outcome.Errors);
    }

    [Fact]
    public void OneImageListedTwiceIsOneClass()
    {
        ImagesOutcome outcome = GeneratorHarness.Run(GeneratorHarness.Compilation(),
            GeneratorHarness.ImageFile("Images/sieve.elf", Sieve), GeneratorHarness.ImageFile("copy/of/sieve.elf", Sieve));

        Assert.Single(outcome.Sources);
        Assert.Empty(outcome.Errors);
    }

    [Fact]
    public void AnImageTheTranslatorRejectsIsTRN0100OnThatImage()
    {
        byte[] notAKernel = new byte[256];
        ImagesOutcome outcome = GeneratorHarness.Run(GeneratorHarness.Compilation(), GeneratorHarness.ImageFile("broken.bin", notAKernel));

        Diagnostic diagnostic = Assert.Single(outcome.Diagnostics);
        Assert.Equal("TRN0100", diagnostic.Id);
        Assert.Equal("broken.bin", diagnostic.Location.GetLineSpan().Path);
        Assert.Contains("broken.bin", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(outcome.Sources);
    }

    [Fact]
    public void APvImageIsTranslatedWithItsHypercallSitesAsDirectCalls()
    {
        byte[] pv = PvTestImage.Build((a, d) =>
        {
            PvTestImage.Hypercall(a, 17);
            PvTestImage.ExitWithResult(a, d);
        });

        ImagesOutcome outcome = GeneratorHarness.Run(GeneratorHarness.Compilation(), GeneratorHarness.ImageFile("Images/pv.bin", pv));

        GeneratedSourceResult source = Assert.Single(outcome.Sources);
        Assert.Contains("cpu.TcHypercall(0x00000011u, budget - left);", source.SourceText.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(outcome.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(outcome.Errors);
    }

    [Fact]
    public void APvImageWithAPrivilegedInstructionIsTRN0105NamingItAndItsAddress()
    {
        byte[] pv = PvTestImage.Build((a, d) =>
        {
            a.nop();
            a.mov(Iced.Intel.AssemblerRegisters.cr3, Iced.Intel.AssemblerRegisters.eax);
            PvTestImage.ExitWithResult(a, d);
        });

        ImagesOutcome outcome = GeneratorHarness.Run(GeneratorHarness.Compilation(), GeneratorHarness.ImageFile("kernel-pv.bin", pv));

        Diagnostic diagnostic = Assert.Single(outcome.Diagnostics);
        Assert.Equal("TRN0105", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("kernel-pv.bin", diagnostic.Location.GetLineSpan().Path);
        Assert.Contains("privileged instruction at 0x00100031: mov cr3,eax", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(outcome.Sources);
        Assert.Empty(outcome.Errors);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("12 3")]
    [InlineData("zz")]
    public void AnImageThatCannotBeReadIsTRN0101(string? hex)
    {
        ImagesOutcome outcome = GeneratorHarness.Run(GeneratorHarness.Compilation(), GeneratorHarness.ImageFile("missing.elf", hex));

        Diagnostic diagnostic = Assert.Single(outcome.Diagnostics);
        Assert.Equal("TRN0101", diagnostic.Id);
        Assert.Empty(outcome.Sources);
    }

    [Fact]
    public void AProjectWithoutTranslatorMachineGetsTRN0103()
    {
        ImagesOutcome outcome = GeneratorHarness.Run(GeneratorHarness.Compilation(machine: false), GeneratorHarness.ImageFile("Images/sieve.elf", Sieve));

        Assert.Equal("TRN0103", Assert.Single(outcome.Diagnostics).Id);
        Assert.Empty(outcome.Sources);
    }

    [Fact]
    public void AProjectWithoutUnsafeCodeGetsTRN0104()
    {
        ImagesOutcome outcome = GeneratorHarness.Run(GeneratorHarness.Compilation(allowUnsafe: false), GeneratorHarness.ImageFile("Images/sieve.elf", Sieve));

        Assert.Equal("TRN0104", Assert.Single(outcome.Diagnostics).Id);
        Assert.Empty(outcome.Sources);
    }

    [Fact]
    public void AnUnrelatedEditLeavesTheTranslationCached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation();
        ImagesOutcome first = GeneratorHarness.Run(compilation, GeneratorHarness.ImageFile("Images/sieve.elf", Sieve));
        CSharpCompilation edited = compilation.AddSyntaxTrees(
            CSharpSyntaxTree.ParseText("public static class Unrelated { public static int Answer => 42; }", GeneratorHarness.ParseOptions, path: "Unrelated.cs"));

        GeneratorRunResult second = first.Driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in new[] { GuestImageGenerator.GuestImagesStep, GuestImageGenerator.ProjectStep, GuestImageGenerator.TranslationsStep })
        {
            IncrementalStepRunReason[] reasons = second.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
        }
    }

    [Fact]
    public void AChangedImageIsTranslatedAgain()
    {
        byte[] io = GeneratorHarness.Image("io_heavy.bin");
        AdditionalText before = GeneratorHarness.ImageFile("kernel.bin", Sieve);
        AdditionalText after = GeneratorHarness.ImageFile("kernel.bin", io);
        ImagesOutcome first = GeneratorHarness.Run(GeneratorHarness.Compilation(), before);

        GeneratorDriver driver = first.Driver.ReplaceAdditionalText(before, after);
        GeneratorRunResult second = driver.RunGenerators(GeneratorHarness.Compilation()).GetRunResult().Results.Single();

        Assert.Contains(second.TrackedSteps[GuestImageGenerator.TranslationsStep].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        string expected = BinaryTranslator.Translate(io, new TranslationOptions { RegisterOnLoad = true }).Source;
        Assert.Equal(expected, Assert.Single(second.GeneratedSources).SourceText.ToString());
    }
}
