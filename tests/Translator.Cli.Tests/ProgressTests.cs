using Iced.Intel;
using Translator.Samples;
using Translator.Tests.Shared;
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

    [Fact]
    public void OnATerminalAStatusLineShowsWhileTheGuestRunsAndIsClearedAfter()
    {
        // A guest that reads port 0x80 in a loop (~5 s on a 2-core CI machine, 110 MIPS), stopped by its budget.
        string image = TranslatorProcess.WriteTemp(MultibootImage.Build(a =>
        {
            Label loop = a.CreateLabel();
            a.mov(AssemblerRegisters.dx, 0x80);
            a.Label(ref loop);
            a.@in(AssemblerRegisters.al, AssemblerRegisters.dx);
            a.jmp(loop);
        }));
        string stdout = TranslatorProcess.WriteTemp([], ".out");
        string terminal = TranslatorProcess.WriteTemp([], ".tty");
        try
        {
            // script(1) gives the tool a pseudo-terminal as stderr; stdout goes to a file, as in `translator run X > out`.
            string dll = Path.Combine(AppContext.BaseDirectory, "translator.dll");
            string command = $"dotnet '{dll}' run '{image}' --max-instructions 600000000 > '{stdout}'";
            ProcessResult run = ProcessRunner.Run("script", ["-qec", command, terminal], TimeSpan.FromMinutes(3));

            Assert.Equal(6, run.ExitCode); // the budget's exit code, passed through script -e
            Assert.Empty(File.ReadAllBytes(stdout));
            string screen = File.ReadAllText(terminal);
            Assert.Contains($"running {image} on native: ", screen, StringComparison.Ordinal);
            Assert.Matches(@"[\d,]+ instructions\s+retired", screen);
            // The status line is erased and the cursor given back before the tool's last words.
            int erased = screen.LastIndexOf("\u001b[?25h", StringComparison.Ordinal);
            Assert.True(erased > screen.LastIndexOf("instructions", StringComparison.Ordinal), "the status line was not cleared");
            Assert.True(erased < screen.IndexOf("translator: budget exhausted: instruction budget of 600000000 exhausted", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(image);
            File.Delete(stdout);
            File.Delete(terminal);
        }
    }
}
