using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Translator.Machine;
using Translator.Machine.Cpu;
using Translator.Machine.Loader;
using Translator.Vmm;

namespace Translator.Cli;

/// <summary>The parsed arguments of <c>translator run</c>.</summary>
internal sealed record RunArguments(
    string Image,
    string Backend,
    string? StatsPath,
    ulong MaxInstructions,
    int MemoryMiB,
    MemoryVirtualization Paging = MemoryVirtualization.NestedPaging,
    CostParameters? Cost = null,
    ExecutionTier Execution = ExecutionTier.Tiered,
    string? Kernel = null,
    Translator.Machine.Devices.PcDeviceOptions? Devices = null,
    string? Append = null,
    ulong? SnapshotAt = null,
    string? SnapshotPath = null,
    DateTimeOffset? RtcBase = null,
    CpuFeatures CpuFeatures = CpuFeatures.Default,
    GroupCompiler GroupCompiler = GroupCompiler.DirectIl);

/// <summary><c>translator run</c>: boots an image on a backend, streams COM1 to stdout, exits with the guest's code.</summary>
internal static class RunCommand
{
    public static readonly string[] Backends = ["native", "hw", "bt", "pv", "trap"];

    public static readonly string[] Examples =
    [
        "translator run Hello",
        "translator run tests/guests/build/sieve.elf --backend hw --paging shadow --stats sieve.json",
        "translator run Microbench --backend pv --execution translated",
        "translator run samples/Compute --backend bt --max-instructions 5000000 --progress",
        "translator run MyKernels/MyKernels.csproj --kernel Second --backend hw",
    ];

    public static Command Create()
    {
        Argument<string> image = CommonOptions.Source("IMAGE|SAMPLE|PROJECT",
            "A multiboot image (ELF32 or flat), a sample kernel's name, or a guest project (.csproj or its folder)");
        var backend = new Option<string>("--backend")
        {
            HelpName = string.Join('|', Backends),
            Description = "The technique that runs the guest",
            DefaultValueFactory = _ => "native",
        };
        backend.CompletionSources.Add(Backends);
        backend.Validators.Add(result =>
        {
            // Tokens, not the value: a validator also runs for a half-typed line (completion), where the value may be missing.
            if (result.Tokens is [.., { Value: var name }] && !Backends.Contains(name))
            {
                result.AddError($"unknown backend '{name}' (available: {string.Join(", ", Backends)})");
            }
        });
        var stats = new Option<string?>("--stats") { HelpName = "FILE.json", Description = "Write the run's statistics as JSON" };
        Option<ulong> maxInstructions = CommonOptions.MaxInstructions();
        Option<int> memory = CommonOptions.Memory();
        Option<MemoryVirtualization> paging = CommonOptions.Choice("--paging", "hw only: nested paging (EPT, the default) or shadow page tables",
            ("ept", MemoryVirtualization.NestedPaging), ("shadow", MemoryVirtualization.ShadowPaging));
        Option<ExecutionTier> execution = CommonOptions.Execution("pv, native, hw, trap: ");
        var cost = new Option<CostParameters?>("--cost")
        {
            HelpName = "NAME=CYCLES",
            Description = "Override one price of the cost model (docs/cost-model.md); repeatable",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            CustomParser = ParseCost,
        };
        var devices = new Option<Translator.Machine.Devices.PcDeviceOptions?>("--device")
        {
            HelpName = string.Join('|', Translator.Machine.Devices.PcDeviceOptions.Names),
            Description = "Add a device QEMU adds with -device (isa-debugcon: port 0xE9 to stderr; pc-testdev); repeatable",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            CustomParser = ParseDevices,
        };
        devices.CompletionSources.Add(Translator.Machine.Devices.PcDeviceOptions.Names.ToArray());
        Option<string?> kernel = CommonOptions.Kernel();
        var append = new Option<string?>("--append")
        {
            HelpName = "TEXT",
            Description = "The kernel command line, as QEMU's -append: the multiboot cmdline is the image's name, a space, then TEXT (pv: the start info's cmd_line is TEXT)",
        };
        var rtcBase = new Option<string?>("--rtc-base")
        {
            HelpName = "utc|localtime|YYYY-MM-DD[THH:MM:SS]",
            Description = "The CMOS clock's time at the guest's first instruction, as QEMU's -rtc base= (default utc: the host's UTC time now); a date is UTC",
        };
        rtcBase.Validators.Add(ValidateRtcBase); // a string, not a custom parser: null ("utc") is a value of its own
        var cpuFeatures = new Option<CpuFeatures>("--cpu-features")
        {
            HelpName = "fpu,mmx,sse,sse2|none",
            Description = "The processor's optional units (docs/x87.md, docs/sse.md): fpu (x87), mmx (needs fpu), sse (with FXSAVE/FXRSTOR and CR4.OSFXSR), sse2 (needs sse); none: the i686 integer core alone; default: all four, as QEMU's default CPU",
            CustomParser = ParseCpuFeatures,
            DefaultValueFactory = _ => CpuFeatures.Default,
        };
        Option<bool> progress = CommonOptions.ShowProgress();
        Option<GroupCompiler> tierCompiler = CommonOptions.Choice("--tier-compiler",
            "tiered runs: compile hot code straight to IL in this process (il, the default: milliseconds) or with Roslyn in a kept child process (roslyn: seconds; the cache keeps its assembly)",
            ("il", GroupCompiler.DirectIl), ("roslyn", GroupCompiler.Roslyn));
        var snapshotAt = new Option<ulong?>("--snapshot-at") { HelpName = "N", Description = "Stop at the first block boundary at or past N retired instructions and save the VM to --snapshot (exit code 8)" };
        var snapshot = new Option<string?>("--snapshot") { HelpName = "FILE", Description = "Where the VM is saved, at --snapshot-at N or, without it, when the process receives SIGUSR1 (exit code 8; resume it with translator resume FILE)" };

        var command = new Command("run", "Boot a guest on one backend: stdout is exactly its COM1 bytes, the exit code its own (odd) or the tool's (even)")
        {
            image, backend, stats, maxInstructions, memory, paging, execution, cost, devices, kernel, append, rtcBase, progress, snapshotAt, snapshot,
            cpuFeatures, tierCompiler,
        };
        command.Validators.Add(result =>
        {
            string chosen = result.GetResult(backend) is { Tokens: [.., { Value: var word }] } ? word : "native";
            if (result.GetResult(paging) is { Implicit: false } && chosen != "hw")
            {
                result.AddError($"--paging applies to the hw backend only (not '{chosen}')");
            }

            if (result.GetResult(execution) is { Implicit: false } && chosen is not ("pv" or "native" or "hw" or "trap"))
            {
                result.AddError($"--execution applies to the pv, native, hw and trap backends only (not '{chosen}')");
            }

            if (result.GetResult(snapshotAt) is not null && result.GetResult(snapshot) is null)
            {
                result.AddError("--snapshot-at N needs --snapshot FILE, where the VM is saved");
            }
            else if (result.GetResult(snapshot) is not null && chosen == "pv")
            {
                result.AddError("pv guests cannot be snapshotted (docs/snapshots.md)");
            }
        });
        command.SetAction(parsed =>
        {
            var args = new RunArguments(parsed.GetRequiredValue(image), parsed.GetValue(backend) ?? "native", parsed.GetValue(stats),
                CommonOptions.Budget(parsed.GetValue(maxInstructions)), parsed.GetValue(memory), parsed.GetValue(paging), parsed.GetValue(cost),
                parsed.GetValue(execution), parsed.GetValue(kernel), parsed.GetValue(devices), parsed.GetValue(append),
                parsed.GetValue(snapshotAt), parsed.GetValue(snapshot),
                parsed.GetValue(rtcBase) is { } start ? RtcBase(start, DateTimeOffset.UtcNow, out _) : null,
                parsed.GetValue(cpuFeatures), parsed.GetValue(tierCompiler));
            using Stream stdout = Console.OpenStandardOutput();
            return Execute(args, stdout, Console.Error, Progress.For(parsed.GetValue(progress), Console.Error));
        });
        return command;
    }

    /// <summary><c>--device NAME</c>, once per device.</summary>
    private static Translator.Machine.Devices.PcDeviceOptions? ParseDevices(ArgumentResult result)
    {
        var devices = new Translator.Machine.Devices.PcDeviceOptions();
        foreach (Token token in result.Tokens)
        {
            if (devices.With(token.Value) is not { } more)
            {
                result.AddError($"unknown device '{token.Value}' (available: {string.Join(", ", Translator.Machine.Devices.PcDeviceOptions.Names)})");
                return devices;
            }

            devices = more;
        }

        return devices;
    }

    /// <summary><c>--rtc-base</c>: QEMU's <c>-rtc base=</c> values; a date without a time is midnight.</summary>
    private static void ValidateRtcBase(OptionResult result)
    {
        if (result.Tokens is [.., { Value: var text }])
        {
            _ = RtcBase(text, DateTimeOffset.UtcNow, out bool valid);
            if (!valid)
            {
                result.AddError($"--rtc-base needs utc, localtime, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC, years 1-9999), not '{text}'");
            }
        }
    }

    /// <summary>The start time <paramref name="text"/> names, given the host's time <paramref name="now"/>.</summary>
    internal static DateTimeOffset? RtcBase(string text, DateTimeOffset now, out bool valid)
    {
        valid = true;
        switch (text)
        {
            case "utc":
                return null; // the board takes the host's UTC time when it is built
            case "localtime":
                // QEMU's localtime: the clock shows the host's wall-clock time (the guest reads it as if it were UTC).
                return new DateTimeOffset(now.ToLocalTime().DateTime, TimeSpan.Zero);
        }

        if (DateTime.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"], CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime date))
        {
            return new DateTimeOffset(date, TimeSpan.Zero);
        }

        valid = false;
        return null;
    }

    /// <summary>The names <c>--cpu-features</c> takes, each with the units it turns on and the one it needs.</summary>
    private static readonly (string Name, CpuFeatures Units, CpuFeatures Needs, string Why)[] s_cpuFeatureNames =
    [
        ("fpu", CpuFeatures.Fpu, CpuFeatures.None, ""),
        ("mmx", CpuFeatures.Mmx, CpuFeatures.Fpu, "the MMX registers are the x87 registers"),
        ("sse", CpuFeatures.Sse | CpuFeatures.Fxsr, CpuFeatures.None, ""), // CR4.OSFXSR, which SSE needs, is FXSR's bit
        ("sse2", CpuFeatures.Sse2, CpuFeatures.Sse, "SSE2 extends SSE"),
    ];

    /// <summary>
    /// <c>--cpu-features fpu,mmx,sse,sse2</c>: a comma-separated set; a unit without the one it needs is refused.
    /// <c>none</c> (alone) is the integer core without any of them.
    /// </summary>
    private static CpuFeatures ParseCpuFeatures(ArgumentResult result)
    {
        var features = CpuFeatures.None;
        string[] names = result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        if (names.Any(n => n.Equals("none", StringComparison.OrdinalIgnoreCase)))
        {
            if (names.Length != 1)
            {
                result.AddError($"--cpu-features none stands alone: it is the integer core without any unit (not '{string.Join(',', names)}')");
            }

            return CpuFeatures.None;
        }

        if (names.Length == 0)
        {
            result.AddError("--cpu-features needs units (fpu,mmx,sse,sse2) or none");
            return features;
        }

        foreach (string name in names)
        {
            int known = Array.FindIndex(s_cpuFeatureNames, f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (known < 0)
            {
                result.AddError($"unknown CPU feature '{name}' (available: {string.Join(", ", s_cpuFeatureNames.Select(f => f.Name))}, or none alone)");
                return features;
            }

            features |= s_cpuFeatureNames[known].Units;
        }

        foreach ((string name, CpuFeatures units, CpuFeatures needs, string why) in s_cpuFeatureNames)
        {
            if ((features & units) != 0 && (features & needs) != needs)
            {
                string needed = s_cpuFeatureNames.First(f => f.Units.HasFlag(needs)).Name;
                result.AddError($"--cpu-features {name} needs {needed} too: {why}");
                break;
            }
        }

        return features;
    }

    /// <summary><c>--cost NAME=CYCLES</c>, once per price: each overrides one parameter of the cost model.</summary>
    private static CostParameters? ParseCost(ArgumentResult result)
    {
        CostParameters cost = CostParameters.Default;
        foreach (Token token in result.Tokens)
        {
            string assignment = token.Value;
            int equals = assignment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !ulong.TryParse(assignment.AsSpan(equals + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong cycles))
            {
                result.AddError($"--cost needs NAME=CYCLES, not '{assignment}'");
                return cost;
            }

            try
            {
                cost = cost.With(assignment[..equals], cycles);
            }
            catch (ArgumentException e)
            {
                result.AddError(e.Message.Split(" (Parameter", 2)[0]);
                return cost;
            }
        }

        return cost;
    }

    public static int Execute(RunArguments args, Stream stdout, TextWriter stderr, Progress progress)
    {
        GuestImages? builds = GuestImageSource.LoadBuilds(args.Image, args.Kernel, progress, stderr);
        if (builds is null)
        {
            return ExitCodes.BadInput;
        }

        // A sample or project has both builds: pv runs its PV image, every other backend its bare-metal one. A file
        // runs as it is, and the backend refuses a build it cannot run (exit 2).
        BackendKind backend = VmOptions.Parse(args.Backend) ?? BackendKind.Native;
        byte[] image = builds.For(backend == BackendKind.Paravirtual);
        var console = new BufferedStream(stdout, 4096);
        var options = new VmOptions
        {
            Backend = backend,
            MemoryMiB = args.MemoryMiB,
            MaxInstructions = args.MaxInstructions,
            Paging = args.Paging,
            Cost = args.Cost ?? CostParameters.Default,
            Execution = args.Execution,
            GroupCompiler = args.GroupCompiler,
            CpuFeatures = args.CpuFeatures,
            Console = console.WriteByte,

            // The debug console is the VMM's output, not COM1: stdout stays exactly the guest's serial bytes.
            Devices = (args.Devices ?? new()) with { DebugOutput = b => stderr.Write((char)b), RtcBase = args.RtcBase },
            KernelCommandLine = KernelCommandLine(args, backend),
        };

        VirtualMachine vm;
        try
        {
            vm = Translates(options)
                ? progress.Step($"translating and compiling {args.Image} for {args.Backend}", () => VirtualMachine.Create(image, options))
                : VirtualMachine.Create(image, options);
        }
        catch (InvalidImageException e)
        {
            stderr.WriteLine($"translator: {args.Image}: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"translator: {args.Image} cannot run on {args.Backend}: {e.Message}");
            return ExitCodes.BadInput;
        }

        if (vm.Backend is Translator.Vmm.Backends.Bt.ITranslatingBackend { Translated.Problem: { } problem })
        {
            stderr.WriteLine($"translator: warning: running without translated code: {problem}");
        }

        if (args.SnapshotAt is ulong at)
        {
            return SnapshotRun.AtCount(vm, at, args, console, stderr);
        }

        if (args.SnapshotPath is not null)
        {
            return SnapshotRun.OnSignal(vm, args, console, stderr, progress);
        }

        VmRunResult run = progress.Step($"running {args.Image} on {args.Backend}", vm.Run, elapsed => Progress.Retired(vm.Backend.GuestInstructions, elapsed));
        console.Flush();
        return Finish(run, args.StatsPath, args.Paging, stderr);
    }

    /// <summary>Reports how the run ended, writes <c>--stats</c>, and gives the process's exit code.</summary>
    public static int Finish(VmRunResult run, string? statsPath, MemoryVirtualization paging, TextWriter stderr, bool quiet = false)
    {
        MachineResult result = run.Result;
        if (!quiet && result.Message is not null && result.Reason != MachineStopReason.DebugExit)
        {
            stderr.WriteLine($"translator: {StopWords(result.Reason)}: {result.Message}");
            foreach (string line in run.CrashReport?.Split('\n') ?? [])
            {
                stderr.WriteLine($"translator:   {line}");
            }
        }

        if (statsPath is not null)
        {
            RunStatistics stats = RunStatistics.From(run, paging);
            try
            {
                File.WriteAllText(statsPath, stats.ToJson());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                stderr.WriteLine($"translator: cannot write statistics to '{statsPath}': {e.Message}");
                return ExitCodes.BadInput; // the tool failed at its own job: an even code, not the guest's
            }
        }

        return result.ExitCode;
    }

    /// <summary>How the tool names a stop on stderr, in the words of the exit-code contract.</summary>
    private static string StopWords(MachineStopReason reason) => reason switch
    {
        MachineStopReason.BudgetExhausted => "budget exhausted",
        _ => reason.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// QEMU's multiboot loader always gives a command line: the kernel's file name as typed, a space, then -append's
    /// text (kvm-unit-tests takes the first word as argv[0]). Xen's start info carries the text alone.
    /// </summary>
    private static string? KernelCommandLine(RunArguments args, BackendKind backend) =>
        backend == BackendKind.Paravirtual ? args.Append : $"{args.Image} {args.Append}";

    /// <summary>Whether creating the machine translates the image (and compiles it on a cache miss): bt, and translated execution of pv, native, hw and trap.</summary>
    public static bool Translates(VmOptions options) =>
        options.Backend == BackendKind.BinaryTranslation
        || (options.Backend is BackendKind.Paravirtual or BackendKind.Native or BackendKind.HardwareAssisted or BackendKind.TrapAndEmulate && options.Execution == ExecutionTier.Translated);
}

/// <summary>The even exit codes that belong to the tool (odd ones are the guest's isa-debug-exit codes).</summary>
internal static class ExitCodes
{
    public const int Halted = 0;
    public const int BadInput = 2;
    public const int Crashed = 4;
    public const int BudgetExhausted = 6;

    /// <summary><c>run --snapshot-at</c> stopped the guest and saved it (docs/snapshots.md).</summary>
    public const int SnapshotTaken = 8;

    /// <summary>A fault of the tool itself (a bug, not the guest's doing or bad input): sysexits' EX_SOFTWARE, even as the tool's codes are.</summary>
    public const int InternalError = 70;
}
