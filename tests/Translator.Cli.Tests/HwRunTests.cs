using System.Text.Json;
using Translator.Tests.Shared;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Cli.Tests;

/// <summary><c>translator run IMAGE --backend hw</c>: the same contract as native, plus the exit profile in --stats.</summary>
public sealed class HwRunTests
{
    private static string Image() => TranslatorProcess.WriteTemp(MultibootImage.Build(a =>
    {
        a.xor(eax, eax);
        a.cpuid();
        MultibootImage.EmitPrint(a, "hw\n");
        MultibootImage.EmitExit(a, 3);
    }));

    [Theory]
    [InlineData("ept")]
    [InlineData("shadow")]
    public void StatsShowTheExitProfile(string paging)
    {
        string image = Image();
        string stats = Path.Combine(Path.GetTempPath(), $"translator-stats-{Guid.NewGuid():N}.json");

        TranslatorProcess.Result result = TranslatorProcess.Run("run", image, "--backend", "hw", "--paging", paging, "--stats", stats);

        Assert.Equal("hw\n", result.StdoutText);
        Assert.Equal((3 << 1) | 1, result.ExitCode);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(stats));
        JsonElement root = json.RootElement;
        Assert.Equal("hw", root.GetProperty("backend").GetString());
        Assert.Equal(paging, root.GetProperty("paging").GetString());
        JsonElement events = root.GetProperty("events");
        Assert.Equal(1, events.GetProperty("exit.CPUID").GetInt64());
        Assert.Equal(3 * 2 + 1, events.GetProperty("exit.IO_INSTRUCTION").GetInt64()); // per character an LSR poll and a THR write; the debug exit
        Assert.True(root.GetProperty("exitsPerMillionInstructions").GetDouble() > 0);
        Assert.True(root.GetProperty("modeledCycles").GetUInt64() > root.GetProperty("guestInstructions").GetUInt64());
    }

    [Fact]
    public void CostParametersCanBeOverridden()
    {
        string image = Image();
        string cheap = Path.Combine(Path.GetTempPath(), $"translator-stats-{Guid.NewGuid():N}.json");
        string dear = Path.Combine(Path.GetTempPath(), $"translator-stats-{Guid.NewGuid():N}.json");

        Assert.Equal(7, TranslatorProcess.Run("run", image, "--backend", "hw", "--cost", "vmExit=100", "--stats", cheap).ExitCode);
        Assert.Equal(7, TranslatorProcess.Run("run", image, "--backend", "hw", "--cost", "vmExit=100000", "--stats", dear).ExitCode);

        using JsonDocument a = JsonDocument.Parse(File.ReadAllText(cheap)), b = JsonDocument.Parse(File.ReadAllText(dear));
        long exits = a.RootElement.GetProperty("exits").GetInt64();
        Assert.Equal(
            exits * (100_000 - 100),
            (long)(b.RootElement.GetProperty("modeledCycles").GetUInt64() - a.RootElement.GetProperty("modeledCycles").GetUInt64()));
    }

    [Theory]
    [InlineData("--backend", "native", "--paging", "shadow")]
    [InlineData("--backend", "hw", "--paging", "tlb")]
    [InlineData("--backend", "hw", "--cost", "warpDrive=1")]
    [InlineData("--backend", "hw", "--cost", "vmExit")]
    [InlineData("--backend", "hw", "--memory", "3070")]
    public void BadHwOptionsAreBadInput(params string[] options)
    {
        TranslatorProcess.Result result = TranslatorProcess.Run(["run", Image(), .. options]);
        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Stdout);
        Assert.StartsWith("translator: ", result.Stderr);
    }
}
