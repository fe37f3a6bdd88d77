using Translator.Machine.Cpu;
using Translator.Machine.Execution;
using Translator.Machine.Snapshots;


namespace Translator.Vmm.Backends.Hw;

/// <summary>
/// Snapshots under VT-x: the guest's state is the processor's, except what the VMM virtualizes: under shadow paging
/// the guest's CR0/CR3/CR4 are the read shadows and the shadow's record of them (the real CR3 points at the shadow
/// directory), and the guest's TSC offset includes the VMCS's. An event the VMM has queued for injection is delivered
/// first, so the saved state never depends on a VMCS field.
/// </summary>
public sealed partial class HardwareAssistedBackend : ISnapshotBackend
{
    /// <summary>Entries in a row that may be needed to deliver a queued event (each exit during delivery is handled, then it is retried).</summary>
    private const int MaxDeliveryAttempts = 64;

    public MachineState Capture()
    {
        DeliverQueuedEvent();
        CpuState cpu = CpuState.Capture(_cpu);
        if (_shadow is not null)
        {
            cpu.Cr0 = _shadow.GuestVisibleCr0;
            cpu.Cr3 = _shadow.GuestCr3;
            cpu.Cr4 = _shadow.GuestVisibleCr4;
        }

        cpu.TscOffset += _vmcs.TscOffset;
        return MachineState.Capture(cpu, _hostMemory, _guest.Size, _platform.Board, _cpu.Clock, _halted);
    }

    public void Restore(MachineState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _cpu.Reset();
        state.RestoreInto(_hostMemory, _guest.Size, _platform.Board, _cpu.Clock, _halted);
        state.Cpu.ApplyTo(_cpu);
        if (_cpu.NmiPending)
        {
            // Another backend's snapshot keeps a pending NMI in the processor's latch; under hw the VMM injects it.
            _cpu.NmiPending = false;
            _platform.Apic.RaiseNmi();
        }

        _cpu.TscOffset = 0;
        ConfigureVmcs(); // the VMM's own structures, built from the guest's control registers as at boot
        _vmcs.TscOffset = state.Cpu.TscOffset;
    }

    /// <summary>
    /// The VMM may stop with an event queued in the VM-entry interruption information (a reflected fault): the next
    /// entry delivers it before any instruction, so doing that entry now changes nothing the guest can tell.
    /// </summary>
    private void DeliverQueuedEvent()
    {
        for (int attempt = 0; _vmcs.EntryInterruptionInfo.Valid; attempt++)
        {
            if (attempt == MaxDeliveryAttempts)
            {
                throw new SnapshotException($"the VMM could not deliver the event queued for the guest at EIP 0x{_cpu.Eip:X8}");
            }

            if (_cpu.RunGuest(_interpreter, _cpu.Retired) == ExecutionStop.VmExit)
            {
                HandleExit();
            }
        }
    }
}
