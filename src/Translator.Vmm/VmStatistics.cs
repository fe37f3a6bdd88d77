using Translator.Machine;
using Translator.Machine.Cpu;

namespace Translator.Vmm;

/// <summary>
/// Where the wall-clock time of a virtual machine went, from <see cref="VirtualMachine.Create"/> to the end of
/// <see cref="VirtualMachine.Run"/>. Every part is measured with its own clock except <see cref="SetupSeconds"/>,
/// which is the rest, so the parts add up to <see cref="WallSeconds"/>.
/// </summary>
/// <param name="WallSeconds">The whole: creating the machine, obtaining its translation and running the guest.</param>
/// <param name="TranslateSeconds">The translation core turning the image into C# (bt and translated pv, when not cached).</param>
/// <param name="CompileSeconds">Roslyn compiling that C#, and crossgen2 precompiling the assembly to native code.</param>
/// <param name="CacheLoadSeconds">Reading a translation from the disk cache (or the fresh one) and loading it.</param>
/// <param name="GuestSeconds">Running the guest: <see cref="VirtualMachine.Run"/>, what MIPS are computed over.</param>
public sealed record RunTimes(double WallSeconds, double TranslateSeconds, double CompileSeconds, double CacheLoadSeconds, double GuestSeconds)
{
    /// <summary>Everything else: allocating guest memory, loading the image, hashing it and looking up its translation.</summary>
    public double SetupSeconds => Math.Max(0, WallSeconds - TranslateSeconds - CompileSeconds - CacheLoadSeconds - GuestSeconds);

    /// <summary>What obtaining translated code cost: translating, compiling and loading it.</summary>
    public double TranslationSeconds => TranslateSeconds + CompileSeconds + CacheLoadSeconds;
}

/// <summary>
/// What a run cost: the <c>--stats</c> JSON of DESIGN.md is written from this. <see cref="Execution"/> says which
/// tier ran a guest of native, hw, trap or pv (<c>interpreter</c>, <c>translated</c>, <c>tiered</c>); null for bt and for a
/// forced interpreter outside pv. <see cref="InProcessCompileReason"/>: why a tiered run compiled in its own process.
/// </summary>
public sealed record VmStatistics(
    string Backend,
    ulong GuestInstructions,
    RunTimes Times,
    CycleAccount Cycles,
    IReadOnlyDictionary<string, long> Events,
    string? Execution = null,
    string? InProcessCompileReason = null)
{
    public ulong ModeledCycles => Cycles.Total;

    /// <summary>The machine's whole wall-clock time (<see cref="RunTimes.WallSeconds"/>).</summary>
    public double WallSeconds => Times.WallSeconds;

    /// <summary>Guest instructions per second of running the guest (<see cref="RunTimes.GuestSeconds"/>), in millions.</summary>
    public double GuestMips => Times.GuestSeconds > 0 ? GuestInstructions / Times.GuestSeconds / 1e6 : 0;

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

        if (counters.Nmis > 0)
        {
            events["nmi"] = counters.Nmis;
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
        ulong deliveries = (ulong)cpu.Counters.SoftwareInterrupts + (ulong)cpu.Counters.Nmis;
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

/// <summary>
/// The outcome of <see cref="VirtualMachine.Run"/>. <see cref="CrashReport"/>, for a crashed guest, says where (the
/// function and C# line when the image has a map or ELF symbols) and gives the registers.
/// </summary>
public sealed record VmRunResult(MachineResult Result, byte[] Console, VmStatistics Statistics, string? CrashReport = null)
{
    /// <summary>The process exit code of DESIGN.md.</summary>
    public int ExitCode => Result.ExitCode;
}
