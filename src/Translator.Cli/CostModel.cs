using Translator.Machine;

namespace Translator.Cli;

/// <summary>
/// Modeled cycles for bare metal: one cycle per retired instruction plus the cost of each exception and interrupt
/// delivery. The constants and their sources are in docs/cost-model.md.
/// </summary>
internal static class CostModel
{
    /// <summary>Cycles of an exception or interrupt delivery through the IDT and its IRET on a P6-class core.</summary>
    public const ulong InterruptDeliveryCycles = 200;

    public static ulong NativeCycles(PcMachine machine)
    {
        ulong deliveries = (ulong)machine.Cpu.Counters.SoftwareInterrupts;
        foreach (long count in machine.Cpu.Counters.Exceptions)
        {
            deliveries += (ulong)count;
        }

        foreach (long count in machine.Cpu.Counters.Irqs)
        {
            deliveries += (ulong)count;
        }

        return machine.Cpu.Retired + (deliveries * InterruptDeliveryCycles);
    }
}
