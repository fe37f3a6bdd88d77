using Xunit;

namespace Translator.Cli.Tests;

/// <summary>The conventional surface of the command: help with examples, version, completion, typo suggestions, one-line usage errors.</summary>
public sealed class CommandLineTests
{
    public static TheoryData<string> Commands => new() { "run", "compare", "image", "translate" };

    [Fact]
    public void HelpListsEveryCommandAndExamples()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("--help");

        Assert.Equal(0, result.ExitCode);
        foreach (string command in new[] { "run", "compare", "image", "translate" })
        {
            Assert.Contains($"  {command} <", result.StdoutText, StringComparison.Ordinal);
        }

        Assert.Contains("Examples:", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("2 bad input", result.StdoutText, StringComparison.Ordinal); // the exit codes are documented where users look
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryCommandHasHelpWithExamples(string command)
    {
        TranslatorProcess.Result result = TranslatorProcess.Run(command, "--help");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"translator {command} <", result.StdoutText, StringComparison.Ordinal); // its usage line
        string examples = result.StdoutText[result.StdoutText.IndexOf("Examples:", StringComparison.Ordinal)..];
        Assert.Contains($"  translator {command} ", examples, StringComparison.Ordinal);
        Assert.Contains("--progress", result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public void RunHelpKeepsEveryOptionOfTheContract()
    {
        string help = TranslatorProcess.Run("run", "--help").StdoutText;

        foreach (string option in new[] { "--backend", "--stats", "--max-instructions", "--memory", "--paging", "--execution", "--cost", "--kernel" })
        {
            Assert.Contains(option, help, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void HelpAsACommandStillWorks()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("help", "image");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("translator image <", result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public void NoCommandIsBadUsageWithTheHelpOnStderr()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run();

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Stdout);
        Assert.Contains("Commands:", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void VersionIsPrinted()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("--version");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.StdoutText);
    }

    [Theory]
    [InlineData(new[] { "run", "Hello", "--bakend", "hw" }, "unknown option '--bakend' (did you mean '--backend'?)")]
    [InlineData(new[] { "run", "Hello", "--max-instrutions", "5" }, "unknown option '--max-instrutions' (did you mean '--max-instructions'?)")]
    [InlineData(new[] { "image", "Hello", "--out", "x.bin", "--kernal", "A" }, "unknown option '--kernal' (did you mean '--kernel'?)")]
    [InlineData(new[] { "cmpare", "Hello" }, "unknown command 'cmpare' (did you mean 'compare'?)")]
    public void TyposGetTheNearestSpelling(string[] args, string expected)
    {
        TranslatorProcess.Result result = TranslatorProcess.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Stdout);
        Assert.Equal($"translator: {expected}\n", result.Stderr);
    }

    [Theory]
    [InlineData(new[] { "run", "Hello", "--frobnicate" }, "translator: unknown option '--frobnicate'\n")]
    [InlineData(new[] { "compare", "Hello", "--backend", "hw" }, "translator: unknown option '--backend'\n")]
    [InlineData(new[] { "translate", "Hello", "--out", "d", "--pv" }, "translator: unknown option '--pv'\n")]
    [InlineData(new[] { "image", "Hello" }, "translator: image: missing --out FILE\n")]
    [InlineData(new[] { "run" }, "translator: run: missing IMAGE|SAMPLE|PROJECT\n")]
    [InlineData(new[] { "run", "Hello", "--paging", "shadow" }, "translator: --paging applies to the hw backend only (not 'native')\n")]
    [InlineData(new[] { "run", "Hello", "--backend", "hw", "--paging", "nested" }, "translator: --paging needs ept or shadow, not 'nested'\n")]
    [InlineData(new[] { "run", "Hello", "--cost", "vmExit" }, "translator: --cost needs NAME=CYCLES, not 'vmExit'\n")]
    public void AUsageErrorIsOneLineNamingTheCulpritAndExitCode2(string[] args, string expected)
    {
        TranslatorProcess.Result result = TranslatorProcess.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Stdout);
        Assert.Equal(expected, result.Stderr); // no usage line after it, no stack trace
    }

    [Fact]
    public void ShellCompletionOffersOptionsAndSamples()
    {
        const string line = "translator run --back";
        TranslatorProcess.Result options = TranslatorProcess.Run($"[suggest:{line.Length}]", line);
        Assert.Equal(0, options.ExitCode);
        Assert.Equal(["--backend"], options.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        const string backends = "translator run Hello --backend ";
        TranslatorProcess.Result values = TranslatorProcess.Run($"[suggest:{backends.Length}]", backends);
        Assert.Equal(0, values.ExitCode);
        Assert.Subset(new HashSet<string> { "native", "hw", "bt", "pv", "trap" }, values.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet());
    }

    [Theory]
    [InlineData("--bakend", "--backend", 1)]
    [InlineData("--backedn", "--backend", 1)]
    [InlineData("--backend", "--backend", 0)]
    [InlineData("--mmeory", "--memory", 1)]
    public void SpellingDistanceCountsASwapAsOneEdit(string typed, string known, int distance) =>
        Assert.Equal(distance, Spelling.Distance(typed, known));

    [Fact]
    public void NothingFarOffIsSuggested() => Assert.Equal("", Spelling.Suggest("--frobnicate", ["--backend", "--stats", "--memory"]));
}
