using Xunit;

namespace Translator.Cli.Tests;

/// <summary><c>translator compare</c>: one table over every backend, and the verdict on equivalence.</summary>
public sealed class CompareCommandTests
{
    [Fact]
    public void ComparesEveryBackendAndFindsTheOutputsIdentical()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("compare", "Microbench");

        Assert.True(result.ExitCode == 0, result.Stderr);
        string[] rows = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(rows, r => r.StartsWith("native ", StringComparison.Ordinal) && r.Contains("identical") && r.EndsWith("none"));
        Assert.Contains(rows, r => r.StartsWith("hw (EPT)", StringComparison.Ordinal) && r.Contains("identical") && r.Contains("exit.IO_INSTRUCTION="));
        Assert.Contains(rows, r => r.StartsWith("hw (shadow)", StringComparison.Ordinal) && r.Contains("identical") && r.Contains("exit.INVLPG="));
        Assert.Contains(rows, r => r.StartsWith("bt ", StringComparison.Ordinal) && r.Contains("identical") && r.Contains("callout.mov_cr="));
        Assert.Contains(rows, r => r.StartsWith("trap ", StringComparison.Ordinal) && r.Contains("identical") && r.Contains("trap.invlpg="));
    }

    [Fact]
    public void TheHolesDifferUnderTrapOnly()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("compare", "Holes");

        Assert.Equal(1, result.ExitCode); // not every backend printed the same bytes
        string[] rows = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(rows, r => r.StartsWith("bt ", StringComparison.Ordinal) && r.Contains("identical"));
        Assert.Contains(rows, r => r.StartsWith("trap ", StringComparison.Ordinal) && r.Contains("DIFFERS"));
    }

    [Fact]
    public void BadImageIsBadInput()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("compare", TranslatorProcess.WriteTemp([1, 2, 3]));

        Assert.Equal(2, result.ExitCode);
    }
}
