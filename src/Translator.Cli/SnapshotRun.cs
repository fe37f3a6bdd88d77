using System.Runtime.InteropServices;
using Translator.Machine;
using Translator.Vmm;

namespace Translator.Cli;

/// <summary>
/// <c>translator run ... --snapshot FILE</c>: the run stops at a block boundary and saves the VM (exit 8), either at a
/// retired count (<c>--snapshot-at N</c>) or when the process receives SIGUSR1 (docs/snapshots.md).
/// </summary>
internal static class SnapshotRun
{
    /// <summary>SIGUSR1's number on Linux (x86 and ARM), the signal a user sends with <c>kill -USR1 PID</c>.</summary>
    private const int SignalUser1 = 10;

    /// <summary>
    /// How many instructions run between two looks at a pending signal: a few milliseconds of guest time, so a
    /// request is served at once, and few enough returns to the loop that they cost nothing measurable.
    /// </summary>
    private const ulong SignalSlice = 4_000_000;

    /// <summary>
    /// <c>--snapshot-at N</c>: runs to the first block boundary at or past N and saves the VM. A guest that ends first
    /// ends as it would without the options (its own code, and a line saying nothing was saved).
    /// </summary>
    public static int AtCount(VirtualMachine vm, ulong at, RunArguments args, Stream console, TextWriter stderr)
    {
        VmRunResult run = vm.Run(at);
        console.Flush();
        if (run.Result.Reason != MachineStopReason.BudgetExhausted || vm.Backend.GuestInstructions < at)
        {
            stderr.WriteLine($"translator: the guest stopped after {vm.Backend.GuestInstructions} instructions, before {at}: no snapshot written");
            return RunCommand.Finish(run, args.StatsPath, args.Paging, stderr);
        }

        return Save(vm, run, args, stderr);
    }

    /// <summary>
    /// <c>--snapshot FILE</c> alone: the guest runs as usual, in slices; when SIGUSR1 arrives, the run stops at the end
    /// of the slice under way and the VM is saved. A guest that ends without a signal ends as it would without the option.
    /// </summary>
    public static int OnSignal(VirtualMachine vm, RunArguments args, Stream console, TextWriter stderr, Progress progress)
    {
        // A slice's end, not the guest's: the budget stop came short of the run's own --max-instructions.
        bool SliceEnded(MachineResult result) =>
            result.Reason == MachineStopReason.BudgetExhausted && vm.Backend.GuestInstructions < args.MaxInstructions;

        int requested = 0;
        using PosixSignalRegistration? registration = Register(() => Volatile.Write(ref requested, 1));
        if (registration is null)
        {
            stderr.WriteLine("translator: --snapshot without --snapshot-at needs SIGUSR1, which this system does not have");
            return ExitCodes.BadInput;
        }

        MachineResult last = progress.Step($"running {args.Image} on {args.Backend} (kill -USR1 {Environment.ProcessId} saves it)", () =>
        {
            while (true)
            {
                ulong until = vm.Backend.GuestInstructions + SignalSlice;
                MachineResult result = vm.RunSlice(Math.Min(until, args.MaxInstructions));
                if (!SliceEnded(result) || Volatile.Read(ref requested) != 0)
                {
                    return result;
                }
            }
        }, elapsed => Progress.Retired(vm.Backend.GuestInstructions, elapsed));
        VmRunResult run = vm.Finish(last);
        console.Flush();
        return SliceEnded(last) ? Save(vm, run, args, stderr) : RunCommand.Finish(run, args.StatsPath, args.Paging, stderr);
    }

    private static PosixSignalRegistration? Register(Action onSignal)
    {
        try
        {
            return PosixSignalRegistration.Create((PosixSignal)SignalUser1, context =>
            {
                context.Cancel = true; // not the default action (the end of the process): the run saves and ends itself
                onSignal();
            });
        }
        catch (Exception e) when (e is PlatformNotSupportedException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static int Save(VirtualMachine vm, VmRunResult run, RunArguments args, TextWriter stderr)
    {
        try
        {
            File.WriteAllBytes(args.SnapshotPath!, vm.TakeSnapshot().ToBytes());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or SnapshotException)
        {
            stderr.WriteLine($"translator: cannot write the snapshot to '{args.SnapshotPath}': {e.Message}");
            return ExitCodes.BadInput;
        }

        stderr.WriteLine($"translator: snapshot of {args.Image} under {args.Backend} at {vm.Backend.GuestInstructions} retired instructions written to {args.SnapshotPath}");
        int code = RunCommand.Finish(run, args.StatsPath, args.Paging, stderr, quiet: true);
        return code == ExitCodes.BadInput ? code : ExitCodes.SnapshotTaken;
    }
}
