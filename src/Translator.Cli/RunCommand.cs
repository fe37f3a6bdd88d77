using System.Diagnostics;
using Translator.Machine;
using Translator.Machine.Loader;

namespace Translator.Cli;

/// <summary><c>translator run</c>: boots an image, streams COM1 to stdout, exits with the guest's code.</summary>
internal static class RunCommand
{
    public static int Execute(RunArguments args, Stream stdout, TextWriter stderr)
    {
        byte[]? image = GuestImageSource.Load(args.Image, stderr);
        if (image is null)
        {
            return ExitCodes.BadInput;
        }

        var console = new BufferedStream(stdout, 4096);
        var machine = new PcMachine(new MachineOptions { MemoryMiB = args.MemoryMiB, MaxInstructions = args.MaxInstructions }, console.WriteByte);
        try
        {
            machine.Load(image);
        }
        catch (InvalidImageException e)
        {
            stderr.WriteLine($"translator: {args.Image}: {e.Message}");
            return ExitCodes.BadInput;
        }

        var stopwatch = Stopwatch.StartNew();
        MachineResult result = machine.Run();
        stopwatch.Stop();
        console.Flush();

        if (result.Message is not null && result.Reason != MachineStopReason.DebugExit)
        {
            stderr.WriteLine($"translator: {result.Reason.ToString().ToLowerInvariant()}: {result.Message}");
        }

        if (args.StatsPath is not null)
        {
            RunStatistics stats = RunStatistics.From(args.Backend, machine, result, stopwatch.Elapsed.TotalSeconds);
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
