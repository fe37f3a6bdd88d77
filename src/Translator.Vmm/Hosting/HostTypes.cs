using Translator.Machine;

namespace Translator.Vmm;

/// <summary>One VM of a <see cref="VmHost"/>: its name, its image and machine, and its share of the host.</summary>
/// <param name="Weight">Its share relative to the others' (Xen's default is 256).</param>
/// <param name="CapPercent">The most it may use of one CPU, in percent, even when the host is otherwise idle (0: no cap).</param>
/// <param name="ExpectedExitCode">When set, any other ending counts as ending badly.</param>
public sealed record HostedVmSpec(string Name, byte[] Image, VmOptions Options, int Weight = 256, int CapPercent = 0, int? ExpectedExitCode = null);

/// <summary>How a <see cref="VmHost"/> shares its CPUs out.</summary>
public sealed record HostOptions
{
    /// <summary>The CPUs the scheduler shares out (virtual: the schedule depends on this, never on <see cref="Threads"/>).</summary>
    public int Cpus { get; init; } = 1;

    /// <summary>Host threads that execute the slices of a round; only the wall time depends on it.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The accounting period, in instructions of one CPU (1 ns each: 1,000,000 is 1 ms of virtual time).</summary>
    public ulong PeriodInstructions { get; init; } = 1_000_000;

    /// <summary>The host stops every VM still running when its virtual time reaches this (ns; MaxValue: never).</summary>
    public ulong RunFor { get; init; } = ulong.MaxValue;

    /// <summary>Called on the host's thread after each round with the console bytes a VM wrote in it (VMs in order).</summary>
    public Action<int, ReadOnlyMemory<byte>>? ConsoleOutput { get; init; }
}

/// <summary>How a hosted VM's run ended.</summary>
public enum HostedVmEnding
{
    /// <summary>The guest stopped by itself (halted, isa-debug-exit, crash or its own instruction budget): see the result.</summary>
    Stopped,

    /// <summary>The host's virtual time ran out (<see cref="HostOptions.RunFor"/>) while the guest was still running.</summary>
    HostStopped,

    /// <summary>The tool failed while running this VM (a bug): the others ran on.</summary>
    InternalError,
}

/// <summary>One VM's run under the host: the run itself and what the scheduler owed and gave it.</summary>
/// <param name="Given">Guest instructions it retired.</param>
/// <param name="Owed">What the scheduler entitled it to over the periods it was runnable (capped by what it asked for).</param>
public sealed record HostedVmResult(
    HostedVmSpec Spec, VmRunResult Run, HostedVmEnding Ending, string? Failure, ulong Given, ulong Owed, ulong BlockedPeriods, ulong EndedAt)
{
    /// <summary>Given over owed: 1 is exactly fair, below 1 the VM got less than its share.</summary>
    public double Fairness => Owed == 0 ? 1 : (double)Given / Owed;

    /// <summary>The exit code its own <c>translator run</c> would have (the host's stop is not the guest's doing: 0).</summary>
    public int ExitCode => Ending switch
    {
        HostedVmEnding.HostStopped => 0,
        HostedVmEnding.InternalError => 70,
        _ => Run.ExitCode,
    };

    /// <summary>A crash, an exhausted budget, a failure of the tool, or not the exit code the config expected.</summary>
    public bool EndedBadly => Ending == HostedVmEnding.InternalError
        || (Ending == HostedVmEnding.Stopped && Run.Result.Reason is MachineStopReason.Crashed or MachineStopReason.BudgetExhausted)
        || (Spec.ExpectedExitCode is int expected && Ending == HostedVmEnding.Stopped && expected != ExitCode);
}

/// <summary>The whole host's run.</summary>
/// <param name="VirtualTime">The host's virtual time at the end (ns).</param>
/// <param name="IdlePeriods">Periods in which every VM left was blocked in HLT (skipped at once).</param>
public sealed record HostResult(IReadOnlyList<HostedVmResult> Vms, ulong Rounds, ulong VirtualTime, ulong IdlePeriods, double WallSeconds)
{
    public int EndedBadly => Vms.Count(v => v.EndedBadly);

    public ulong TotalGiven => Vms.Aggregate(0UL, (sum, v) => sum + v.Given);

    public ulong TotalOwed => Vms.Aggregate(0UL, (sum, v) => sum + v.Owed);
}
