using Translator.Machine;
using Translator.Vmm.Backends.Bt;

namespace Translator.Vmm.Backends;

/// <summary>
/// Bare metal: the guest runs on the emulated PC with no VMM at all (<see cref="PcMachine"/> is the hardware).
/// It is the reference every other backend must match byte for byte. With <c>--execution translated</c> hot code runs
/// as the binary-translation core's code, whose sensitive instructions run their architectural handlers (no
/// callouts are installed), at the guest's own privilege level.
/// </summary>
public sealed class NativeBackend(VmOptions options, Action<byte> console) : IExecutionBackend, ISnapshotBackend, ITranslatingBackend
{
    private readonly PcMachine _machine = new(
        new MachineOptions { MemoryMiB = options.MemoryMiB, MaxInstructions = options.MaxInstructions, CompileThreshold = options.CompileThreshold, Devices = options.Devices, KernelCommandLine = options.KernelCommandLine, CpuFeatures = options.CpuFeatures },
        console);

    private AttachedTranslation? _translated;

    public string Name => "native";

    /// <summary>The translated code the interpreter runs; nothing is attached on the interpreter path.</summary>
    public AttachedTranslation Translated => _translated ??= new AttachedTranslation(_machine.Interpreter);

    public PcMachine Machine => _machine;

    public ulong GuestInstructions => _machine.Cpu.Retired;

    public Translator.Machine.Cpu.X86Cpu Cpu => _machine.Cpu;

    public void Load(ReadOnlySpan<byte> image) => _machine.Load(image);

    public MachineResult Run() => _machine.Run();

    public Translator.Machine.Snapshots.MachineState Capture() => _machine.CaptureState();

    public void Restore(Translator.Machine.Snapshots.MachineState state) => _machine.RestoreState(state);

    public MachineResult Run(ulong untilRetired) => _machine.Run(untilRetired);

    public void CollectEvents(IDictionary<string, long> events)
    {
        VmStatistics.AddCpuCounters(events, _machine.Cpu, _machine.Io.Accesses);
        if (options.Execution != ExecutionTier.Interpreter)
        {
            Translated.CollectEvents(events, _machine.Cpu);
        }
    }

    public CycleAccount ModelCycles(CostParameters cost) => new(
        Instructions: _machine.Cpu.Retired * cost.Instruction,
        Deliveries: VmStatistics.Deliveries(_machine.Cpu) * cost.InterruptDelivery,
        Exits: 0,
        VmmWork: 0,
        NestedWalks: 0,
        BinaryTranslationEstimate: null);
}
