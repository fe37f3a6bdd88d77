using Translator.Tests.Shared;
using Translator.Samples;
using Xunit;

namespace Translator.Cli.Tests;

/// <summary>Sample kernels by name: <c>translator run SAMPLE</c> and <c>translator image SAMPLE|PROJECT --out FILE</c>.</summary>
public sealed class SampleCommandTests
{
    [Fact]
    public void RunsASampleByName()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("run", "hello", "--backend", "native");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(SampleCatalog.Find("Hello")!.ExpectedOutput, result.Stdout);
    }

    [Fact]
    public void WritesASampleImage()
    {
        string output = Path.Combine(Path.GetTempPath(), $"translator-image-{Guid.NewGuid():N}.bin");

        TranslatorProcess.Result result = TranslatorProcess.Run("image", "Compute", "--out", output);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(SampleCatalog.Find("Compute")!.Image, File.ReadAllBytes(output));
    }

    [Fact]
    public void BuildsAGuestProjectAndWritesItsImage()
    {
        string project = Path.Combine(RepositoryRoot.Path, "samples", "Hello", "Hello.csproj");
        string output = Path.Combine(Path.GetTempPath(), $"translator-image-{Guid.NewGuid():N}.bin");

        TranslatorProcess.Result result = TranslatorProcess.Run("image", project, "--out", output);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(SampleCatalog.Find("Hello")!.Image, File.ReadAllBytes(output));
    }

    [Fact]
    public void UnknownSampleIsBadInput()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("run", "NoSuchKernel");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no such file, sample", result.Stderr);
    }

    [Fact]
    public void ImageNeedsAnOutput()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("image", "Hello");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--out", result.Stderr);
    }
}
