using Translator.Machine.Cpu;
using Translator.Machine.Snapshots;


namespace Translator.Vmm.Backends.Deprivileged;

/// <summary>
/// Snapshots under ring compression: the guest's state is the virtual view an emulation sees (its CPL 0 where the
/// processor runs it at CPL 1, RPL 0 and DPL 0 in its segments, its own descriptor-table and task registers, CR0/CR3/CR4
/// from the shadow page tables, its CR2, IF and IOPL); a restore sets that state up as bare metal would hold it and
/// then deprivileges it exactly as the VMM takes over the boot state.
/// </summary>
public abstract partial class DeprivilegedMonitor : ISnapshotBackend
{
    public MachineState Capture()
    {
        bool entered = EnterView();
        CpuState cpu;
        try
        {
            cpu = CpuState.Capture(_cpu);
        }
        finally
        {
            if (entered)
            {
                ExitView();
            }
        }

        return MachineState.Capture(cpu, _hostMemory, _guest.Size, _platform.Board, _cpu.Clock, _halted);
    }

    public void Restore(MachineState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Cpu.Cpl is 1 or 2)
        {
            // Ring compression gives the guest two rings, its kernel's 0 (really 1) and its user's 3.
            throw new SnapshotException(
                $"the guest was at CPL {state.Cpu.Cpl}; {Name} runs a guest's kernel deprivileged in ring 1 and can represent only CPL 0 and 3");
        }

        _cpu.Reset();
        state.RestoreInto(_hostMemory, _guest.Size, _platform.Board, _cpu.Clock, _halted);
        state.Cpu.ApplyTo(_cpu);
        _cpu.NmiPending |= _platform.Apic.TakeNmi(); // a hw snapshot keeps a pending NMI in the VMM's APIC
        Deprivilege();
        if (_cpu.Cpl == 3 && (state.Cpu.EFlags & (uint)EFlags.IF) == 0)
        {
            _cpu.FlagBits &= ~(uint)EFlags.IF; // in user mode the guest's IF is the processor's own
        }

        OnLoaded();
    }
}
