using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Translator.Vmm;

namespace Translator.Cli;

/// <summary>
/// <c>translator host CONFIG.json</c>: many VMs in one VMM process under the proportional-share scheduler (docs/host.md).
/// Exit code: 0 when no VM ended badly, 2 for a bad config (nothing ran), 100 + N when N VMs ended badly.
/// </summary>
internal static class HostCommand
{
    /// <summary>Added to the number of VMs that ended badly: the host's exit code.</summary>
    public const int EndedBadlyBase = 100;

    public static readonly string[] Examples =
    [
        "translator host fleet.json",
        "translator host fleet.json --stats fleet-stats --threads 2",
    ];

    public static Command Create()
    {
        Argument<string> config = CommonOptions.Source("CONFIG.json", "The host's config: its CPUs, period, console and VMs (docs/host.md)");
        var stats = new Option<string?>("--stats") { HelpName = "DIRECTORY", Description = "Write each VM's statistics (NAME.json) and the host's summary (host.json)" };
        var threads = new Option<int>("--threads") { HelpName = "N", Description = "Host threads (default: the config's, else one per core); never changes the results" };
        var command = new Command("host", "Run many VMs, any mix of backends, in one VMM under a proportional-share scheduler")
        {
            config, stats, threads,
        };
        command.SetAction(parsed =>
        {
            using Stream stdout = Console.OpenStandardOutput();
            return Execute(parsed.GetRequiredValue(config), parsed.GetValue(stats), parsed.GetValue(threads), stdout, Console.Error);
        });
        return command;
    }

    public static int Execute(string configPath, string? statsDirectory, int threads, Stream stdout, TextWriter stderr)
    {
        HostConfig config;
        List<HostedVmSpec> specs;
        try
        {
            string text = File.ReadAllText(configPath);
            config = HostConfig.Parse(text, Path.GetDirectoryName(Path.GetFullPath(configPath))!);
            specs = config.Vms.Select(LoadImage).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"translator: cannot read config '{configPath}': {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (HostConfigException e)
        {
            stderr.WriteLine($"translator: {configPath}: {e.Message}");
            return ExitCodes.BadInput;
        }

        using var consoles = new ConsoleSink(config, stdout);
        var options = new HostOptions
        {
            Cpus = config.Cpus,
            Threads = threads > 0 ? threads : config.Threads ?? Environment.ProcessorCount,
            PeriodInstructions = config.PeriodInstructions,
            RunFor = config.RunFor,
            ConsoleOutput = consoles.Write,
        };
        VmHost host;
        try
        {
            host = VmHost.Create(specs, options);
        }
        catch (HostedVmSetupException e)
        {
            stderr.WriteLine($"translator: {configPath}: vms[{e.Index}].image: cannot run on {VmOptions.NameOf(specs[e.Index].Options.Backend)}: {e.Message}");
            return ExitCodes.BadInput;
        }

        HostResult result = host.Run();
        consoles.Close(result);
        HostReport.WriteTable(result, stderr);
        if (statsDirectory is not null)
        {
            try
            {
                HostReport.WriteStatistics(result, config, statsDirectory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                stderr.WriteLine($"translator: cannot write statistics to '{statsDirectory}': {e.Message}");
                return ExitCodes.BadInput;
            }
        }

        int bad = result.EndedBadly;
        return bad == 0 ? 0 : Math.Min(255, EndedBadlyBase + bad);
    }

    private static HostedVmSpec LoadImage(HostedVmEntry vm)
    {
        var reason = new StringWriter();
        GuestImages builds = GuestImageSource.LoadBuilds(vm.Image, vm.Kernel, Progress.Silent, reason)
            ?? throw new HostConfigException($"vms[{vm.Index}].image: {reason.ToString().Trim().Replace("translator: ", "", StringComparison.Ordinal)}");
        var options = new VmOptions
        {
            Backend = vm.Backend,
            MemoryMiB = vm.MemoryMiB,
            MaxInstructions = vm.MaxInstructions,
            Paging = vm.Paging,
            Execution = vm.Execution,
            Translation = vm.Translation,
        };
        return new HostedVmSpec(vm.Name, builds.For(vm.Backend == BackendKind.Paravirtual), options, vm.Weight, vm.CapPercent, vm.ExpectedExitCode);
    }

    /// <summary>The consoles: one file per VM (exact bytes), or each complete line on stdout as <c>[name] line</c>.</summary>
    private sealed class ConsoleSink : IDisposable
    {
        private readonly HostConfig _config;
        private readonly Stream _stdout;
        private readonly FileStream?[] _files;
        private readonly List<byte>[] _partial;

        public ConsoleSink(HostConfig config, Stream stdout)
        {
            _config = config;
            _stdout = stdout;
            _files = new FileStream?[config.Vms.Count];
            _partial = config.Vms.Select(_ => new List<byte>()).ToArray();
            if (config.Console == ConsoleMultiplexing.Files)
            {
                Directory.CreateDirectory(config.ConsoleDirectory);
                for (int i = 0; i < _files.Length; i++)
                {
                    _files[i] = File.Create(Path.Combine(config.ConsoleDirectory, config.Vms[i].Name + ".console"));
                }
            }
        }

        public void Write(int vm, ReadOnlyMemory<byte> bytes)
        {
            if (_files[vm] is { } file)
            {
                file.Write(bytes.Span);
                return;
            }

            foreach (byte b in bytes.Span)
            {
                if (b == (byte)'\n')
                {
                    EmitLine(vm);
                }
                else
                {
                    _partial[vm].Add(b);
                }
            }
        }

        /// <summary>A VM's unfinished last line is shown too, in VM order, once the host has stopped.</summary>
        public void Close(HostResult result)
        {
            for (int vm = 0; vm < _partial.Length; vm++)
            {
                if (_partial[vm].Count > 0)
                {
                    EmitLine(vm);
                }
            }

            _stdout.Flush();
        }

        private void EmitLine(int vm)
        {
            _stdout.Write(Encoding.UTF8.GetBytes($"[{_config.Vms[vm].Name}] "));
            _stdout.Write(_partial[vm].ToArray());
            _stdout.WriteByte((byte)'\n');
            _partial[vm].Clear();
        }

        public void Dispose()
        {
            foreach (FileStream? file in _files)
            {
                file?.Dispose();
            }
        }
    }
}

/// <summary>The host's summary table (stderr) and its statistics files.</summary>
internal static class HostReport
{
    public static void WriteTable(HostResult result, TextWriter stderr)
    {
        ulong given = Math.Max(1, result.TotalGiven), owed = Math.Max(1, result.TotalOwed);
        stderr.WriteLine($"translator: host: {result.Vms.Count} VMs, {result.Rounds} rounds, virtual time {result.VirtualTime} ns, {result.IdlePeriods} idle periods, {result.WallSeconds:F2} s");
        stderr.WriteLine($"{"vm",-16} {"backend",-7} {"weight",6} {"cap",4} {"exit",4} {"instructions",14} {"owed %",8} {"given %",8} {"fairness",8}  ending");
        foreach (HostedVmResult vm in result.Vms)
        {
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{vm.Spec.Name,-16} {VmOptions.NameOf(vm.Spec.Options.Backend),-7} {vm.Spec.Weight,6} {vm.Spec.CapPercent,4} {vm.ExitCode,4} {vm.Given,14} {100.0 * vm.Owed / owed,8:F3} {100.0 * vm.Given / given,8:F3} {vm.Fairness,8:F4}  {Ending(vm)}"));
        }

        stderr.WriteLine($"translator: host: {result.EndedBadly} of {result.Vms.Count} VMs ended badly");
    }

    public static string Ending(HostedVmResult vm) => vm.Ending switch
    {
        HostedVmEnding.HostStopped => "stopped by the host (runFor)",
        HostedVmEnding.InternalError => $"internal error: {vm.Failure}",
        _ => (vm.EndedBadly ? "BAD " : "") + vm.Run.Result.Reason.ToString().ToLowerInvariant() + (vm.Run.Result.Message is { } m ? $": {m}" : ""),
    };

    public static void WriteStatistics(HostResult result, HostConfig config, string directory)
    {
        Directory.CreateDirectory(directory);
        ulong given = Math.Max(1, result.TotalGiven), owed = Math.Max(1, result.TotalOwed);
        var summary = new JsonArray();
        foreach (HostedVmResult vm in result.Vms)
        {
            JsonObject stats = JsonNode.Parse(RunStatistics.From(vm.Run, vm.Spec.Options.Paging).ToJson())!.AsObject();
            stats["exitCode"] = vm.ExitCode;
            var host = new JsonObject
            {
                ["name"] = vm.Spec.Name,
                ["weight"] = vm.Spec.Weight,
                ["cap"] = vm.Spec.CapPercent,
                ["ending"] = vm.Ending.ToString(),
                ["endedBadly"] = vm.EndedBadly,
                ["given"] = vm.Given,
                ["owed"] = vm.Owed,
                ["shareGiven"] = Math.Round((double)vm.Given / given, 6),
                ["shareOwed"] = Math.Round((double)vm.Owed / owed, 6),
                ["fairness"] = Math.Round(vm.Fairness, 6),
                ["blockedPeriods"] = vm.BlockedPeriods,
            };
            stats["host"] = host;
            File.WriteAllText(Path.Combine(directory, vm.Spec.Name + ".json"), stats.ToJsonString(new() { WriteIndented = true }) + "\n");
            summary.Add(host.DeepClone());
        }

        var root = new JsonObject
        {
            ["cpus"] = config.Cpus,
            ["periodInstructions"] = config.PeriodInstructions,
            ["rounds"] = result.Rounds,
            ["virtualTime"] = result.VirtualTime,
            ["idlePeriods"] = result.IdlePeriods,
            ["wallSeconds"] = Math.Round(result.WallSeconds, 6),
            ["endedBadly"] = result.EndedBadly,
            ["vms"] = summary,
        };
        File.WriteAllText(Path.Combine(directory, "host.json"), root.ToJsonString(new() { WriteIndented = true }) + "\n");
    }
}
