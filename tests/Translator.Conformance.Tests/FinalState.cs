using Translator.Machine;
using Translator.Machine.Snapshots;
using Translator.Vmm;
using Translator.Vmm.Backends;

namespace Translator.Conformance.Tests;

/// <summary>
/// How a run ended, bit for bit: console, result, retired count, processor state, RAM and devices (event counters
/// left out: each technique counts its own way), and the VMM's interventions by kind (<c>callout.*</c>, <c>exit.*</c>).
/// </summary>
internal sealed record FinalState(byte[] Console, MachineResult Result, ulong Retired, byte[] Cpu, byte[] Ram, byte[] Devices,
    IReadOnlyDictionary<string, long> Interventions)
{
    /// <summary>Runs <paramref name="vm"/> to its end (from wherever it is) and captures the state it ends in.</summary>
    public static FinalState Finish(VirtualMachine vm, Func<byte[]> console)
    {
        MachineResult result = vm.Backend.Run();
        MachineState state = ((ISnapshotBackend)vm.Backend).Capture();
        state.Cpu.Exceptions.AsSpan().Clear(); // event counters are statistics, counted by each technique its own way
        state.Cpu.Irqs.AsSpan().Clear();
        state.Cpu.SoftwareInterrupts = 0;
        var cpu = new MemoryStream();
        using (var writer = new BinaryWriter(cpu))
        {
            state.Cpu.Write(writer);
        }

        byte[] ram = [.. state.Pages.SelectMany(BitConverter.GetBytes), .. state.PageData];
        var events = new SortedDictionary<string, long>(StringComparer.Ordinal);
        vm.Backend.CollectEvents(events);
        Dictionary<string, long> interventions = events.Where(e => e.Key.StartsWith("callout.", StringComparison.Ordinal)
            || e.Key.StartsWith("exit.", StringComparison.Ordinal) || e.Key.StartsWith("trap.", StringComparison.Ordinal)).ToDictionary();
        return new FinalState(console(), result, vm.Backend.GuestInstructions, cpu.ToArray(), ram, state.Devices, interventions);
    }
}
