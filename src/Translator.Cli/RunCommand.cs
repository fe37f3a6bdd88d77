using Translator.Machine;
using Translator.Machine.Loader;
using Translator.Vmm;

namespace Translator.Cli;

/// <summary><c>translator run</c>: boots an image on a backend, streams COM1 to stdout, exits with the guest's code.</summary>
internal static class RunCommand
{
    public static int Execute(RunArguments args, Stream stdout, TextWriter stderr)
    {
        GuestImages? builds = GuestImageSource.LoadBuilds(args.Image, stderr);
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
            Console = console.WriteByte,

            // The debug console is the VMM's output, not COM1: stdout stays exactly the guest's serial bytes.
            Devices = (args.Devices ?? new()) with { DebugOutput = b => stderr.Write((char)b) },
        };

        VirtualMachine vm;
        try
        {
            vm = VirtualMachine.Create(image, options);
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

        VmRunResult run = vm.Run();
        console.Flush();
        MachineResult result = run.Result;
        if (result.Message is not null && result.Reason != MachineStopReason.DebugExit)
        {
            stderr.WriteLine($"translator: {result.Reason.ToString().ToLowerInvariant()}: {result.Message}");
            foreach (string line in run.CrashReport?.Split('\n') ?? [])
            {
                stderr.WriteLine($"translator:   {line}");
            }
        }

        if (args.StatsPath is not null)
        {
            RunStatistics stats = RunStatistics.From(run, args.Paging);
            try
            {
                File.WriteAllText(args.StatsPath, stats.ToJson());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                stderr.WriteLine($"translator: cannot write statistics to '{args.StatsPath}': {e.Message}");
            }
        }

        return result.ExitCode;
    }
}

/// <summary>The even exit codes that belong to the tool (odd ones are the guest's isa-debug-exit codes).</summary>
internal static class ExitCodes
{
    public const int Halted = 0;
    public const int BadInput = 2;
    public const int Crashed = 4;
    public const int BudgetExhausted = 6;
}
