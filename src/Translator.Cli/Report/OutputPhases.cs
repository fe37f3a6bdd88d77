using Translator.Machine;
using Translator.Vmm;
using Translator.Vmm.Backends;

namespace Translator.Cli.Report;

/// <summary>
/// The work a guest did before one line of its console output: from the end of the previous line (or the start) to
/// the first byte of this one. Printing the lines themselves is in none of them.
/// </summary>
/// <param name="Line">The console line this work came before, without its newline.</param>
/// <param name="GuestInstructions">Instructions retired in the phase.</param>
/// <param name="ModeledCycles">Modeled cycles of the phase (the cost model's total, as <c>--stats</c> gives it for a whole run).</param>
/// <param name="Interventions">The phase's VMM interventions by kind (the kinds of <see cref="InterventionKinds"/>).</param>
internal sealed record OutputPhase(string Line, ulong GuestInstructions, ulong ModeledCycles, IReadOnlyDictionary<string, long> Interventions)
{
    /// <summary>The line up to its first colon ("call/ret" for "call/ret: 1000"): a benchmark's name in Microbench.</summary>
    public string Name => Line.Split(':', 2)[0].Trim();
}

/// <summary>
/// A whole run cut at its console lines: the phases, and the rest (printing the lines, and the work after the last
/// one) as one sum, so that phases plus rest are the run's totals.
/// </summary>
internal sealed record PhasedRun(
    IReadOnlyList<OutputPhase> Phases,
    ulong OutputInstructions,
    ulong OutputModeledCycles,
    ulong GuestInstructions,
    ulong ModeledCycles,
    byte[] Console);

/// <summary>
/// Runs a guest a block at a time (<see cref="IExecutionBackend.Run(ulong)"/>: a time slice of one instruction ends
/// at the next block boundary) and reads the machine's counters between blocks, where they are whole. A phase ends
/// where printing its line starts and the next begins after the block that prints its newline, so a phase holds no
/// console output and all of it belongs to the work before its line. Printing starts before the line's first byte:
/// a driver reads the UART's status first, so the blocks with port accesses right before that byte's block are
/// printing too (the work before them ends with a block that touched no port). Under hw and trap the status read's
/// exit or trap ends its block early, and the rest of that block is one more block before the byte's: printing too.
/// </summary>
internal static class OutputPhases
{
    private sealed record Counters(ulong Instructions, ulong Cycles, long PortAccesses, IReadOnlyDictionary<string, long> Interventions);

    /// <summary>How many blocks back a phase's end is looked for (a status poll that waits longer is counted as the phase's).</summary>
    private const int History = 256;

    public static PhasedRun Record(byte[] image, VmOptions options)
    {
        var console = new List<byte>();
        VirtualMachine vm = VirtualMachine.Create(image, options with { Console = console.Add });
        IExecutionBackend backend = vm.Backend;
        var phases = new List<(Counters Start, Counters End)>();
        Counters? phaseStart = Read(backend, options.Cost);
        var history = new List<Counters> { phaseStart }; // the counters after each block of the open phase, the last few
        while (true)
        {
            int printed = console.Count;
            ulong retired = backend.GuestInstructions;
            MachineResult result = backend.Run(retired + 1);
            bool atLineStart = printed == 0 || console[printed - 1] == (byte)'\n';
            if (console.Count > printed && atLineStart && phaseStart is not null)
            {
                // This block printed the line's first byte: the phase ended before it and the port accesses leading to it.
                int last = history.Count - 1;
                if (last > 1 && !TouchedPort(history, last) && TouchedPort(history, last - 1) && Intervened(history, last - 1))
                {
                    last--; // the status read's exit or trap ended its block early: this was the rest of that block
                }

                while (last > 0 && TouchedPort(history, last))
                {
                    last--;
                }

                phases.Add((phaseStart, history[last]));
                phaseStart = null;
                history.Clear();
            }

            bool sliceEnded = result.Reason == MachineStopReason.BudgetExhausted && backend.GuestInstructions < options.MaxInstructions;
            if (!sliceEnded)
            {
                break;
            }

            bool lineDone = console.Count > 0 && console[^1] == (byte)'\n';
            if (lineDone && phaseStart is null)
            {
                phaseStart = Read(backend, options.Cost);
                history.Add(phaseStart);
            }
            else if (phaseStart is not null)
            {
                history.Add(Read(backend, options.Cost)); // the phase may end before the next block
                if (history.Count > History)
                {
                    history.RemoveAt(0);
                }
            }
        }

        Counters end = Read(backend, options.Cost);
        string[] lines = System.Text.Encoding.Latin1.GetString(console.ToArray()).Split('\n');
        var cut = new List<OutputPhase>();
        for (int i = 0; i < phases.Count; i++)
        {
            (Counters start, Counters stop) = phases[i];
            cut.Add(new OutputPhase(lines[i].TrimEnd('\r'), stop.Instructions - start.Instructions, stop.Cycles - start.Cycles,
                Difference(stop.Interventions, start.Interventions)));
        }

        ulong phaseInstructions = (ulong)cut.Sum(p => (decimal)p.GuestInstructions);
        ulong phaseCycles = (ulong)cut.Sum(p => (decimal)p.ModeledCycles);
        return new PhasedRun(cut, end.Instructions - phaseInstructions, end.Cycles - phaseCycles, end.Instructions, end.Cycles, console.ToArray());
    }

    /// <summary>
    /// The VMM interventions among a run's counters, by kind: VM exits, callouts, trapped instructions, hypercalls,
    /// pv's bounces and upcalls (its other pv.* counters are totals or sub-counts of these).
    /// </summary>
    public static SortedDictionary<string, long> InterventionKinds(IReadOnlyDictionary<string, long> events)
    {
        string[] prefixes = ["exit.", "callout.", "trap.", "hypercall."];
        string[] exact = ["pv.bounces", "pv.upcalls"];
        var kinds = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach ((string key, long value) in events)
        {
            if (value > 0 && (prefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)) || exact.Contains(key)))
            {
                kinds[key] = value;
            }
        }

        return kinds;
    }

    private static bool TouchedPort(List<Counters> history, int block) => history[block].PortAccesses > history[block - 1].PortAccesses;

    private static bool Intervened(List<Counters> history, int block) =>
        history[block].Interventions.Values.Sum() > history[block - 1].Interventions.Values.Sum();

    private static Counters Read(IExecutionBackend backend, CostParameters cost)
    {
        var events = new Dictionary<string, long>(StringComparer.Ordinal);
        backend.CollectEvents(events);
        return new Counters(backend.GuestInstructions, backend.ModelCycles(cost).Total, events.GetValueOrDefault("io.accesses"), InterventionKinds(events));
    }

    private static SortedDictionary<string, long> Difference(IReadOnlyDictionary<string, long> later, IReadOnlyDictionary<string, long> earlier)
    {
        var difference = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach ((string kind, long count) in later)
        {
            long delta = count - earlier.GetValueOrDefault(kind);
            if (delta != 0)
            {
                difference[kind] = delta;
            }
        }

        return difference;
    }
}
