using Translator.Machine.Cpu;

namespace Translator.Vmm.Backends.Hw;

/// <summary>
/// Task switches: VMX non-root operation never performs one; every attempt VM-exits (reason 9) with the new TSS's
/// selector and its source in the qualification, and an IDT task gate's event as IDT-vectoring information. The VMM
/// emulates the switch with the processor's own semantics against the guest's state, as KVM does
/// (<c>kvm_task_switch</c>), and injects the fault the guest takes instead, if any.
/// </summary>
public sealed partial class HardwareAssistedBackend
{
    private void InstallTaskSwitchHooks()
    {
        _cpu.TaskSwitchFaultResolver = ResolveTaskSwitchFault;
        if (_shadow is { } shadow)
        {
            // CR3 is the VMM's under shadow paging, and the real CR0.PG is always set.
            _cpu.TaskSwitchCr3Loader = cr3 =>
            {
                if ((shadow.GuestCr0 & 0x8000_0000) != 0 && cr3 != shadow.GuestCr3)
                {
                    shadow.WriteCr3(cr3);
                }
            };
        }
    }

    /// <summary>A page the switch will touch was not yet in the EPT or the shadow: map it (true), or the fault is the guest's.</summary>
    private bool ResolveTaskSwitchFault(GuestFault fault)
    {
        if (fault.Vector == ExceptionVector.PageFault && _shadow is not null)
        {
            return _shadow.ResolveFault(_cpu.PageFaultAddress, fault.ErrorCode, out _);
        }

        bool eptViolation = fault.Vector == ExceptionVector.PageFault && !fault.HasErrorCode; // how the EPT unwinds
        if (eptViolation && _vmcs.ExitReason == VmExitReason.EptViolation && _nested is not null && !_guest.IsDevice(_vmcs.GuestPhysicalAddress))
        {
            _nested.Resolve(_vmcs.GuestPhysicalAddress);
            return true;
        }

        return false;
    }

    private void HandleTaskSwitch()
    {
        uint qualification = _vmcs.ExitQualification;
        var selector = (ushort)qualification;
        var source = (TaskSwitchSource)(qualification >> 30);
        InterruptionInfo vectored = _vmcs.IdtVectoringInfo;
        bool gate = source == TaskSwitchSource.IdtTaskGate && vectored.Valid;
        bool software = !gate || vectored.Type is InterruptionType.SoftwareInterrupt or InterruptionType.SoftwareException
            or InterruptionType.PrivilegedSoftwareException;
        uint returnEip = software ? _cpu.Eip + _vmcs.ExitInstructionLength : _cpu.Eip;
        bool hasErrorCode = gate && vectored.DeliversErrorCode;
        uint eip = _cpu.Eip;

        // The instruction (JMP, CALL, IRET, INT n) or the faulting one retires with the switch, as on bare metal.
        bool retires = software || (vectored.Type == InterruptionType.HardwareException && vectored.Vector != (int)ExceptionVector.Debug);
        if (retires && !_vmcs.ExitDuringEventInjection)
        {
            _cpu.RetireForGuest();
        }

        var fault = _cpu.EmulateTaskSwitch(selector, source, returnEip, external: gate && !software, hasErrorCode, _vmcs.IdtVectoringErrorCode);
        if (fault is not { } f)
        {
            return;
        }

        uint errorCode = f.ErrorCode;
        if (f.Vector == ExceptionVector.PageFault && !f.HasErrorCode)
        {
            // Every page was made present before the switch began; an EPT violation now is not expected.
            _stopped = Translator.Machine.MachineResult.Crashed($"VMM: the task switch to TSS 0x{selector:X4} at EIP 0x{eip:X8} exited during its emulation ({_vmcs.ExitReason})");
            return;
        }

        if (f.Vector == ExceptionVector.PageFault && _shadow is not null)
        {
            // A true fault (the touch found it so): the guest sees its own error code and CR2.
            uint linear = _cpu.PageFaultAddress;
            _shadow.ResolveFault(linear, errorCode, out errorCode);
            _cpu.WriteGuestCr2(linear);
        }

        // A fault before the commit point is raised in the old task: during an event's delivery it meets that
        // event under the double-fault rules, as on bare metal.
        ExceptionVector vector = f.Vector;
        bool deliversErrorCode = f.HasErrorCode;
        if (gate && vectored.Type == InterruptionType.HardwareException && _cpu.TaskRegister != selector)
        {
            var first = (ExceptionVector)vectored.Vector;
            if (first == ExceptionVector.DoubleFault)
            {
                throw _cpu.FaultChain.TripleFault(vector, deliversErrorCode, errorCode, _cpu.Eip);
            }

            if (IsDoubleFault(first, vector))
            {
                (vector, deliversErrorCode, errorCode) = (ExceptionVector.DoubleFault, true, 0);
            }
        }

        Inject(vector, deliversErrorCode, errorCode);
    }
}
