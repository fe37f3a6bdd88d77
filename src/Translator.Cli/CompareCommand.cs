using System.Globalization;
using System.Text;
using Translator.Machine.Loader;
using Translator.Vmm;

namespace Translator.Cli;

/// <summary>
/// <c>translator compare IMAGE|SAMPLE</c>: runs the guest on every backend that applies and prints one table: time,
/// instructions, VMM interventions by kind, modeled cycles, and whether every backend printed the same bytes and
/// exited with the same code as bare metal. The bare-metal image runs on native, hw, bt and trap; a kernel's PV build
/// runs on pv (an external bare-metal image has none, and its pv row says so).
/// </summary>
internal static class CompareCommand
{
    /// <summary>One column of the comparison: a backend and, for hw, its memory virtualization.</summary>
    private sealed record Configuration(string Name, BackendKind Backend, MemoryVirtualization Paging,
        ParavirtExecution Execution = ParavirtExecution.Interpreter);

    private static readonly Configuration[] s_configurations =
    [
        new("native", BackendKind.Native, MemoryVirtualization.NestedPaging),
        new("hw (EPT)", BackendKind.HardwareAssisted, MemoryVirtualization.NestedPaging),
        new("hw (shadow)", BackendKind.HardwareAssisted, MemoryVirtualization.ShadowPaging),
        new("bt", BackendKind.BinaryTranslation, MemoryVirtualization.ShadowPaging),
        new("pv", BackendKind.Paravirtual, MemoryVirtualization.NestedPaging),
        new("pv (translated)", BackendKind.Paravirtual, MemoryVirtualization.NestedPaging, ParavirtExecution.Translated),
        new("trap", BackendKind.TrapAndEmulate, MemoryVirtualization.ShadowPaging),
    ];

    public static int Execute(string reference, ulong maxInstructions, TextWriter stdout, TextWriter stderr)
    {
        GuestImages? builds = GuestImageSource.LoadBuilds(reference, stderr);
        if (builds is null)
        {
            return ExitCodes.BadInput;
        }

        var runs = new List<(Configuration Configuration, VmRunResult Run)>();
        var missing = new List<string>();
        foreach (Configuration configuration in s_configurations)
        {
            bool paravirtual = configuration.Backend == BackendKind.Paravirtual;
            byte[]? image = paravirtual ? builds.Paravirt : builds.BareMetal;
            if (image is null)
            {
                if (configuration.Execution == ParavirtExecution.Translated)
                {
                    continue; // the pv row already says why
                }

                missing.Add(paravirtual
                    ? $"{configuration.Name}: no PV build (paravirtualization needs a kernel built for the interface)"
                    : $"{configuration.Name}: not run (a PV image has no bare-metal build)");
                continue;
            }

            var options = new VmOptions
            {
                Backend = configuration.Backend, Paging = configuration.Paging, Execution = configuration.Execution, MaxInstructions = maxInstructions,
            };
            try
            {
                runs.Add((configuration, VirtualMachine.Create(image, options).Run()));
            }
            catch (InvalidImageException e) when (configuration.Execution == ParavirtExecution.Translated)
            {
                // The fast path refuses a PV image that still holds a privileged instruction; the reference ran it.
                missing.Add($"{configuration.Name}: not run ({e.Message})");
            }
            catch (InvalidImageException e)
            {
                stderr.WriteLine($"translator: {reference}: {e.Message}");
                return ExitCodes.BadInput;
            }
        }

        stdout.Write(Table(reference, runs, missing));
        return runs.All(r => Equivalent(r.Run, runs[0].Run)) ? 0 : 1;
    }

    private static string Table(string reference, List<(Configuration Configuration, VmRunResult Run)> runs, List<string> missing)
    {
        VmRunResult reference0 = runs[0].Run;
        var rows = new List<string[]>
        {
            new[] { "backend", "exit", "output", "guest instr.", "total s", "translation", "MIPS", "modeled cycles", "VMM interventions" },
        };
        foreach ((Configuration configuration, VmRunResult run) in runs)
        {
            VmStatistics s = run.Statistics;
            rows.Add(
            [
                configuration.Name,
                run.ExitCode.ToString(CultureInfo.InvariantCulture),
                Equivalent(run, reference0) ? "identical" : "DIFFERS",
                s.GuestInstructions.ToString("N0", CultureInfo.InvariantCulture),
                s.WallSeconds.ToString("F2", CultureInfo.InvariantCulture),
                TranslationShare(s.Times),
                s.GuestMips.ToString("F1", CultureInfo.InvariantCulture),
                s.ModeledCycles.ToString("N0", CultureInfo.InvariantCulture),
                Interventions(s),
            ]);
        }

        int[] widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{reference}: {reference0.Console.Length} console bytes");
        foreach (string[] row in rows)
        {
            for (int c = 0; c < row.Length; c++)
            {
                bool numeric = c is >= 3 and <= 7;
                bool last = c == row.Length - 1;
                text.Append(numeric ? row[c].PadLeft(widths[c]) : last ? row[c] : row[c].PadRight(widths[c]));
                text.Append(last ? "\n" : "  ");
            }
        }

        foreach (string line in missing)
        {
            text.AppendLine(line);
        }

        return text.ToString();
    }

    /// <summary>The share of the row's total time spent obtaining translated code ("-" for a backend that translates nothing).</summary>
    private static string TranslationShare(RunTimes times) =>
        times.TranslationSeconds <= 0 || times.WallSeconds <= 0
            ? "-"
            : times.TranslationSeconds / times.WallSeconds < 0.005
                ? "<1%"
                : (times.TranslationSeconds / times.WallSeconds).ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal);

    /// <summary>Popek and Goldberg's equivalence as far as a run shows it: the same console bytes and exit code.</summary>
    private static bool Equivalent(VmRunResult run, VmRunResult bareMetal) =>
        run.ExitCode == bareMetal.ExitCode && run.Console.AsSpan().SequenceEqual(bareMetal.Console);

    /// <summary>VM exits, callouts, trapped instructions, hypercalls, bounces and upcalls by kind, most frequent first: "none" on bare metal.</summary>
    private static string Interventions(VmStatistics s)
    {
        string[] prefixes = ["exit.", "callout.", "trap.", "hypercall."];
        // pv's bounces and upcalls are entries into the VMM as well (its other pv.* counters are totals or sub-counts).
        string[] exact = ["pv.bounces", "pv.upcalls"];
        List<KeyValuePair<string, long>> all = s.Events
            .Where(e => (prefixes.Any(p => e.Key.StartsWith(p, StringComparison.Ordinal)) || exact.Contains(e.Key)) && e.Value > 0)
            .OrderByDescending(e => e.Value)
            .ToList();
        List<string> kinds = all.Take(4).Select(e => $"{e.Key}={e.Value.ToString(CultureInfo.InvariantCulture)}").ToList();
        long total = all.Sum(e => e.Value);
        string more = all.Count > kinds.Count ? " ..." : "";
        return kinds.Count == 0 ? "none" : $"{total.ToString(CultureInfo.InvariantCulture)}: {string.Join(' ', kinds)}{more}";
    }
}
