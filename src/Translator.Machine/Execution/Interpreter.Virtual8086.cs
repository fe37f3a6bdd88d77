using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Devices;

namespace Translator.Machine.Execution;

/// <summary>
/// Virtual-8086 code (EFLAGS.VM = 1) runs here, one instruction at a time, on every backend: it is never cached,
/// compiled or translated (see <see cref="Decoders.Virtual8086Decoder"/>). Interrupts, the timer and VM exits are
/// checked by <see cref="Run"/> between slices as for protected-mode code.
/// </summary>
public sealed partial class Interpreter
{
    private static void RunVirtual8086(X86Cpu cpu, ulong slice)
    {
        cpu.StopBlock = false;
        for (ulong done = 0; done < slice; done++)
        {
            if (!StepVirtual8086(cpu, trap: false) || cpu.StopBlock || cpu.InterruptShadow || !cpu.Virtual8086)
            {
                return;
            }
        }
    }

    /// <summary>One v86 instruction; false when it faulted (the fault was delivered, EIP named the instruction).</summary>
    private static bool StepVirtual8086(X86Cpu cpu, bool trap)
    {
        uint ip = cpu.Eip;
        try
        {
            cpu.DecodeVirtual8086(out Instruction instruction);
            cpu.Eip = (ip + (uint)instruction.Length) & 0xFFFF;
            cpu.Mmu.WatchHits = 0; // the instruction's own accesses, not its fetch's
            cpu.ExecuteVirtual8086(in instruction);
            cpu.Retired++;
            cpu.Clock.Advance(VirtualClock.NanosecondsPerInstruction);
            RaiseDebugTrap(cpu, trap);
            return true;
        }
        catch (GuestFault fault)
        {
            cpu.Eip = ip;
            DeliverCountingTheFaulting(cpu, fault);
            return false;
        }
    }
}
