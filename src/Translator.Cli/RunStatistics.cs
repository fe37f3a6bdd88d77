using System.Text.Json;
using System.Text.Json.Nodes;
using Translator.Vmm;

namespace Translator.Cli;

/// <summary>
/// The <c>--stats</c> JSON of DESIGN.md, written from the VMM's statistics. <c>wallSeconds</c> is the whole process
/// until the statistics are written (the operating system's start time of the process to now): its parts are
/// <c>startupSeconds</c> (the .NET runtime starting, the arguments, building the project or reading the image),
/// then the machine's own <see cref="RunTimes"/> (<c>setupSeconds</c>, <c>translateSeconds</c>,
/// <c>compileSeconds</c>, <c>cacheLoadSeconds</c>, <c>guestSeconds</c>), so they add up to it.
/// </summary>
internal sealed record RunStatistics(VmRunResult Run, MemoryVirtualization Paging, double ProcessWallSeconds)
{
    public static RunStatistics From(VmRunResult run, MemoryVirtualization paging)
        => new(run, paging, Math.Max(run.Statistics.WallSeconds, ProcessClock.SecondsSinceStart()));

    public string ToJson()
    {
        VmStatistics s = Run.Statistics;
        var eventsNode = new JsonObject();
        foreach ((string name, long count) in s.Events)
        {
            eventsNode[name] = count;
        }

        var root = new JsonObject
        {
            ["backend"] = s.Backend,
            ["exitCode"] = Run.ExitCode,
            ["stopReason"] = Run.Result.Reason.ToString(),
            ["guestInstructions"] = s.GuestInstructions,
            ["wallSeconds"] = Math.Round(ProcessWallSeconds, 6),
            ["startupSeconds"] = Math.Round(Math.Max(0, ProcessWallSeconds - s.Times.WallSeconds), 6),
            ["setupSeconds"] = Math.Round(s.Times.SetupSeconds, 6),
            ["translateSeconds"] = Math.Round(s.Times.TranslateSeconds, 6),
            ["compileSeconds"] = Math.Round(s.Times.CompileSeconds, 6),
            ["cacheLoadSeconds"] = Math.Round(s.Times.CacheLoadSeconds, 6),
            ["guestSeconds"] = Math.Round(s.Times.GuestSeconds, 6),
            ["modeledCycles"] = s.ModeledCycles,
            ["guestMips"] = Math.Round(s.GuestMips, 2),
            ["peakResidentKiB"] = Translator.Vmm.Backends.Bt.TranslationWorker.PeakResidentBytes() / 1024, // this process (the guest's), not a compile child
        };
        if (s.Execution is not null)
        {
            root["execution"] = s.Execution; // the tier that ran: interpreter (pv's reference), translated, or tiered (swapped in)
        }

        if (s.InProcessCompileReason is not null)
        {
            root["compileInProcessBecause"] = s.InProcessCompileReason; // the child compile process could not do it
        }

        if (s.Backend == "hw")
        {
            root["paging"] = Paging == MemoryVirtualization.ShadowPaging ? "shadow" : "ept";
            root["exits"] = s.Exits;
            root["exitsPerMillionInstructions"] = Math.Round(s.ExitsPerMillionInstructions, 2);
            root["instructionsBetweenExits"] = Math.Round(s.InstructionsBetweenExits, 1);
        }

        if (s.Events.TryGetValue("vmm.interventions", out long interventions) && s.GuestInstructions > 0)
        {
            // bt and trap: the share of guest instructions that ran without the VMM (each intervention is at most one).
            root["directExecutionShare"] = Math.Round(1 - ((double)interventions / s.GuestInstructions), 6);
        }

        var cycles = new JsonObject
        {
            ["instructions"] = s.Cycles.Instructions,
            ["deliveries"] = s.Cycles.Deliveries,
            ["vmExits"] = s.Cycles.Exits,
            ["vmmWork"] = s.Cycles.VmmWork,
            ["nestedWalks"] = s.Cycles.NestedWalks,
        };
        if (s.Cycles.BinaryTranslationEstimate is ulong bt)
        {
            cycles["binaryTranslationEstimate"] = bt;
        }

        root["modeledCyclesBreakdown"] = cycles;
        root["events"] = eventsNode;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}

/// <summary>The process's own age: what a user timing the command from outside sees, .NET's start-up included.</summary>
internal static class ProcessClock
{
    public static double SecondsSinceStart()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return (DateTime.Now - self.StartTime).TotalSeconds;
    }
}
