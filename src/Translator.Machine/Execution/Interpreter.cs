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

    /// <summary>VMX non-root mode: a VM exit is pending (its information is in the CPU's VMCS).</summary>
    VmExit,
}

/// <summary>
/// Runs decoded blocks. Interrupts are taken between blocks (a block is at most one basic block, so latency is a
/// few instructions); faults unwind to here, EIP is rewound to the faulting instruction and the exception is
/// delivered through the guest IDT. Nothing on the per-instruction path allocates.
/// </summary>
public sealed unsafe partial class Interpreter
{
    private const ulong MaxSlice = 50_000;

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

    public void ConnectInterrupts(IInterruptSource source) => _interrupts = source;

    /// <summary>
    /// Runs <paramref name="image"/>'s translated regions in place of interpreted blocks wherever a block starts at a
    /// region's entry and the guest bytes still match; everything else stays interpreted.
    /// </summary>
    public void UseTranslation(Translation.TranslatedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        _cache.Attach(image);
    }

    /// <summary>Addresses of blocks that ran without a translated region (candidate entries for the next translation).</summary>
    public IReadOnlyCollection<uint> UntranslatedEntries => _cache.UntranslatedEntries;

    /// <summary>Translations handed over by other threads, attached by <see cref="Run"/> at its next block boundary, in order.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<(Translation.TranslatedImage Image, bool Replacing)> _offered = new();

    /// <summary>
    /// Hands <paramref name="image"/> over from any thread (a background compiler): <see cref="Run"/> attaches it
    /// between two blocks, as <see cref="UseTranslation"/> would (tiered translation swaps in there, group by group),
    /// or, when <paramref name="replacing"/>, in place of every translation attached before it.
    /// </summary>
    public void OfferTranslation(Translation.TranslatedImage image, bool replacing = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        _offered.Enqueue((image, replacing));
    }

    /// <summary>
    /// Blocks that proved hot (<see cref="CompileThreshold"/> runs, or compiled) and run without a translated region:
    /// what tiered translation compiles next. Only on the thread that runs the guest (or while it does not run).
    /// </summary>
    public IReadOnlyList<uint> HotUntranslatedBlocks() =>
        _cache.HotUntranslatedBlocks(CompileThreshold > 0 ? CompileThreshold : BlockCompiler.DefaultHotThreshold);

    /// <summary>Raised on the running thread when an offered translation was attached, with the retired count then.</summary>
    public Action<Translation.TranslatedImage, ulong>? TranslationSwapped { get; set; }

    /// <summary>
    /// The retired count at which <see cref="TierUp"/> is raised once, at a block boundary (the run proved long
    /// enough for translation to pay); <see cref="ulong.MaxValue"/>: never.
    /// </summary>
    public ulong TierUpAt { get; set; } = ulong.MaxValue;

    /// <summary>Called on the running thread when <see cref="TierUpAt"/> is reached.</summary>
    public Action? TierUp { get; set; }

    /// <summary>The tier checks between slices: start translating once the run is long, swap an offered translation in.</summary>
    private void AtBoundary(X86Cpu cpu)
    {
        if (cpu.Retired >= TierUpAt)
        {
            TierUpAt = ulong.MaxValue;
            TierUp?.Invoke();
        }

        while (_offered.TryDequeue(out (Translation.TranslatedImage Image, bool Replacing) offer))
        {
            if (offer.Replacing)
            {
                _cache.Replace(offer.Image);
            }
            else
            {
                _cache.Attach(offer.Image);
            }

            TranslationSwapped?.Invoke(offer.Image, cpu.Retired);
        }
    }

    /// <summary>The device whose deadlines are checked between blocks (the PIT), so its IRQs arrive on time.</summary>
    public void ConnectTimer(ITimedDevice timer) => _timer = timer;

    public void RequestStop()
    {
        StopRequested = true;
        _cpu.StopBlock = true;
    }

    /// <summary>
    /// Runs one block. EIP is set once to the fall-through address; only the last instruction of a block may
    /// transfer control, so it alone overwrites EIP. An instruction that ends the block early (a store into
    /// cached code, a debug exit) leaves EIP at its successor.
    /// </summary>
    /// <summary>
    /// Executions after which a block is compiled by <see cref="BlockCompiler"/>; 0 never compiles (pure
    /// interpreter), 1 compiles every block before its first run (how tests exercise the compiled tier).
    /// </summary>
    public int CompileThreshold { get; set; } = BlockCompiler.DefaultHotThreshold;

    private int Interpret(X86Cpu cpu, Block block)
    {
        if (++block.Executions == CompileThreshold)
        {
            block.Compiled = BlockCompiler.Compile(block);
        }

        return ExecuteBlock(cpu, block.Ops);
    }

    private static int ExecuteBlock(X86Cpu cpu, DecodedOp[] ops)
    {
        cpu.Eip = ops[^1].NextIp;
        for (int i = 0; i < ops.Length; i++)
        {
            ref DecodedOp op = ref ops[i];
            cpu.CurrentOpIndex = i;
            op.Execute(cpu, ref op);
            if (cpu.StopBlock)
            {
                if (i < ops.Length - 1)
                {
                    cpu.Eip = op.NextIp;
                }

                return i + 1;
            }
        }

        return ops.Length;
    }

    /// <summary>Executes until <see cref="X86Cpu.Retired"/> reaches <paramref name="retireLimit"/>, the CPU halts, or a stop is requested.</summary>
    public ExecutionStop Run(ulong retireLimit)
    {
        X86Cpu cpu = _cpu;
        VirtualClock clock = cpu.Clock;
        while (true)
        {
            if (StopRequested)
            {
                // A request is consumed by the stop it causes: a VMM that parks the guest (a PV guest blocking until
                // its next event) resumes it with another Run.
                StopRequested = false;
                return ExecutionStop.StopRequested;
            }

            if (cpu.Retired >= retireLimit)
            {
                return ExecutionStop.InstructionLimit;
            }

            AtBoundary(cpu);

            ulong deadline = ulong.MaxValue;
            if (_timer is { } timer)
            {
                if (clock.Now >= timer.NextDeadline)
                {
                    timer.Advance(clock.Now);
                }

                deadline = timer.NextDeadline;
            }

            // VMX non-root mode: an exit recorded by the last block, the host timer, or an open interrupt window.
            if (cpu.Vmx is not null && cpu.VmExitAtBoundary())
            {
                return ExecutionStop.VmExit;
            }

            ulong slice = Math.Min(retireLimit - cpu.Retired, deadline - Math.Min(deadline, clock.Now));
            bool debugShadow = cpu.InterruptShadow && cpu.MovSsShadow; // MOV SS/POP SS also hold #DB for one instruction
            cpu.MovSsShadow = false;
            if (cpu.InterruptShadow)
            {
                // STI / MOV SS: one more instruction runs before an interrupt may be taken. When one is waiting, that
                // is exactly one instruction (a block would run on past it: "sti; nop; cli" must take it after the nop).
                cpu.InterruptShadow = false;
                if ((cpu.IF && (_interrupts is { InterruptRequested: true } || cpu.InterruptWindowRequested)) || cpu.NmiDeliverable || cpu.NmiWindowRequested)
                {
                    StepAtBreakpoints(cpu, debugShadow);
                    continue;
                }

                slice = 1;
            }
            else if (cpu.NmiDeliverable)
            {
                cpu.DeliverNmi(); // before any maskable interrupt, whatever IF says (SDM table 6-2)
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

            if ((cpu.FlagBits & (uint)EFlags.TF) != 0 || cpu.BreakpointsArmed)
            {
                // Single-stepping, or breakpoints armed: one instruction at a time on the interpreter, so neither a
                // block nor compiled or translated code runs past an armed address or an access it must report.
                StepAtBreakpoints(cpu, debugShadow);
                continue;
            }

            if (cpu.Virtual8086)
            {
                RunVirtual8086(cpu, Math.Clamp(slice, 1, MaxSlice));
                continue;
            }

            // Bounded slices also keep RunChained a frequently called method, which the JIT fully optimises
            // (a method entered once and looping forever only gets on-stack-replacement code).
            RunChained(cpu, Math.Clamp(slice, 1, MaxSlice));
        }
    }

    /// <summary>
    /// One instruction, after the instruction-breakpoint check (SDM 17.3.1.1) when any is armed: a match at CS:EIP
    /// is a #DB fault before the instruction (EIP on it, DR6's B bits set, RF pushed as it is), unless EFLAGS.RF
    /// is set (a handler's IRET resuming the instruction) or MOV SS/POP SS just ran (<paramref name="debugShadow"/>:
    /// the breakpoint is not reported, as on Intel processors). RF is cleared at the start of the instruction,
    /// after that check, so an IRET may load it again for the instruction after it.
    /// </summary>
    private void StepAtBreakpoints(X86Cpu cpu, bool debugShadow)
    {
        if (cpu.InstructionBreakpoints != 0)
        {
            bool resume = (cpu.FlagBits & (uint)EFlags.RF) != 0;
            cpu.FlagBits &= ~(uint)EFlags.RF;
            if (!resume && !debugShadow && cpu.InstructionBreakpointHit())
            {
                cpu.DeliverException(ExceptionVector.Debug, hasErrorCode: false, 0);
                return;
            }
        }

        Step(cpu, trap: (cpu.FlagBits & (uint)EFlags.TF) != 0);
    }

    /// <summary>
    /// Runs exactly one instruction; with <paramref name="trap"/> (EFLAGS.TF) then raises the single-step #DB trap
    /// (DR6.BS) with EIP at the next instruction. An instruction that faults reports its fault instead.
    /// </summary>
    private void Step(X86Cpu cpu, bool trap)
    {
        if (cpu.Virtual8086)
        {
            StepVirtual8086(cpu, trap);
            return;
        }

        DecodedOp[]? ops = null;
        cpu.StopBlock = false;
        try
        {
            ops = _cache.Lookup(cpu.Eip).Ops;
            ref DecodedOp op = ref ops[0];
            cpu.CurrentOpIndex = 0;
            cpu.Eip = op.NextIp;
            cpu.Mmu.WatchHits = 0; // the instruction's own accesses, not the fetch's nor an earlier delivery's
            op.Execute(cpu, ref op);
            cpu.Retired++;
            cpu.Clock.Advance(VirtualClock.NanosecondsPerInstruction);
            RaiseDebugTrap(cpu, trap);
        }
        catch (GuestFault fault)
        {
            if (ops is not null)
            {
                cpu.Eip = ops[0].Ip;
            }

            DeliverCountingTheFaulting(cpu, fault);
        }
    }

    /// <summary>
    /// After an instruction completed: one #DB trap reporting the single step (<paramref name="trap"/>, DR6.BS) and
    /// the data breakpoints its accesses hit (DR6's B0-B3), if either. Under VMX an instruction that exited is the
    /// VMM's to complete, and it raises the single-step trap after it.
    /// </summary>
    private static void RaiseDebugTrap(X86Cpu cpu, bool trap)
    {
        uint dataHits = cpu.DataBreakpoints != 0 ? cpu.TakeDataBreakpointHits() : 0;
        if (cpu.VmExitPending || (!trap && dataHits == 0))
        {
            return;
        }

        if (dataHits != 0)
        {
            cpu.DebugRegisters[6] = (cpu.DebugRegisters[6] & ~0xFu) | dataHits;
        }

        if (trap)
        {
            cpu.DebugRegisters[6] |= X86Cpu.Dr6Bs;
        }

        cpu.DeliverException(ExceptionVector.Debug, hasErrorCode: false, 0);
    }

    /// <summary>
    /// Delivers an instruction's fault. The faulting instruction counts as retired too, so a guest that faults forever
    /// still spends its budget (unless the fault became a VM exit, or a deprivileging VMM consumed it as a hidden
    /// fault: the instruction restarts, or the VMM counts it when it reflects the fault), and it counts when the
    /// delivery ends the run in a triple fault, so every backend reports the same count for a crashing guest.
    /// </summary>
    private static void DeliverCountingTheFaulting(X86Cpu cpu, GuestFault fault)
    {
        try
        {
            cpu.DeliverException(fault.Vector, fault.HasErrorCode, fault.ErrorCode);
        }
        finally
        {
            if (!cpu.VmExitPending && !cpu.TakeRestart())
            {
                cpu.Retired++;
                cpu.Clock.Advance(VirtualClock.NanosecondsPerInstruction);
            }
        }
    }

    /// <summary>
    /// Runs block after block, following cached successor links, until an instruction asks for attention
    /// (<see cref="X86Cpu.StopBlock"/>: I/O writes, IF changes, mode changes, HLT) or about
    /// <paramref name="slice"/> instructions have retired (the next timer deadline or the budget).
    /// </summary>
    private void RunChained(X86Cpu cpu, ulong slice)
    {
        VirtualClock clock = cpu.Clock;
        ulong done = 0;
        Block? executing = null;
        cpu.StopBlock = false;
        cpu.RegionFaulted = false;
        try
        {
            executing = _cache.Lookup(cpu.Eip);
            while (true)
            {
                int executed;
                if (executing.Translated is { } translated)
                {
                    if (executing.TranslatedMethod >= 0)
                    {
                        // Found for the current mappings with its bytes unchanged: translated code may chain into it.
                        cpu.ChainValid[executing.TranslatedMethod] = cpu.TranslationEpoch;
                    }

                    executed = translated(cpu, (int)Math.Min(slice - done, int.MaxValue));
                    cpu.Counters.TranslatedInstructions += executed;
                }
                else
                {
                    executed = executing.Compiled is { } compiled
                        ? compiled(cpu, executing.Ops, (int)Math.Min(slice - done, int.MaxValue))
                        : Interpret(cpu, executing);
                }

                cpu.Retired += (ulong)executed;
                clock.Advance((ulong)executed * VirtualClock.NanosecondsPerInstruction);
                done += (ulong)executed;
                if (cpu.StopBlock || done >= slice)
                {
                    return;
                }

                Block from = executing;
                executing = null;
                executing = _cache.Next(from, cpu.Eip);
            }
        }
        catch (GuestFault fault)
        {
            // A fault inside a block: the instructions before it retired, and EIP goes back to it. A fault while
            // fetching the next block: EIP already names the address that could not be fetched.
            ulong retired = 0;
            if (cpu.RegionFaulted)
            {
                // A translated region recorded where inside it the fault happened.
                cpu.RegionFaulted = false;
                retired = (ulong)cpu.RegionFaultRetired;
                cpu.Counters.TranslatedInstructions += cpu.RegionFaultRetired;
                cpu.Eip = cpu.RegionFaultIp;
            }
            else if (executing is not null)
            {
                int index = cpu.CurrentOpIndex;
                retired = (ulong)(index + cpu.LoopRetired);
                cpu.LoopRetired = 0;
                cpu.Eip = executing.Ops[index].Ip;
            }

            cpu.Retired += retired;
            clock.Advance(retired * VirtualClock.NanosecondsPerInstruction);
            DeliverCountingTheFaulting(cpu, fault);
        }
    }
}
