using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// The pipeline's models are values: an edit that does not change a kernel leaves every image-producing step
/// Cached or Unchanged on the next run, and an edit that does change it is seen.
/// </summary>
public sealed class IncrementalityTests
{
    private const string KernelSource = """
        using Translator.Guest;

        [GuestKernel]
        public static partial class Counter
        {
            private static uint Ticks;

            [Entry]
            static void Start()
            {
                for (uint i = 0; i < 10; i++)
                {
                    Ticks += i;
                }

                Console.WriteDecimal(Ticks);
                Machine.Exit(0);
            }
        }
        """;

    private static readonly string[] ImageSteps =
    {
        KernelCompilerGenerator.KernelClassesStep,
        KernelCompilerGenerator.GuestCodeClassesStep,
        KernelCompilerGenerator.AllGuestCodeStep,
        KernelCompilerGenerator.KernelImagesStep,
    };

    [Fact]
    public void AnUnrelatedFileLeavesEveryStepCachedOrUnchanged()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = RunOnce();
        CSharpCompilation edited = compilation.AddSyntaxTrees(
            CSharpSyntaxTree.ParseText("public static class Unrelated { public static int Answer => 42; }", GeneratorHarness.ParseOptions, path: "Unrelated.cs"));

        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in ImageSteps)
        {
            AssertAll(result, step, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        }
    }

    [Fact]
    public void ACommentInTheKernelFileLeavesTheImageUnchanged()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = RunOnce();
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(
            tree.GetText().WithChanges(new Microsoft.CodeAnalysis.Text.TextChange(new Microsoft.CodeAnalysis.Text.TextSpan(tree.Length, 0), "\n// a note\n"))));

        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAll(result, KernelCompilerGenerator.KernelClassesStep, IncrementalStepRunReason.Unchanged);
        AssertAll(result, KernelCompilerGenerator.KernelImagesStep, IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void ChangingTheKernelProducesANewImage()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = RunOnce();
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(KernelSource.Replace("i < 10", "i < 11"), GeneratorHarness.ParseOptions, path: tree.FilePath));

        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAll(result, KernelCompilerGenerator.KernelClassesStep, IncrementalStepRunReason.Modified);
        AssertAll(result, KernelCompilerGenerator.KernelImagesStep, IncrementalStepRunReason.Modified);
    }

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) RunOnce()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(KernelSource);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        GeneratorRunResult first = driver.GetRunResult().Results.Single();
        Assert.Null(first.Exception);
        Assert.Empty(first.Diagnostics);
        return (driver, compilation);
    }

    private static void AssertAll(GeneratorRunResult result, string step, params IncrementalStepRunReason[] allowed)
    {
        Assert.True(result.TrackedSteps.TryGetValue(step, out var runs), $"step {step} was not tracked");
        foreach (IncrementalGeneratorRunStep run in runs)
        {
            foreach ((object _, IncrementalStepRunReason reason) in run.Outputs)
            {
                Assert.True(allowed.Contains(reason), $"step {step} output was {reason}, expected {string.Join(" or ", allowed)}");
            }
        }
    }
}
