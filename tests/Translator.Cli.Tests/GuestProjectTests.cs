using Translator.Tests.Shared;
using Xunit;

namespace Translator.Cli.Tests;

/// <summary>
/// Guest projects on the command line: <c>--kernel</c> picks one of several kernels, a project that did not change is
/// not handed to MSBuild again, a failed build shows its errors. One class, so its tests never build the project at once.
/// </summary>
public sealed class GuestProjectTests
{
    private static readonly string s_project = Path.Combine(RepositoryRoot.Path, "tests", "projects", "TwoKernels", "TwoKernels.csproj");

    private static string BuiltAssembly => Path.Combine(Path.GetDirectoryName(s_project)!, "obj", "translator", "TwoKernels.dll");

    private static string TempFile(string extension) => Path.Combine(Path.GetTempPath(), $"translator-test-{Guid.NewGuid():N}{extension}");

    [Fact]
    public void KernelChoosesOneOfSeveral()
    {
        TranslatorProcess.Result first = TranslatorProcess.Run("run", s_project, "--kernel", "First");
        TranslatorProcess.Result second = TranslatorProcess.Run("run", Path.GetDirectoryName(s_project)!, "--kernel", "second", "--backend", "hw");

        Assert.True(first.ExitCode == 3, first.Stderr); // Machine.Exit(1)
        Assert.Equal("first kernel\n", first.StdoutText);
        Assert.True(second.ExitCode == 5, second.Stderr); // Machine.Exit(2); the name matches whatever its case
        Assert.Equal("second kernel\n", second.StdoutText);
    }

    [Fact]
    public void SeveralKernelsWithoutAChoiceAreListed()
    {
        foreach (string[] args in new[] { new[] { "run", s_project }, ["image", s_project, "--out", TempFile(".bin")], ["compare", s_project] })
        {
            TranslatorProcess.Result result = TranslatorProcess.Run(args);

            Assert.Equal(2, result.ExitCode);
            Assert.Empty(result.Stdout);
            Assert.Contains("holds 2 guest kernels: First, Second; choose one with --kernel NAME", result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AnUnknownKernelNamesTheOnesThereAre()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("image", s_project, "--kernel", "Third", "--out", TempFile(".bin"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("has no guest kernel 'Third' (its kernels: First, Second)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void KernelAppliesToProjectsOnly()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("run", "Hello", "--kernel", "Hello");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--kernel chooses among the kernels of a guest project", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnchangedProjectIsNotRebuiltAndAChangedOneIs()
    {
        string image = TempFile(".bin");
        TranslatorProcess.Result warm = TranslatorProcess.Run("image", s_project, "--kernel", "First", "--out", image, "--progress");
        Assert.True(warm.ExitCode == 0, warm.Stderr);
        byte[] firstImage = File.ReadAllBytes(image);
        DateTime built = File.GetLastWriteTimeUtc(BuiltAssembly);

        TranslatorProcess.Result again = TranslatorProcess.Run("image", s_project, "--kernel", "First", "--out", image, "--progress");

        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("TwoKernels.csproj is up to date (not rebuilt)", again.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("building", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(built, File.GetLastWriteTimeUtc(BuiltAssembly)); // MSBuild did not even copy it
        Assert.Equal(firstImage, File.ReadAllBytes(image));

        // A source file written since the build makes the next call build again.
        string source = Path.Combine(Path.GetDirectoryName(s_project)!, "First.cs");
        File.SetLastWriteTimeUtc(source, DateTime.UtcNow);
        TranslatorProcess.Result changed = TranslatorProcess.Run("image", s_project, "--kernel", "First", "--out", image, "--progress");

        Assert.True(changed.ExitCode == 0, changed.Stderr);
        Assert.Contains("building TwoKernels.csproj", changed.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("up to date", changed.Stderr, StringComparison.Ordinal);
        Assert.Equal(firstImage, File.ReadAllBytes(image));
    }

    [Fact]
    public void EveryBuildErrorIsShownUpToTenAndTheRestCounted()
    {
        // A project outside the repository with twelve errors (one per line), no guest library needed to fail.
        string directory = Directory.CreateTempSubdirectory("translator-broken-").FullName;
        File.WriteAllText(Path.Combine(directory, "Broken.csproj"),
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>");
        File.WriteAllLines(Path.Combine(directory, "Broken.cs"),
            ["static class Broken", "{", "    static void M()", "    {", .. Enumerable.Range(0, 12).Select(i => $"        int a{i} = \"not a number\";"), "    }", "}"]);

        TranslatorProcess.Result result = TranslatorProcess.Run("image", directory, "--out", TempFile(".bin"));

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Stdout);
        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("failed with 12 errors:", lines[0], StringComparison.Ordinal);
        Assert.Equal(10, lines.Count(l => l.Contains("error CS0029", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.Contains("Broken.cs(5,", StringComparison.Ordinal)); // the first error is among them
        Assert.StartsWith("  ... and 2 more errors", lines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }
}
