using Translator.Samples;
using Xunit;

namespace Translator.Cli.Tests;

/// <summary>Progress goes to stderr only: stdout stays exactly the guest's COM1 bytes, with <c>--progress</c> on.</summary>
public sealed class ProgressTests
{
    [Theory]
    [InlineData("native")]
    [InlineData("bt")]
    [InlineData("pv")]
    public void ProgressNeverReachesStdout(string backend)
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("run", "Compute", "--backend", backend, "--progress");

        Assert.True(result.ExitCode == 1, result.Stderr);
        Assert.Equal(SampleCatalog.Find("Compute")!.ExpectedOutput, result.Stdout);
        Assert.Contains($"translator: running Compute on {backend}: ", result.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"[\d,]+ instructions retired, [\d.]+ MIPS \(done in", result.Stderr);
    }

    [Fact]
    public void CompareReportsEachBackendOnStderrAndOnlyTheTableOnStdout()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("compare", "Hello", "--progress");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.DoesNotContain("translator:", result.StdoutText, StringComparison.Ordinal);
        Assert.StartsWith("Hello: ", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("translator: compare Hello: native (1/7)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("translator: compare Hello: trap (7/7)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutTheSwitchARedirectedStderrHearsNothing()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("run", "Hello", "--backend", "bt");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stderr);
    }
}
