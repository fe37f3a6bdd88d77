using Translator.Samples;
using Translator.Translation;
using Xunit;

namespace Translator.Cli.Tests;

/// <summary><c>translator translate IMAGE|SAMPLE --out DIR</c>: the C# binary translation produces, and the contract for bad input.</summary>
public sealed class TranslateCommandTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), $"translator-translate-{Guid.NewGuid():N}");

    static TranslateCommandTests()
    {
        // translate includes the interpreter fallbacks earlier runs recorded in the cache: none here, whatever the user's cache holds.
        Environment.SetEnvironmentVariable("TRANSLATOR_CACHE_DIR", Path.Combine(Path.GetTempPath(), $"translator-cache-cli-{Guid.NewGuid():N}"));
    }

    /// <summary>
    /// What the tool (translator.dll beside these tests) compiles at run time: without asking the JIT for full
    /// optimization when the crossgen2 shipped beside it precompiles translations.
    /// </summary>
    private static TranslationOptions RunTimeHostOptions => new()
    {
        AggressiveOptimization = !(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64
            && File.Exists(Path.Combine(AppContext.BaseDirectory, "crossgen2", "crossgen2"))),
    };

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [Fact]
    public void WritesTheTranslationOfASampleAndSummarizesIt()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("translate", "Hello", "--out", _output);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Empty(result.Stdout);
        TranslationResult expected = BinaryTranslator.Translate(SampleCatalog.Find("Hello")!.Image, RunTimeHostOptions);
        string file = Assert.Single(Directory.GetFiles(_output));
        Assert.Equal(expected.ClassName + ".cs", Path.GetFileName(file));
        Assert.Equal(expected.Source, File.ReadAllText(file));
        Assert.Contains($"{expected.Regions} regions, {expected.Instructions} instructions", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(" ms", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void WritesTheTranslationOfAnImageFile()
    {
        byte[] image = SampleCatalog.Find("Compute")!.Image;
        string path = TranslatorProcess.WriteTemp(image);
        try
        {
            TranslatorProcess.Result result = TranslatorProcess.Run("translate", path, "--out", _output);

            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Equal(BinaryTranslator.Translate(image, RunTimeHostOptions).Source, File.ReadAllText(Assert.Single(Directory.GetFiles(_output))));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void CompileBuildsAndPrecompilesTheTranslationAsACacheMissDoes()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("translate", "Hello", "--out", _output, "--compile");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Matches(@"compiled to \d+ bytes in [0-9.]+ ms, precompiled to \d+ bytes of ReadyToRun image in [0-9.]+ ms", result.Stderr);
    }

    [Fact]
    public void AnImageTheTranslatorRejectsIsBadInput()
    {
        string path = TranslatorProcess.WriteTemp(new byte[300]);
        try
        {
            TranslatorProcess.Result result = TranslatorProcess.Run("translate", path, "--out", _output);

            Assert.Equal(2, result.ExitCode);
            Assert.Contains("cannot be translated", result.Stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(_output));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("translate: missing --out DIR", "translate", "Hello")]
    [InlineData("translate: missing IMAGE|SAMPLE|PROJECT", "translate", "--out", "x")]
    [InlineData("option --out needs a value", "translate", "Hello", "--out")]
    [InlineData("unknown option '--backend'", "translate", "Hello", "--out", "x", "--backend", "bt")]
    public void BadArgumentsAreBadInput(string error, params string[] args)
    {
        TranslatorProcess.Result result = TranslatorProcess.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"translator: {error}\n", result.Stderr); // the error alone: no usage line after it (issue 14)
    }

    [Fact]
    public void AMissingImageIsBadInput()
    {
        TranslatorProcess.Result result = TranslatorProcess.Run("translate", "/no/such/kernel.elf", "--out", _output);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot read image", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnwritableOutputIsBadInput()
    {
        string file = TranslatorProcess.WriteTemp([1, 2, 3]);
        try
        {
            TranslatorProcess.Result result = TranslatorProcess.Run("translate", "Hello", "--out", Path.Combine(file, "sub"));

            Assert.Equal(2, result.ExitCode);
            Assert.Contains("cannot write", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
