using Translator.Machine;
using Translator.Vmm;
using Xunit;

namespace Translator.Cli.Tests;

/// <summary>What <c>compare</c>'s columns say: why a run is not identical, and where the interventions list is cut.</summary>
public sealed class CompareOutcomeTests
{
    private static VmRunResult Run(MachineResult result, string console, params (string Name, long Count)[] events) =>
        new(result, System.Text.Encoding.ASCII.GetBytes(console),
            new VmStatistics("hw", 100, new RunTimes(0.1, 0, 0, 0, 0.1), new CycleAccount(100, 0, 0, 0, 0, null), events.ToDictionary(e => e.Name, e => e.Count)));

    private static readonly VmRunResult s_bareMetal = Run(MachineResult.DebugExit(0), "ok\n");

    [Fact]
    public void EachOutcomeInItsOwnWord()
    {
        Assert.Equal("identical", CompareCommand.Outcome(Run(MachineResult.DebugExit(0), "ok\n"), s_bareMetal));
        Assert.Equal("crashed", CompareCommand.Outcome(Run(MachineResult.Crashed("triple fault"), "o"), s_bareMetal));
        Assert.Equal("budget", CompareCommand.Outcome(Run(MachineResult.BudgetExhausted(10, 0x100000), "o"), s_bareMetal));
        Assert.Equal("DIFFERS", CompareCommand.Outcome(Run(MachineResult.DebugExit(0), "ko\n"), s_bareMetal));
        Assert.Equal("DIFFERS", CompareCommand.Outcome(Run(MachineResult.DebugExit(1), "ok\n"), s_bareMetal));
    }

    [Fact]
    public void ACrashLikeBareMetalsIsIdentical() =>
        Assert.Equal("identical", CompareCommand.Outcome(Run(MachineResult.Crashed("x"), ""), Run(MachineResult.Crashed("y"), "")));

    [Fact]
    public void ATruncatedListSaysWhatItLeftOut()
    {
        VmRunResult run = Run(MachineResult.DebugExit(0), "", ("exit.A", 60), ("exit.B", 50), ("exit.C", 40), ("exit.D", 30), ("exit.E", 20), ("exit.F", 10), ("fault.PF", 999));

        Assert.Equal("210: exit.A=60 exit.B=50 exit.C=40 exit.D=30 ... (+2 more kinds: 30)", CompareCommand.Interventions(run.Statistics));
    }

    [Fact]
    public void AShortListIsWhole()
    {
        VmRunResult run = Run(MachineResult.DebugExit(0), "", ("hypercall.console_io", 5), ("pv.bounces", 2));

        Assert.Equal("7: hypercall.console_io=5 pv.bounces=2", CompareCommand.Interventions(run.Statistics));
        Assert.Equal("none", CompareCommand.Interventions(Run(MachineResult.DebugExit(0), "").Statistics));
    }
}
