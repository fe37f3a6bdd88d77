using Translator.Machine;
using Translator.Machine.Cpu;

namespace Translator.Vmm;

/// <summary>
/// What a run cost: the <c>--stats</c> JSON of DESIGN.md is written from this. <see cref="Execution"/> says which
/// path ran a pv guest (<c>interpreter</c> or <c>translated</c>); null for the other backends.
/// </summary>
public sealed record VmStatistics(
    string Backend,
    ulong GuestInstructions,
    double WallSeconds,
    CycleAccount Cycles,
    IReadOnlyDictionary<string, long> Events,
    string? Execution = null)
{
    public ulong ModeledCycles => Cycles.Total;

    /// <summary>Guest instructions per wall-clock second, in millions (whole run, start-up included).</summary>
    public double GuestMips => WallSeconds > 0 ? GuestInstructions / WallSeconds / 1e6 : 0;

    /// <summary>Every VM exit (the sum of the <c>exit.*</c> counters); 0 on bare metal.</summary>
    public long Exits => Events.Where(e => e.Key.StartsWith("exit.", StringComparison.Ordinal)).Sum(e => e.Value);

    public double ExitsPerMillionInstructions => GuestInstructions == 0 ? 0 : Exits * 1e6 / GuestInstructions;

    /// <summary>Guest instructions retired between two VM exits, on average (the "efficiency" of Popek and Goldberg).</summary>
    public double InstructionsBetweenExits => Exits == 0 ? GuestInstructions : (double)GuestInstructions / Exits;

    /// <summary>The machine's own counters every backend reports: faults and IRQs delivered, software interrupts, code cache, MMU.</summary>
    internal static void AddCpuCounters(IDictionary<string, long> events, X86Cpu cpu, long ioAccesses)
    {
        CpuCounters counters = cpu.Counters;
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

        events["io.accesses"] = ioAccesses;
        events["mmu.pageWalks"] = cpu.Mmu.PageWalks;
        events["code.blocksDecoded"] = counters.BlocksDecoded;
        events["code.invalidations"] = counters.CodeInvalidations;
    }

    /// <summary>Exceptions, IRQs and software interrupts delivered through the guest IDT (each costs a delivery).</summary>
    internal static ulong Deliveries(X86Cpu cpu)
    {
        ulong deliveries = (ulong)cpu.Counters.SoftwareInterrupts;
        foreach (long count in cpu.Counters.Exceptions)
        {
            deliveries += (ulong)count;
        }

        foreach (long count in cpu.Counters.Irqs)
        {
            deliveries += (ulong)count;
        }

        return deliveries;
    }
}

/// <summary>The outcome of <see cref="VirtualMachine.Run"/>.</summary>
public sealed record VmRunResult(MachineResult Result, byte[] Console, VmStatistics Statistics)
{
    /// <summary>The process exit code of DESIGN.md.</summary>
    public int ExitCode => Result.ExitCode;
}
