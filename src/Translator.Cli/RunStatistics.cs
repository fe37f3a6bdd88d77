using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Translator.Machine;
using Translator.Machine.Cpu;

namespace Translator.Cli;

/// <summary>The <c>--stats</c> JSON of DESIGN.md.</summary>
internal sealed record RunStatistics(
    string Backend,
    int ExitCode,
    string StopReason,
    ulong GuestInstructions,
    double WallSeconds,
    ulong ModeledCycles,
    double GuestMips,
    SortedDictionary<string, long> Events)
{
    public static RunStatistics From(string backend, PcMachine machine, MachineResult result, double wallSeconds)
    {
        var events = new SortedDictionary<string, long>(StringComparer.Ordinal);
        CpuCounters counters = machine.Cpu.Counters;
        for (int v = 0; v < counters.Exceptions.Length; v++)
        {
            if (counters.Exceptions[v] > 0)
            {
                events[$"fault.{GuestFault.Mnemonic((ExceptionVector)v)}"] = counters.Exceptions[v];
            }
        }

        for (int irq = 0; irq < counters.Irqs.Length; irq++)
        {
            if (counters.Irqs[irq] > 0)
            {
                events[$"irq.{irq}"] = counters.Irqs[irq];
            }
        }

        if (counters.SoftwareInterrupts > 0)
        {
            events["int.software"] = counters.SoftwareInterrupts;
        }

        events["io.accesses"] = machine.Io.Accesses;
        events["mmu.pageWalks"] = machine.Cpu.Mmu.PageWalks;
        events["code.blocksDecoded"] = counters.BlocksDecoded;
        events["code.invalidations"] = counters.CodeInvalidations;

        ulong instructions = machine.Cpu.Retired;
        ulong cycles = CostModel.NativeCycles(machine);
        double mips = wallSeconds > 0 ? instructions / wallSeconds / 1e6 : 0;
        return new RunStatistics(backend, result.ExitCode, result.Reason.ToString(), instructions, wallSeconds, cycles, mips, events);
    }

    public string ToJson()
    {
        var eventsNode = new JsonObject();
        foreach ((string name, long count) in Events)
        {
            eventsNode[name] = count;
        }

        var root = new JsonObject
        {
            ["backend"] = Backend,
            ["exitCode"] = ExitCode,
            ["stopReason"] = StopReason,
            ["guestInstructions"] = GuestInstructions,
            ["wallSeconds"] = Math.Round(WallSeconds, 6),
            ["modeledCycles"] = ModeledCycles,
            ["guestMips"] = Math.Round(GuestMips, 2),
            ["events"] = eventsNode,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
