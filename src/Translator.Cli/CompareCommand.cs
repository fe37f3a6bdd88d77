using System.CommandLine;
using System.Globalization;
using System.Text;
using Translator.Cli.Report;
using Translator.Machine;
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
    /// <summary>One column of the comparison: a backend and, for hw, its memory virtualization; null tiers follow <c>--execution</c>.</summary>
    private sealed record Configuration(string Name, BackendKind Backend, MemoryVirtualization Paging,
        ExecutionTier? Execution = null);

    /// <summary>How many kinds of intervention a row names before it sums up the rest.</summary>
    private const int ShownKinds = 4;

    private static readonly Configuration[] s_configurations =
    [
        new("native", BackendKind.Native, MemoryVirtualization.NestedPaging),
        new("hw (EPT)", BackendKind.HardwareAssisted, MemoryVirtualization.NestedPaging),
        new("hw (shadow)", BackendKind.HardwareAssisted, MemoryVirtualization.ShadowPaging),
        new("bt", BackendKind.BinaryTranslation, MemoryVirtualization.ShadowPaging),
        new("pv", BackendKind.Paravirtual, MemoryVirtualization.NestedPaging),
        new("pv (translated)", BackendKind.Paravirtual, MemoryVirtualization.NestedPaging, ExecutionTier.Translated),
        new("trap", BackendKind.TrapAndEmulate, MemoryVirtualization.ShadowPaging),
    ];

    public static readonly string[] Examples =
    [
        "translator compare Microbench",
        "translator compare tests/guests/build/bench.elf --progress",
        "translator compare tests/guests/build/bench.elf --execution interpreter",
        "translator compare samples/Holes --max-instructions 10000000",
        "translator compare MyKernels --kernel Second",
        "translator compare Microbench --html report.html --json report.json",
    ];

    public static Command Create()
    {
        Argument<string> source = CommonOptions.Source("IMAGE|SAMPLE|PROJECT",
            "A multiboot image, a sample kernel's name, or a guest project (.csproj or its folder)");
        Option<ulong> maxInstructions = CommonOptions.MaxInstructions();
        Option<int> memory = CommonOptions.Memory();
        Option<string?> kernel = CommonOptions.Kernel();
        Option<bool> progress = CommonOptions.ShowProgress();
        Option<ExecutionTier> execution = CommonOptions.Execution("every backend (bt: its translation source alike): ");
        var html = new Option<string?>("--html")
        {
            HelpName = "FILE.html",
            Description = "Also write the comparison as one self-contained HTML page with charts (docs/report.md); runs each backend a second time, a block at a time, to split its cycles by output line",
        };
        var json = new Option<string?>("--json")
        {
            HelpName = "FILE.json",
            Description = "Also write the comparison's data as JSON (schema in docs/report.md); like --html, splits each run by output line",
        };
        var command = new Command("compare",
            "Run a guest on every backend that applies and print one table: exit code, output (identical, DIFFERS, crashed, budget), "
            + "instructions, time, MIPS, modeled cycles, VMM interventions. Exit code 0 when every backend agreed, 1 otherwise")
        {
            source, maxInstructions, memory, kernel, progress, execution, html, json,
        };
        command.SetAction(parsed => Execute(parsed.GetRequiredValue(source), parsed.GetValue(kernel), CommonOptions.Budget(parsed.GetValue(maxInstructions)),
            parsed.GetValue(memory), Console.Out, Console.Error, Progress.For(parsed.GetValue(progress), Console.Error),
            new ReportFiles(parsed.GetValue(html), parsed.GetValue(json)), parsed.GetValue(execution)));
        return command;
    }

    /// <summary>Where the report goes besides the table (<c>--html</c>, <c>--json</c>); both null for the table alone.</summary>
    public sealed record ReportFiles(string? Html, string? Json)
    {
        public bool Any => Html is not null || Json is not null;
    }

    public static int Execute(string reference, string? kernel, ulong maxInstructions, int memoryMiB, TextWriter stdout, TextWriter stderr, Progress progress,
        ReportFiles? files = null, ExecutionTier execution = ExecutionTier.Tiered)
    {
        GuestImages? builds = GuestImageSource.LoadBuilds(reference, kernel, progress, stderr);
        if (builds is null)
        {
            return ExitCodes.BadInput;
        }

        var runs = new List<(Configuration Configuration, VmRunResult Run)>();
        var phased = new List<PhasedRun?>();
        var missing = new List<string>();
        DateTimeOffset rtcBase = DateTimeOffset.UtcNow; // one CMOS clock start for every backend, so their outputs compare
        for (int index = 0; index < s_configurations.Length; index++)
        {
            Configuration configuration = s_configurations[index];
            bool paravirtual = configuration.Backend == BackendKind.Paravirtual;
            byte[]? image = paravirtual ? builds.Paravirt : builds.BareMetal;
            if (image is null)
            {
                if (configuration.Execution == ExecutionTier.Translated)
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
                Backend = configuration.Backend, Paging = configuration.Paging, Execution = configuration.Execution ?? execution,
                Translation = execution switch
                {
                    ExecutionTier.Interpreter => TranslationSource.InterpreterOnly,
                    ExecutionTier.Translated => TranslationSource.Cached,
                    _ => TranslationSource.Tiered,
                },
                MaxInstructions = maxInstructions, MemoryMiB = memoryMiB, Devices = new() { RtcBase = rtcBase },
            };
            try
            {
                // One step per backend, translation included: a 50-second compare says where it is.
                VirtualMachine? vm = null;
                VmRunResult run = progress.Step($"compare {reference}: {configuration.Name} ({index + 1}/{s_configurations.Length})", () =>
                {
                    vm = VirtualMachine.Create(image, options);
                    return vm.Run();
                }, elapsed => vm is null ? (RunCommand.Translates(options) ? "translating" : null) : Progress.Retired(vm.Backend.GuestInstructions, elapsed));
                runs.Add((configuration, run));
                if (files?.Any == true)
                {
                    // The same run again, a block at a time: deterministic, so it must end as the timed one did.
                    phased.Add(progress.Step($"compare {reference}: {configuration.Name}, by output line", () => OutputPhases.Record(image, options), _ => null));
                }
            }
            catch (InvalidImageException e) when (configuration.Execution == ExecutionTier.Translated)
            {
                // The fast path refuses a PV image that still holds a privileged instruction; the reference ran it.
                missing.Add($"{configuration.Name}: not run ({e.Message})");
            }
            catch (InvalidImageException e)
            {
                stderr.WriteLine($"translator: {reference}: {e.Message}");
                return ExitCodes.BadInput;
            }
            catch (ArgumentException e)
            {
                stderr.WriteLine($"translator: {reference} cannot run on {configuration.Name}: {e.Message}");
                return ExitCodes.BadInput;
            }
        }

        stdout.Write(Table(reference, runs, missing));
        if (files?.Any == true && !WriteReport(reference, runs, phased, missing, files, stderr))
        {
            return ExitCodes.BadInput;
        }

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
                Outcome(run, reference0),
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

        // What stopped a run that did not end as bare metal did, in the machine's words.
        foreach ((Configuration configuration, VmRunResult run) in runs)
        {
            if (!Equivalent(run, reference0) && run.Result.Reason is MachineStopReason.Crashed or MachineStopReason.BudgetExhausted)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{configuration.Name}: {Outcome(run, reference0)}: {run.Result.Message}");
            }
        }

        return text.ToString();
    }

    private static bool WriteReport(string reference, List<(Configuration Configuration, VmRunResult Run)> runs, List<PhasedRun?> phased,
        List<string> missing, ReportFiles files, TextWriter stderr)
    {
        VmRunResult reference0 = runs[0].Run;
        var backends = runs.Select((r, i) =>
        {
            PhasedRun? phases = phased[i];
            string? problem = phases is null ? "not split by output line" : PhasesProblem(r.Run, phases);
            return new BackendReport(r.Configuration.Name, r.Run, Outcome(r.Run, reference0), problem is null ? phases : null, problem);
        }).ToList();
        var report = new ComparisonReport(reference, reference0.Console.Length, backends, missing);
        string? path = null;
        try
        {
            if ((path = files.Json) is not null)
            {
                using FileStream stream = File.Create(path);
                report.WriteJson(stream);
            }

            if ((path = files.Html) is not null)
            {
                File.WriteAllText(path, HtmlReport.Write(report));
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            stderr.WriteLine($"translator: cannot write the report to '{path}': {e.Message}");
            return false;
        }
    }

    /// <summary>Why the block-by-block run cannot stand for the timed one, if it ended otherwise (null when it repeated it).</summary>
    private static string? PhasesProblem(VmRunResult timed, PhasedRun phases) =>
        !timed.Console.AsSpan().SequenceEqual(phases.Console) ? "the run split by output line printed other bytes than the timed run"
        : timed.Statistics.GuestInstructions != phases.GuestInstructions
            ? $"the run split by output line retired {phases.GuestInstructions:N0} instructions, the timed run {timed.Statistics.GuestInstructions:N0}"
        : timed.Statistics.ModeledCycles != phases.ModeledCycles
            ? $"the run split by output line modeled {phases.ModeledCycles:N0} cycles, the timed run {timed.Statistics.ModeledCycles:N0}"
        : null;

    /// <summary>The share of the row's total time spent obtaining translated code ("-" for a backend that translates nothing).</summary>
    private static string TranslationShare(RunTimes times) =>
        times.TranslationSeconds <= 0 || times.WallSeconds <= 0
            ? "-"
            : times.TranslationSeconds / times.WallSeconds < 0.005
                ? "<1%"
                : (times.TranslationSeconds / times.WallSeconds).ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal);

    /// <summary>
    /// The output column: "identical" when the run printed what bare metal printed and exited alike; otherwise why
    /// not: "crashed" (triple fault or something the machine does not model), "budget" (--max-instructions ran out),
    /// or "DIFFERS" (other bytes or another exit code).
    /// </summary>
    internal static string Outcome(VmRunResult run, VmRunResult bareMetal) =>
        Equivalent(run, bareMetal) ? "identical" : run.Result.Reason switch
        {
            MachineStopReason.Crashed => "crashed",
            MachineStopReason.BudgetExhausted => "budget",
            _ => "DIFFERS",
        };

    /// <summary>Popek and Goldberg's equivalence as far as a run shows it: the same console bytes and exit code.</summary>
    private static bool Equivalent(VmRunResult run, VmRunResult bareMetal) =>
        run.ExitCode == bareMetal.ExitCode && run.Console.AsSpan().SequenceEqual(bareMetal.Console);

    /// <summary>VM exits, callouts, trapped instructions, hypercalls, bounces and upcalls by kind, most frequent first: "none" on bare metal.</summary>
    internal static string Interventions(VmStatistics s)
    {
        List<KeyValuePair<string, long>> all = OutputPhases.InterventionKinds(s.Events)
            .OrderByDescending(e => e.Value)
            .ToList();
        List<string> kinds = all.Take(ShownKinds).Select(e => $"{e.Key}={e.Value.ToString(CultureInfo.InvariantCulture)}").ToList();
        long total = all.Sum(e => e.Value);
        // The total counts every kind; the cut says how many kinds and interventions it leaves out.
        int hidden = all.Count - kinds.Count;
        string more = hidden > 0
            ? $" ... (+{hidden} more {(hidden == 1 ? "kind" : "kinds")}: {all.Skip(ShownKinds).Sum(e => e.Value).ToString(CultureInfo.InvariantCulture)})"
            : "";
        return kinds.Count == 0 ? "none" : $"{total.ToString(CultureInfo.InvariantCulture)}: {string.Join(' ', kinds)}{more}";
    }
}
