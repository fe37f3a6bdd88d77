using System.Text.Json;
using Translator.Tests.Shared;
using Xunit;

namespace Translator.Cli.Tests;

/// <summary>
/// The PV guest written in assembly from docs/paravirt-abi.md alone (tests/guests/asm/pv_guest.asm): console, timer
/// events, a page-table update, refused requests, a ring-3 task with system calls, the exit through port 0xF4.
/// </summary>
public sealed class PvAsmGuestTests
{
    [Fact]
    public void PvGuestWrittenFromTheAbiDocumentRunsUnderPv()
    {
        string image = PvGuestImage();

        TranslatorProcess.Result run = TranslatorProcess.Run("run", image, "--backend", "pv", "--max-instructions", "50000000");

        string expected = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "tests", "guests", "asm", "pv_guest.expected.txt"));
        Assert.Equal(expected, run.StdoutText);
        Assert.True(run.ExitCode == 1, $"exit code {run.ExitCode} (1 = V 0 written to port 0xF4); stderr: {run.Stderr}");
    }

    /// <summary>The fast PV path: the same bytes, exit code and retired count as the interpreter (the reference).</summary>
    [Fact]
    public void TheTranslatedPathGivesTheInterpretersOutputExitCodeAndInstructionCount()
    {
        string image = PvGuestImage();
        string interpreterStats = TranslatorProcess.WriteTemp([], ".json"), translatedStats = TranslatorProcess.WriteTemp([], ".json");

        TranslatorProcess.Result interpreted = TranslatorProcess.Run("run", image, "--backend", "pv", "--execution", "interpreter", "--stats", interpreterStats);
        TranslatorProcess.Result translated = TranslatorProcess.Run("run", image, "--backend", "pv", "--execution", "translated", "--stats", translatedStats);

        Assert.Equal(interpreted.Stdout, translated.Stdout);
        Assert.Equal(1, interpreted.ExitCode);
        Assert.Equal(interpreted.ExitCode, translated.ExitCode);
        using JsonDocument reference = JsonDocument.Parse(File.ReadAllText(interpreterStats));
        using JsonDocument fast = JsonDocument.Parse(File.ReadAllText(translatedStats));
        Assert.Equal("interpreter", reference.RootElement.GetProperty("execution").GetString());
        Assert.Equal("translated", fast.RootElement.GetProperty("execution").GetString());
        Assert.Equal(reference.RootElement.GetProperty("guestInstructions").GetUInt64(), fast.RootElement.GetProperty("guestInstructions").GetUInt64());
        JsonElement events = fast.RootElement.GetProperty("events");
        Assert.True(events.GetProperty("bt.instructionsInRegions").GetInt64() > 800, "most of the guest runs in translated code");
        Assert.True(events.GetProperty("pv.directHypercalls").GetInt64() > 40, "hypercall sites are direct calls");
        Assert.True(events.TryGetProperty("bt.cache.hit", out _) || events.TryGetProperty("bt.cache.miss", out _));
        Assert.False(reference.RootElement.GetProperty("events").TryGetProperty("bt.regions", out _));
    }

    [Theory]
    [InlineData("bt")]
    public void ExecutionAppliesToPvNativeHwAndTrapOnly(string backend)
    {
        TranslatorProcess.Result run = TranslatorProcess.Run("run", PvGuestImage(), "--backend", backend, "--execution", "translated");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--execution applies to the pv, native, hw and trap backends only", run.Stderr);
    }

    [Fact]
    public void APvImageWithAPrivilegedInstructionIsRefusedOnTheTranslatedPath()
    {
        string image = TranslatorProcess.WriteTemp(PvTestImage.Build((a, d) =>
        {
            a.nop();
            a.hlt();
            PvTestImage.ExitWithResult(a, d);
        }));

        TranslatorProcess.Result run = TranslatorProcess.Run("run", image, "--backend", "pv", "--execution", "translated");

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Stdout);
        Assert.Contains("privileged instruction at 0x00100031: hlt", run.Stderr);
    }

    [Theory]
    [InlineData("native")]
    [InlineData("hw")]
    [InlineData("bt")]
    [InlineData("trap")]
    public void PvGuestIsRefusedByTheOtherBackends(string backend)
    {
        TranslatorProcess.Result run = TranslatorProcess.Run("run", PvGuestImage(), "--backend", backend);

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Stdout);
    }

    [Fact]
    public void CompareRunsAPvImageOnPvOnlyAndCountsEveryEntryIntoTheVmm()
    {
        TranslatorProcess.Result run = TranslatorProcess.Run("compare", PvGuestImage());

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"\npv +1 +identical +[0-9,]+ .* 87: hypercall\.console_io=52 ", run.StdoutText);
        Assert.Matches(@"\npv \(translated\) +1 +identical +[0-9,]+ .* 87: hypercall\.console_io=52 ", run.StdoutText);
        Assert.Contains("native: not run (a PV image has no bare-metal build)", run.StdoutText);
    }

    [Fact]
    public void ASampleUnderPvRunsItsPvBuildWithTheBareMetalOutput()
    {
        TranslatorProcess.Result run = TranslatorProcess.Run("run", "Hello", "--backend", "pv", "--execution", "translated");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "samples", "Hello", "expected.txt")), run.StdoutText);
    }

    [Fact]
    public void ImagePvWritesTheKernelsPvBuildAndABareMetalImageFileUnderPvSaysItHasNoPvBuild()
    {
        string directory = Directory.CreateTempSubdirectory("translator-pv-").FullName;
        try
        {
            string pv = Path.Combine(directory, "hello-pv.bin");
            string bare = Path.Combine(directory, "hello.bin");
            Assert.Equal(0, TranslatorProcess.Run("image", "Hello", "--pv", "--out", pv).ExitCode);
            Assert.Equal(0, TranslatorProcess.Run("image", "Hello", "--out", bare).ExitCode);
            Assert.Equal(0x3156_5054u, BitConverter.ToUInt32(File.ReadAllBytes(pv), 0));

            TranslatorProcess.Result pvRun = TranslatorProcess.Run("run", pv, "--backend", "pv");
            Assert.Equal(1, pvRun.ExitCode);
            Assert.StartsWith("Hello", pvRun.StdoutText);

            TranslatorProcess.Result bareRun = TranslatorProcess.Run("run", bare, "--backend", "pv");
            Assert.Equal(2, bareRun.ExitCode);
            Assert.Empty(bareRun.Stdout);
            Assert.Contains("paravirtualization needs a guest built for the interface", bareRun.Stderr);

            TranslatorProcess.Result noBuild = TranslatorProcess.Run("image", bare, "--pv", "--out", Path.Combine(directory, "x.bin"));
            Assert.Equal(2, noBuild.ExitCode);
            Assert.Contains("has no PV build", noBuild.Stderr);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string PvGuestImage()
    {
        string asm = Path.Combine(RepositoryRoot.Path, "tests", "guests", "asm");
        string build = Path.Combine(RepositoryRoot.Path, "tests", "guests", "build");
        string image = Path.Combine(build, "pv_guest.bin");
        ProcessResult make = ProcessRunner.Run("make", ["-C", asm, $"BUILD={build}", image], TimeSpan.FromMinutes(2));
        Assert.True(make.ExitCode == 0 && File.Exists(image), "make pv_guest.bin failed (nasm is installed by scripts/prerequisites.sh)");
        return image;
    }
}
