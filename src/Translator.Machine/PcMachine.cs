using Translator.Machine.Cpu;
using Translator.Machine.Devices;
using Translator.Machine.Execution;
using Translator.Machine.Loader;
using Translator.Machine.Memory;

namespace Translator.Machine;

/// <summary>How a machine is built.</summary>
public sealed record MachineOptions
{
    /// <summary>Guest RAM in MiB (QEMU's default is 128).</summary>
    public int MemoryMiB { get; init; } = 128;

    /// <summary>Stop with <see cref="MachineStopReason.BudgetExhausted"/> after this many retired instructions.</summary>
    public ulong MaxInstructions { get; init; } = ulong.MaxValue;

    /// <summary>Block executions before the interpreter compiles a block (0: never; 1: always, before its first run).</summary>
    public int CompileThreshold { get; init; } = Execution.BlockCompiler.DefaultHotThreshold;

    /// <summary>Optional devices (QEMU's -device isa-debugcon, pc-testdev).</summary>
    public PcDeviceOptions Devices { get; init; } = new();

    /// <summary>The multiboot command line (QEMU's <c>-append</c>, after the kernel's name); null gives none.</summary>
    public string? KernelCommandLine { get; init; }

    /// <summary>The processor's optional units (docs/sse.md, docs/x87.md); the default is the whole SIMD unit.</summary>
    public CpuFeatures CpuFeatures { get; init; } = CpuFeatures.Default;
}

/// <summary>Why a run ended; <see cref="MachineResult.ExitCode"/> maps it to the command-line contract.</summary>
public enum MachineStopReason
{
    /// <summary>The guest wrote to isa-debug-exit.</summary>
    DebugExit,

    /// <summary>HLT with interrupts disabled, or with nothing left that could wake the CPU.</summary>
    Halted,

    /// <summary>Triple fault, or something this machine deliberately does not model.</summary>
    Crashed,

    /// <summary>The instruction budget ran out.</summary>
    BudgetExhausted,
}

public sealed record MachineResult(MachineStopReason Reason, uint DebugExitValue, string? Message)
{
    public static MachineResult DebugExit(uint value) => new(MachineStopReason.DebugExit, value, null);

    public static MachineResult Halted(string why) => new(MachineStopReason.Halted, 0, why);

    public static MachineResult Crashed(string why) => new(MachineStopReason.Crashed, 0, why);

    public static MachineResult BudgetExhausted(ulong budget, uint eip) =>
        new(MachineStopReason.BudgetExhausted, 0, $"instruction budget of {budget} exhausted at EIP 0x{eip:X8}");

    /// <summary>
    /// Runs a machine loop, turning the two ways a guest stops the CPU from deep inside it (a triple fault, an
    /// operation this machine does not model) into a crash result.
    /// </summary>
    public static MachineResult CatchingCrashes(Func<MachineResult> run, Func<uint> eip)
    {
        try
        {
            return run();
        }
        catch (TripleFaultException e)
        {
            return Crashed(e.Message);
        }
        catch (UnsupportedGuestOperationException e)
        {
            return Crashed($"{e.Message} (EIP 0x{eip():X8})");
        }
    }

    /// <summary>The process exit code of DESIGN.md: (V &lt;&lt; 1) | 1 for a debug exit, else 0 halted, 4 crashed, 6 budget.</summary>
    public int ExitCode => Reason switch
    {
        MachineStopReason.DebugExit => (int)((DebugExitValue << 1) | 1),
        MachineStopReason.Halted => 0,
        MachineStopReason.Crashed => 4,
        _ => 6,
    };
}

/// <summary>
/// The emulated PC of DESIGN.md: an IA-32 CPU with its local APIC, RAM, COM1, the 8259 pair, the 8254 and isa-debug-exit, the same
/// machine <c>qemu-system-i386 -kernel</c> boots. Time is virtual (one nanosecond per retired instruction).
/// </summary>
public sealed class PcMachine
{
    private readonly MachineOptions _options;
    private readonly Interpreter _interpreter;
    private readonly HaltedCpu _halted;
    private uint? _debugExitValue;

    public PcMachine(MachineOptions options, Action<byte> console)
    {
        _options = options;
        Memory = new PhysicalMemory(options.MemoryMiB);
        Clock = new VirtualClock();
        Board = new PcBoard(Clock, (ulong)options.MemoryMiB << 20, console, RequestDebugExit, options.Devices);
        Memory.Mmio = Board.Mmio;
        Cpu = new X86Cpu(Memory, Io, Clock) { Apic = Apic, Features = options.CpuFeatures };
        Board.FloatingPointError.Connect(Cpu);
        Board.Mmio.Written = () => Cpu.StopBlock = true; // a device write may make an interrupt deliverable: look before the next instruction
        _interpreter = new Interpreter(Cpu) { CompileThreshold = options.CompileThreshold };
        _interpreter.ConnectInterrupts(new ApicInterruptSource(Apic));
        Apic.NmiRaised += () => Cpu.NmiPending |= Apic.TakeNmi(); // the APIC's NMI reaches the processor's latch at once
        _interpreter.ConnectTimer(Board.Timers);
        _halted = new HaltedCpu(() => Apic.InterruptRequested, Board.Timers, Clock, () => Cpu.NmiDeliverable);
    }

    public PhysicalMemory Memory { get; }

    public VirtualClock Clock { get; }

    /// <summary>The devices (see <see cref="PcBoard"/>).</summary>
    public PcBoard Board { get; }

    public IoBus Io => Board.Io;

    public Pic8259Pair Pic => Board.Pic;

    public Pit8254 Pit => Board.Pit;

    public Uart16550 Uart => Board.Uart;

    public DebugExitDevice DebugExit => Board.DebugExit;

    /// <summary>The processor's local APIC (and its INTR arbiter, with the 8259 on LINT0).</summary>
    public LocalApic Apic => Board.Apic;

    public X86Cpu Cpu { get; }

    /// <summary>Loads a multiboot image and sets the entry state QEMU's loader gives (EAX magic, EBX info, EIP entry).</summary>
    public void Load(ReadOnlySpan<byte> image)
    {
        MultibootBootState boot = MultibootLoader.Load(image, Memory, _options.KernelCommandLine);
        Cpu.Reset();
        InstallBootGdt(Cpu, Memory);
        Board.InitializeLikeFirmware();
        Cpu.SetRegister(X86Cpu.EAX, MultibootLoader.BootMagic);
        Cpu.SetRegister(X86Cpu.EBX, boot.InfoAddress);
        Cpu.Eip = boot.Entry;
    }

    /// <summary>The whole machine at the boundary where the last <see cref="Run(ulong)"/> stopped.</summary>
    public Snapshots.MachineState CaptureState() =>
        Snapshots.MachineState.Capture(Snapshots.CpuState.Capture(Cpu), Memory, Memory.Size, Board, Clock, _halted);

    /// <summary>Instead of <see cref="Load"/>: the machine continues from <paramref name="state"/> (its TLB and decoded code start empty).</summary>
    public void RestoreState(Snapshots.MachineState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Cpu.Reset();
        state.RestoreInto(Memory, Memory.Size, Board, Clock, _halted);
        state.Cpu.ApplyTo(Cpu);
        Cpu.NmiPending |= Apic.TakeNmi(); // a hw snapshot keeps a pending NMI in the VMM's APIC; here it is the processor's
    }

    /// <summary>Where the boot GDT lives: the BIOS area, which the multiboot memory map reports as reserved.</summary>
    public const uint BootGdtAddress = 0x000F_0000;

    /// <summary>
    /// QEMU's multiboot option ROM leaves GDTR on its own three-entry GDT (null, 0x08 flat code, 0x10 flat data) and
    /// IDTR on the real-mode table; a guest that takes an interrupt before loading its own tables sees the same here.
    /// </summary>
    public static void InstallBootGdt(X86Cpu cpu, PhysicalMemory memory)
    {
        memory.Write32(BootGdtAddress, 0);
        memory.Write32(BootGdtAddress + 4, 0);
        memory.Write32(BootGdtAddress + 8, 0x0000_FFFF);
        memory.Write32(BootGdtAddress + 12, 0x00CF_9A00);
        memory.Write32(BootGdtAddress + 16, 0x0000_FFFF);
        memory.Write32(BootGdtAddress + 20, 0x00CF_9200);
        cpu.GdtBase = BootGdtAddress;
        cpu.GdtLimit = 3 * 8 - 1;
        cpu.IdtBase = 0;
        cpu.IdtLimit = 0x3FF;
    }

    private void RequestDebugExit(uint value)
    {
        _debugExitValue ??= value;
        _interpreter.RequestStop();
    }

    /// <summary>Runs <paramref name="image"/>'s translated regions wherever they match the loaded code (see <see cref="Interpreter.UseTranslation"/>).</summary>
    public void UseTranslation(Translation.TranslatedImage image) => _interpreter.UseTranslation(image);

    /// <summary>Block addresses that ran without a translated region.</summary>
    public IReadOnlyCollection<uint> UntranslatedEntries => _interpreter.UntranslatedEntries;

    /// <summary>The interpreter that runs the CPU (a VMM attaches translated code to it).</summary>
    public Interpreter Interpreter => _interpreter;

    public MachineResult Run() => Run(_options.MaxInstructions);

    /// <summary>
    /// Runs until the guest stops or has retired <paramref name="untilRetired"/> instructions in all (then the result
    /// is <see cref="MachineStopReason.BudgetExhausted"/> and a later call resumes exactly where this one stopped: a
    /// scheduler's time slice). Past the options' own budget it never runs.
    /// </summary>
    public MachineResult Run(ulong untilRetired) =>
        MachineResult.CatchingCrashes(() => RunLoop(Math.Min(untilRetired, _options.MaxInstructions)), () => Cpu.Eip);

    private MachineResult RunLoop(ulong untilRetired)
    {
        while (true)
        {
            ExecutionStop stop = _interpreter.Run(untilRetired);
            if (_debugExitValue is uint value)
            {
                return MachineResult.DebugExit(value);
            }

            if (Cpu.Retired >= untilRetired)
            {
                return MachineResult.BudgetExhausted(untilRetired, Cpu.Eip);
            }

            if (stop == ExecutionStop.Halted && _halted.WaitForInterrupt(Cpu.IF, Cpu.Eip) is { } haltedForGood)
            {
                return haltedForGood;
            }
        }
    }

    /// <summary>The CPU's INTR input: the local APIC arbitrates between its own vectors and the 8259 on LINT0.</summary>
    public sealed class ApicInterruptSource(LocalApic apic) : IInterruptSource
    {
        public bool InterruptRequested => apic.InterruptRequested;

        public byte Acknowledge(out int irq) => apic.Acknowledge(out irq);
    }
}
