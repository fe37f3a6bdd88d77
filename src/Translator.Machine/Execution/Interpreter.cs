using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using Translator.Machine.Devices;

namespace Translator.Machine.Execution;

/// <summary>The CPU's INTR input: who may interrupt, and the INTA cycle that yields the vector.</summary>
public interface IInterruptSource
{
    bool InterruptRequested { get; }

    /// <summary>Acknowledges the highest-priority request; <paramref name="irq"/> is its line, or -1 when spurious.</summary>
    byte Acknowledge(out int irq);
}

/// <summary>Why <see cref="Interpreter.Run"/> returned.</summary>
public enum ExecutionStop
{
    /// <summary>The retired-instruction limit was reached (the budget).</summary>
    InstructionLimit,

    /// <summary>The CPU executed HLT and no interrupt is pending.</summary>
    Halted,

    /// <summary>A device or the host asked to stop (isa-debug-exit).</summary>
    StopRequested,
}

/// <summary>
/// Runs decoded blocks. Interrupts are taken between blocks (a block is at most one basic block, so latency is a
/// few instructions); faults unwind to here, EIP is rewound to the faulting instruction and the exception is
/// delivered through the guest IDT. Nothing on the per-instruction path allocates.
/// </summary>
public sealed unsafe class Interpreter
{
    private readonly X86Cpu _cpu;
    private readonly CodeCache _cache;
    private IInterruptSource? _interrupts;
    private ITimedDevice? _timer;

    public Interpreter(X86Cpu cpu)
    {
        _cpu = cpu;
        _cache = new CodeCache(cpu);
    }

    public X86Cpu Cpu => _cpu;

    /// <summary>Set by a device callback to make <see cref="Run"/> return at the next instruction boundary.</summary>
    public bool StopRequested { get; private set; }

    public int CachedBlocks => _cache.BlockCount;

    public void ConnectInterrupts(IInterruptSource source) => _interrupts = source;

    /// <summary>The device whose deadlines are checked between blocks (the PIT), so its IRQs arrive on time.</summary>
    public void ConnectTimer(ITimedDevice timer) => _timer = timer;

    public void RequestStop()
    {
        StopRequested = true;
        _cpu.StopBlock = true;
    }

    /// <summary>Executes until <see cref="X86Cpu.Retired"/> reaches <paramref name="retireLimit"/>, the CPU halts, or a stop is requested.</summary>
    public ExecutionStop Run(ulong retireLimit)
    {
        X86Cpu cpu = _cpu;
        var clock = cpu.Clock;
        while (true)
        {
            if (StopRequested)
            {
                return ExecutionStop.StopRequested;
            }

            if (cpu.Retired >= retireLimit)
            {
                return ExecutionStop.InstructionLimit;
            }

            if (_timer is { } timer && clock.Now >= timer.NextDeadline)
            {
                timer.Advance(clock.Now);
            }

            if (cpu.InterruptShadow)
            {
                cpu.InterruptShadow = false;
            }
            else if (cpu.IF && _interrupts is { InterruptRequested: true } source)
            {
                byte vector = source.Acknowledge(out int irq);
                if (irq >= 0)
                {
                    cpu.Counters.Irqs[irq]++;
                }

                cpu.DeliverExternalInterrupt(vector);
            }

            if (cpu.Halted)
            {
                return ExecutionStop.Halted;
            }

            int executed = 0;
            DecodedOp[]? ops = null;
            cpu.StopBlock = false;
            try
            {
                ops = _cache.Lookup(cpu.Eip).Ops;
                for (; executed < ops.Length; executed++)
                {
                    ref DecodedOp op = ref ops[executed];
                    cpu.Eip = op.NextIp;
                    op.Execute(cpu, ref op);
                    if (cpu.StopBlock)
                    {
                        executed++;
                        break;
                    }
                }
            }
            catch (GuestFault fault)
            {
                if (ops is not null)
                {
                    cpu.Eip = ops[executed].Ip;
                }

                cpu.DeliverException(fault.Vector, fault.HasErrorCode, fault.ErrorCode);

                // A faulting instruction counts as retired, so a guest that faults forever still spends its budget.
                executed++;
            }

            cpu.Retired += (ulong)executed;
            clock.Advance((ulong)executed * VirtualClock.NanosecondsPerInstruction);
        }
    }
}
