using System.Diagnostics;
using Iced.Intel;
using Translator.Tests.Shared;
using Xunit;

namespace Translator.Cli.Tests;

/// <summary>
/// <c>translator run --snapshot-at N --snapshot FILE</c> and <c>translator resume FILE</c> as a user runs them: the
/// two halves print the whole run's bytes and end with its code; a snapshot that is corrupt, truncated, foreign or of
/// another format version, or a move the techniques cannot make, is exit 2 with one clear line and no stack trace.
/// </summary>
public sealed class SnapshotCommandTests
{
    private static readonly string Image = Path.Combine(RepositoryRoot.Path, "tests", "guests", "build", "pit_irq.bin");

    [Fact]
    public void HwSnapshotResumedUnderBtIsTheWholeRun()
    {
        TranslatorProcess.Result whole = TranslatorProcess.Run("run", Image, "--backend", "hw");
        string snapshot = TempPath(".snap");
        string stats = TempPath(".json");
        TranslatorProcess.Result first = TranslatorProcess.Run("run", Image, "--backend", "hw", "--snapshot-at", "400000", "--snapshot", snapshot);
        Assert.True(first.ExitCode == 8, first.Stderr);
        Assert.Contains("written to", first.Stderr, StringComparison.Ordinal);
        TranslatorProcess.Result rest = TranslatorProcess.Run("resume", snapshot, "--backend", "bt", "--stats", stats);

        Assert.Equal(whole.ExitCode, rest.ExitCode);
        Assert.Equal(whole.Stdout, (byte[])[.. first.Stdout, .. rest.Stdout]);
        Assert.NotEmpty(first.Stdout);
        Assert.NotEmpty(rest.Stdout);
        Assert.Contains("\"backend\": \"bt\"", File.ReadAllText(stats), StringComparison.Ordinal);

        // Back again, from bt to native at a later point of the resumed run, through a second snapshot.
        string second = TempPath(".snap");
        TranslatorProcess.Result saved = TranslatorProcess.Run("run", Image, "--backend", "bt", "--snapshot-at", "700000", "--snapshot", second);
        Assert.True(saved.ExitCode == 8, saved.Stderr);
        TranslatorProcess.Result native = TranslatorProcess.Run("resume", second, "--backend", "native");
        Assert.Equal(whole.ExitCode, native.ExitCode);
        Assert.Equal(whole.Stdout, (byte[])[.. saved.Stdout, .. native.Stdout]);
    }

    [Fact]
    public void GuestEndingBeforeThePointWritesNothing()
    {
        string snapshot = TempPath(".snap");
        TranslatorProcess.Result run = TranslatorProcess.Run("run", Image, "--snapshot-at", "999999999999", "--snapshot", snapshot);
        Assert.Equal(TranslatorProcess.Run("run", Image).ExitCode, run.ExitCode);
        Assert.Contains("no snapshot written", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(snapshot));
    }

    [Fact]
    public void BadSnapshotsAreRefusedClearly()
    {
        string snapshot = TempPath(".snap");
        Assert.Equal(8, TranslatorProcess.Run("run", Image, "--snapshot-at", "300000", "--snapshot", snapshot).ExitCode);
        byte[] good = File.ReadAllBytes(snapshot);

        byte[] flipped = [.. good];
        flipped[good.Length / 2] ^= 0x40;
        byte[] otherVersion = [.. good];
        otherVersion[8] = 99;

        AssertRefused(TranslatorProcess.WriteTemp(good[..(good.Length / 3)], ".snap"), "corrupt or truncated");
        AssertRefused(TranslatorProcess.WriteTemp(flipped, ".snap"), "corrupt or truncated");
        AssertRefused(Image, "not a translator snapshot");
        AssertRefused(TranslatorProcess.WriteTemp([], ".snap"), "not a translator snapshot");
        AssertRefused(TranslatorProcess.WriteTemp(otherVersion, ".snap"), "format version 99");
        AssertRefused(TempPath(".snap"), "cannot read");
        AssertRefused(snapshot, "trap", "--backend", "trap");
    }

    [Fact]
    public void SnapshotOptionsAreCheckedBeforeRunning()
    {
        TranslatorProcess.Result alone = TranslatorProcess.Run("run", Image, "--snapshot-at", "100");
        Assert.Equal(2, alone.ExitCode);
        Assert.Contains("--snapshot-at N needs --snapshot FILE", alone.Stderr, StringComparison.Ordinal);
        TranslatorProcess.Result pv = TranslatorProcess.Run("run", "Hello", "--backend", "pv", "--snapshot-at", "100", "--snapshot", TempPath(".snap"));
        Assert.Equal(2, pv.ExitCode);
        Assert.Contains("pv guests cannot be snapshotted", pv.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, TranslatorProcess.Run("resume", TempPath(".snap"), "--backend", "pv").ExitCode);
    }

    [Fact]
    public async Task SigusrOneSavesTheRunningVmAndTheRestRunsElsewhere()
    {
        // Counts down 150 million (a second or more of guest time), then prints "D" and exits with 0.
        string image = TranslatorProcess.WriteTemp(MultibootImage.Build(a =>
        {
            Label loop = a.CreateLabel();
            a.mov(AssemblerRegisters.ecx, 150_000_000);
            a.Label(ref loop);
            a.dec(AssemblerRegisters.ecx);
            a.jnz(loop);
            MultibootImage.EmitPrint(a, "D\n");
            MultibootImage.EmitExit(a, 0);
        }));
        string snapshot = TempPath(".snap");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "translator.dll"), "run", image, "--snapshot", snapshot, "--progress" })
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> readOut = process.StandardOutput.ReadToEndAsync();
        // The first progress line comes once the handler is in place: only then is the signal the tool's to catch.
        string? first = process.StandardError.ReadLine();
        Assert.NotNull(first);
        Assert.Contains($"kill -USR1 {process.Id} saves it", first, StringComparison.Ordinal);
        using (Process kill = Process.Start("kill", ["-USR1", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
        }

        string rest = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the tool did not stop after SIGUSR1");
        string stdout = await readOut;

        Assert.True(process.ExitCode == 8, rest);
        Assert.Equal("", stdout); // stopped before the countdown ended
        Assert.Contains($"written to {snapshot}", rest, StringComparison.Ordinal);
        TranslatorProcess.Result resumed = TranslatorProcess.Run("resume", snapshot, "--backend", "hw");
        Assert.True(resumed.ExitCode == 1, resumed.Stderr);
        Assert.Equal("D\n", resumed.StdoutText);
        File.Delete(image);
        File.Delete(snapshot);
    }

    private static void AssertRefused(string path, string why, params string[] more)
    {
        TranslatorProcess.Result result = TranslatorProcess.Run(["resume", path, .. more]);
        Assert.True(result.ExitCode == 2, $"{path}: exit {result.ExitCode}: {result.Stderr}");
        Assert.Contains(why, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    private static string TempPath(string extension) => Path.Combine(Path.GetTempPath(), $"translator-test-{Guid.NewGuid():N}{extension}");
}
