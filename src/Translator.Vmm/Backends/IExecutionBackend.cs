using Translator.Machine;

namespace Translator.Vmm.Backends;

/// <summary>
/// One way of running the guest (DESIGN.md's backends). The <see cref="VirtualMachine"/> owns the options and the
/// console; a backend owns the processor and the devices the guest talks to, runs until the guest stops, and reports
/// what happened in the counters of the <c>--stats</c> contract and the cost model.
/// </summary>
public interface IExecutionBackend
{
    /// <summary>The command-line name (<c>native</c>, <c>hw</c>).</summary>
    string Name { get; }

    /// <summary>Loads the multiboot image; throws <see cref="Translator.Machine.Loader.InvalidImageException"/> for a bad one.</summary>
    void Load(ReadOnlySpan<byte> image);

    /// <summary>Runs until the guest stops or the options' instruction budget is spent.</summary>
    MachineResult Run();

    /// <summary>
    /// Runs until the guest stops or has retired <paramref name="untilRetired"/> instructions in all (then the result
    /// is <see cref="MachineStopReason.BudgetExhausted"/> and a later call resumes exactly where this one stopped: a
    /// scheduler's time slice). Past the options' own budget it never runs.
    /// </summary>
    MachineResult Run(ulong untilRetired);

    ulong GuestInstructions { get; }

    /// <summary>The processor that runs the guest (its registers are the guest's, except what the backend virtualizes).</summary>
    Translator.Machine.Cpu.X86Cpu Cpu { get; }

    /// <summary>Adds this run's event counters (<c>fault.*</c>, <c>irq.*</c>, <c>exit.*</c>...) to <paramref name="events"/>.</summary>
    void CollectEvents(IDictionary<string, long> events);

    CycleAccount ModelCycles(CostParameters cost);
}
