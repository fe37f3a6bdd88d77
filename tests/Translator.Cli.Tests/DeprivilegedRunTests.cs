using System.Text.Json;
using Translator.Tests.Shared;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Cli.Tests;

/// <summary><c>translator run IMAGE --backend bt|trap</c>: the contract of every backend, and the VMM's interventions in --stats.</summary>
public sealed class DeprivilegedRunTests
{
    private static string Image() => TranslatorProcess.WriteTemp(MultibootImage.Build(a =>
    {
        // Touch the stack first: a callout that takes a hidden page fault (an unshadowed page) runs again after it.
        a.push(eax);
        a.pop(eax);
        a.cli();
        a.pushfd();
        a.pop(eax);
        MultibootImage.EmitPrint(a, "bt\n");
        MultibootImage.EmitExit(a, 3);
    }));

    [Fact]
    public void BtCountsEveryCalloutByMnemonic()
    {
        string stats = Path.Combine(Path.GetTempPath(), $"translator-stats-{Guid.NewGuid():N}.json");

        TranslatorProcess.Result result = TranslatorProcess.Run("run", Image(), "--backend", "bt", "--stats", stats);

        Assert.Equal("bt\n", result.StdoutText);
        Assert.Equal((3 << 1) | 1, result.ExitCode);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(stats));
        JsonElement root = json.RootElement;
        Assert.Equal("bt", root.GetProperty("backend").GetString());
        JsonElement events = root.GetProperty("events");
        Assert.Equal(1, events.GetProperty("callout.cli").GetInt64());
        Assert.Equal(1, events.GetProperty("callout.pushfd").GetInt64());
        Assert.Equal(3 + 1, events.GetProperty("callout.out").GetInt64()); // per character a THR write; the debug exit
        Assert.Equal(3, events.GetProperty("callout.in").GetInt64());      // and an LSR poll
        Assert.True(root.GetProperty("modeledCycles").GetUInt64() > root.GetProperty("guestInstructions").GetUInt64());
        long interventions = events.GetProperty("vmm.interventions").GetInt64();
        Assert.True(interventions >= 1 + 1 + 4 + 3, "every callout is an intervention");
        double share = root.GetProperty("directExecutionShare").GetDouble();
        Assert.Equal(1 - ((double)interventions / root.GetProperty("guestInstructions").GetInt64()), share, 5);
    }

    [Fact]
    public void TrapCountsEveryTrappedInstruction()
    {
        string stats = Path.Combine(Path.GetTempPath(), $"translator-stats-{Guid.NewGuid():N}.json");

        TranslatorProcess.Result result = TranslatorProcess.Run("run", Image(), "--backend", "trap", "--stats", stats);

        Assert.Equal("bt\n", result.StdoutText);
        Assert.Equal((3 << 1) | 1, result.ExitCode);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(stats));
        JsonElement events = json.RootElement.GetProperty("events");
        Assert.Equal(1, events.GetProperty("trap.cli").GetInt64());
        Assert.False(events.TryGetProperty("trap.pushfd", out _)); // PUSHF does not trap: one of the holes
        Assert.False(events.TryGetProperty("fault.GP", out _));    // the guest never saw the #GPs the VMM handled
    }

    [Fact]
    public void HolesShowUnderTrapAndNotUnderBt()
    {
        TranslatorProcess.Result native = TranslatorProcess.Run("run", "Holes", "--backend", "native");
        TranslatorProcess.Result bt = TranslatorProcess.Run("run", "Holes", "--backend", "bt");
        TranslatorProcess.Result trap = TranslatorProcess.Run("run", "Holes", "--backend", "trap");

        Assert.Equal(native.StdoutText, bt.StdoutText);
        Assert.NotEqual(native.StdoutText, trap.StdoutText);
        Assert.Equal(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "samples", "Holes", "expected-trap.txt")), trap.StdoutText);
    }
}
