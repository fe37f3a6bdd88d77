using Translator.Machine.Cpu;
using Translator.Machine.Devices;

namespace Translator.Vmm.Backends.Hw;

/// <summary>The exit handlers: one per basic exit reason, each emulating what the guest asked for and resuming it.</summary>
public sealed partial class HardwareAssistedBackend
{
    private const uint KvmHypercallPollIrq = 1;
    private const uint KvmEnosys = unchecked((uint)-1000);
    private const uint MsrTsc = 0x10;

    /// <summary>Raised for every VM exit before the VMM handles it (tracing, tests).</summary>
    public event Action<VmExitInformation>? ExitObserved;

    private void HandleExit()
    {
        VmExitReason reason = _vmcs.ExitReason;
        _exitCounts[(int)reason]++;
        ExitObserved?.Invoke(_vmcs.ExitInformation);
        switch (reason)
        {
            case VmExitReason.ExceptionOrNmi:
                HandleException();
                return; // re-injection of an interrupted event is part of the exception's handling
            case VmExitReason.TaskSwitch:
                HandleTaskSwitch();
                return; // the switch consumed the vectored event, if any
            case VmExitReason.ExternalInterrupt:
                // The host timer fired: bring the virtual timers up to date; their interrupt is injected at the next entry.
                _platform.Timers.Advance(_cpu.Clock.Now);
                break;
            case VmExitReason.InterruptWindow:
            case VmExitReason.NmiWindow:
                break; // PrepareEntry injects now that the guest can take the interrupt or the NMI
            case VmExitReason.Cpuid:
                (uint a, uint b, uint c, uint d) = X86Cpu.CpuidLeaf(_cpu.Features, _cpu.GetRegister(X86Cpu.EAX), _cpu.GetRegister(X86Cpu.ECX));
                _cpu.SetRegister(X86Cpu.EAX, a);
                _cpu.SetRegister(X86Cpu.EBX, b);
                _cpu.SetRegister(X86Cpu.ECX, c);
                _cpu.SetRegister(X86Cpu.EDX, d);
                CompleteInstruction();
                break;
            case VmExitReason.Hlt:
                CompleteInstruction();
                WaitForInterrupt();
                break;
            case VmExitReason.Invlpg:
                _shadow?.Invalidate(_vmcs.ExitQualification);
                if (_shadow is null)
                {
                    _cpu.InvalidateTranslations(_vmcs.ExitQualification);
                }

                CompleteInstruction();
                break;
            case VmExitReason.Rdtsc:
                SetEdxEax(_cpu.Clock.Now + _vmcs.TscOffset);
                CompleteInstruction();
                break;
            case VmExitReason.Vmcall:
                // KVM's hypercall ABI: number in EAX, result in EAX; unknown numbers return -KVM_ENOSYS.
                _cpu.SetRegister(X86Cpu.EAX, _cpu.GetRegister(X86Cpu.EAX) == KvmHypercallPollIrq ? 0 : KvmEnosys);
                CompleteInstruction();
                break;
            case VmExitReason.CrAccess:
                HandleControlRegisterAccess();
                break;
            case VmExitReason.IoInstruction:
                HandleIo();
                break;
            case VmExitReason.Rdmsr:
            case VmExitReason.Wrmsr:
                HandleMsr(reason == VmExitReason.Wrmsr);
                break;
            case VmExitReason.EptViolation:
                if (_guest.IsDevice(_vmcs.GuestPhysicalAddress))
                {
                    EmulateDeviceAccess(_vmcs.GuestLinearAddress, _vmcs.GuestPhysicalAddress);
                }
                else
                {
                    _nested!.Resolve(_vmcs.GuestPhysicalAddress);
                    RestoreNmiBlockingForRestart((_vmcs.ExitQualification & ExitQualification.NmiUnblockingDueToIret) != 0);
                }

                break;
        }

        ReinjectInterruptedEvent(countAsRetired: !_vmcs.ExitDuringEventInjection);
    }

    /// <summary>
    /// The VMM finished an exiting instruction: EIP moves past it. A guest single-stepping with EFLAGS.TF gets the
    /// #DB trap the instruction would have raised (the CPU left that to the VMM because the instruction exited).
    /// </summary>
    private void CompleteInstruction()
    {
        _cpu.Eip += _vmcs.ExitInstructionLength;
        if (_cpu.GuestSingleStepping)
        {
            _cpu.SetDebugStatus(0x4000);
            Inject(ExceptionVector.Debug, hasErrorCode: false, 0);
        }
    }

    private void Inject(ExceptionVector vector, bool hasErrorCode, uint errorCode)
    {
        _vmcs.EntryInterruptionInfo = InterruptionInfo.Create((int)vector, InterruptionType.HardwareException, hasErrorCode);
        _vmcs.EntryExceptionErrorCode = errorCode;
    }

    /// <summary>An exiting instruction faults instead of completing (its retirement was counted at the exit).</summary>
    private void FaultInstruction(ExceptionVector vector, uint errorCode = 0)
    {
        bool hasErrorCode = vector is ExceptionVector.GeneralProtection or ExceptionVector.PageFault;
        _cpu.FaultChain.Begin(vector, hasErrorCode, errorCode, _cpu.Eip); // the instruction's own fault: a new event
        Inject(vector, hasErrorCode, errorCode);
    }

    /// <summary>
    /// The VMM restarts an instruction the guest never saw fault. If it was an IRET that had unblocked NMIs (the
    /// exit says so, SDM 27.2.1/27.2.3), that IRET has not happened yet: NMIs are blocked again, as the SDM tells a
    /// VMM to do (31.7.1.2), so no NMI is injected into the handler it was about to leave.
    /// </summary>
    private void RestoreNmiBlockingForRestart(bool nmiUnblockingDueToIret)
    {
        if (nmiUnblockingDueToIret)
        {
            _cpu.NmiBlocked = true;
        }
    }

    /// <summary>
    /// The exit interrupted the delivery of an event through the guest IDT (IDT-vectoring information): deliver it
    /// again now that the cause is resolved. A guest exception whose delivery was cut short is counted as retired
    /// here, as bare metal counts the faulting instruction once its exception is delivered (a #DB trap was counted
    /// with its instruction, and the VMM's own injections when they were made).
    /// </summary>
    private void ReinjectInterruptedEvent(bool countAsRetired)
    {
        InterruptionInfo vectored = _vmcs.IdtVectoringInfo;
        if (!vectored.Valid || _vmcs.EntryInterruptionInfo.Valid)
        {
            return;
        }

        _vmcs.EntryInterruptionInfo = vectored;
        _vmcs.EntryExceptionErrorCode = _vmcs.IdtVectoringErrorCode;
        if (vectored.Type == InterruptionType.HardwareException)
        {
            _cpu.Counters.Exceptions[vectored.Vector & 31]--; // counted by the cut-short delivery; entry counts it again
        }

        if (countAsRetired && vectored.Type == InterruptionType.HardwareException && vectored.Vector != (int)ExceptionVector.Debug)
        {
            _cpu.RetireForGuest();
        }
    }

    /// <summary>
    /// Exception exits. Under shadow paging every #PF exits: a hidden one is fixed in the shadow and the instruction
    /// restarts; a true one is reflected into the guest with the guest's error code and CR2. Exceptions the VMM only
    /// observes are reflected unchanged. Reflection follows the double-fault rules against an interrupted delivery.
    /// </summary>
    private void HandleException()
    {
        InterruptionInfo info = _vmcs.ExitInterruptionInfo;
        var vector = (ExceptionVector)info.Vector;
        uint errorCode = _vmcs.ExitInterruptionErrorCode;
        bool countAsRetired = !_vmcs.ExitDuringEventInjection;
        if (vector == ExceptionVector.PageFault)
        {
            if (_shadow is not null)
            {
                if (_shadow.ResolveFault(_vmcs.ExitQualification, errorCode, out uint guestErrorCode, out uint? device))
                {
                    RestoreNmiBlockingForRestart((info.Value & InterruptionInfo.NmiUnblockingDueToIret) != 0);
                    ReinjectInterruptedEvent(countAsRetired);
                    return;
                }

                if (device is uint guestPhysical && !_vmcs.IdtVectoringInfo.Valid)
                {
                    EmulateDeviceAccess(_vmcs.ExitQualification, guestPhysical);
                    return;
                }

                errorCode = guestErrorCode;
            }

            // A #PF that exits leaves CR2 alone; the guest must see it when the fault is reflected.
            _cpu.WriteGuestCr2(_vmcs.ExitQualification);
        }

        InterruptionInfo vectored = _vmcs.IdtVectoringInfo;
        if (vectored.Valid && vectored.Type == InterruptionType.HardwareException)
        {
            var first = (ExceptionVector)vectored.Vector;
            if (first == ExceptionVector.DoubleFault)
            {
                throw _cpu.FaultChain.TripleFault(vector, info.DeliversErrorCode, errorCode, _cpu.Eip);
            }

            _cpu.FaultChain.Add(vector, info.DeliversErrorCode, errorCode, _cpu.Eip);
            if (IsDoubleFault(first, vector))
            {
                _cpu.Counters.Exceptions[(int)vector]++; // the second fault happened, as bare metal counts it
                _cpu.FaultChain.Add(ExceptionVector.DoubleFault, true, 0, _cpu.Eip);
                vector = ExceptionVector.DoubleFault;
                errorCode = 0;
                info = InterruptionInfo.Create(8, InterruptionType.HardwareException, deliverErrorCode: true);
            }
        }

        Inject(vector, info.DeliversErrorCode, errorCode);
        if (countAsRetired && !(vectored.Valid && vectored.Vector == (int)ExceptionVector.Debug))
        {
            _cpu.RetireForGuest();
        }
    }

    // SDM Vol. 3 table 6-5, as the processor applies it during delivery (Interrupts.cs).
    private static bool IsDoubleFault(ExceptionVector first, ExceptionVector second)
    {
        static bool Contributory(ExceptionVector v) => v is ExceptionVector.DivideError or ExceptionVector.InvalidTss
            or ExceptionVector.SegmentNotPresent or ExceptionVector.StackFault or ExceptionVector.GeneralProtection;

        return Contributory(first) ? Contributory(second)
            : first == ExceptionVector.PageFault && (Contributory(second) || second == ExceptionVector.PageFault);
    }

    /// <summary>CR-access exits (qualification of SDM table 27-3): the VMM-owned bits and CR3 under shadow paging.</summary>
    private void HandleControlRegisterAccess()
    {
        uint q = _vmcs.ExitQualification;
        int cr = (int)(q & 0xF);
        uint access = (q >> 4) & 3;
        int gpr = (int)((q >> 8) & 0xF);
        switch (access)
        {
            case ExitQualification.MovToCr:
                if (!WriteControlRegister(cr, _cpu.GetRegister(gpr)))
                {
                    return;
                }

                break;
            case ExitQualification.MovFromCr:
                _cpu.SetRegister(gpr, _shadow?.GuestCr3 ?? _cpu.Cr3);
                break;
            case ExitQualification.Clts:
                _vmcs.Cr0ReadShadow &= ~8u;
                _cpu.WriteGuestControlRegisters(_cpu.Cr0 & ~8u, _cpu.Cr3, _cpu.Cr4);
                break;
            case ExitQualification.Lmsw:
                uint current = GuestCr0();
                uint source = q >> 16;
                if (!WriteControlRegister(0, (current & ~0xEu) | (source & 0xF) | (current & 1)))
                {
                    return;
                }

                break;
        }

        CompleteInstruction();
    }

    private uint GuestCr0() => _shadow?.GuestVisibleCr0 ?? ((_cpu.Cr0 & ~_vmcs.Cr0GuestHostMask) | (_vmcs.Cr0ReadShadow & _vmcs.Cr0GuestHostMask));

    /// <summary>Emulates MOV to CR0/CR3/CR4; false when the value makes the instruction fault (#GP injected).</summary>
    private bool WriteControlRegister(int cr, uint value)
    {
        if (cr == 3)
        {
            if (_shadow is not null)
            {
                _shadow.WriteCr3(value);
            }
            else
            {
                _cpu.WriteGuestControlRegisters(_cpu.Cr0, value, _cpu.Cr4);
            }

            return true;
        }

        if (_cpu.CheckGuestControlRegister(cr, value) is not uint checkedValue)
        {
            FaultInstruction(ExceptionVector.GeneralProtection);
            return false;
        }

        if (_shadow is not null)
        {
            if (cr == 0)
            {
                _shadow.WriteCr0(checkedValue);
            }
            else
            {
                _shadow.WriteCr4(checkedValue);
            }

            return true;
        }

        // Without shadow paging nothing is VMM-owned for its own sake: the guest's value goes in, the shadows follow.
        if (cr == 0)
        {
            _vmcs.Cr0ReadShadow = checkedValue;
            _cpu.WriteGuestControlRegisters(checkedValue, _cpu.Cr3, _cpu.Cr4);
        }
        else
        {
            _vmcs.Cr4ReadShadow = checkedValue;
            _cpu.WriteGuestControlRegisters(_cpu.Cr0, _cpu.Cr3, checkedValue);
        }

        return true;
    }

    private void HandleMsr(bool write)
    {
        uint msr = _cpu.GetRegister(X86Cpu.ECX);
        if (msr == LocalApic.BaseMsrIndex)
        {
            HandleApicBaseMsr(write);
            return;
        }

        if (msr != MsrTsc)
        {
            FaultInstruction(ExceptionVector.GeneralProtection); // an MSR this processor does not have
            return;
        }

        if (write)
        {
            ulong value = ((ulong)_cpu.GetRegister(X86Cpu.EDX) << 32) | _cpu.GetRegister(X86Cpu.EAX);
            _vmcs.TscOffset = value - _cpu.Clock.Now;
        }
        else
        {
            SetEdxEax(_cpu.Clock.Now + _vmcs.TscOffset);
        }

        CompleteInstruction();
    }

    private void SetEdxEax(ulong value)
    {
        _cpu.SetRegister(X86Cpu.EAX, (uint)value);
        _cpu.SetRegister(X86Cpu.EDX, (uint)(value >> 32));
    }

    /// <summary>IA32_APIC_BASE belongs to the VMM's virtual APIC: reads see it, writes move or disable it (or #GP).</summary>
    private void HandleApicBaseMsr(bool write)
    {
        if (!write)
        {
            SetEdxEax(_platform.Apic.BaseMsr);
        }
        else if (!_platform.Apic.TryWriteBaseMsr(((ulong)_cpu.GetRegister(X86Cpu.EDX) << 32) | _cpu.GetRegister(X86Cpu.EAX)))
        {
            FaultInstruction(ExceptionVector.GeneralProtection);
            return;
        }

        CompleteInstruction();
    }

    /// <summary>
    /// An access to the virtual APIC's page exited (EPT violation, or under shadow paging a #PF on the page no
    /// shadow entry maps): the VMM emulates the instruction against its device and the guest resumes after it. A
    /// fault of the instruction's other operands is delivered to the guest as that instruction's fault, except an
    /// EPT violation on another page, which the VMM resolves before the instruction restarts.
    /// </summary>
    private void EmulateDeviceAccess(uint linear, uint guestPhysical)
    {
        GuestPaging paging = _shadow?.Paging ?? _nested!.Paging(_cpu);
        if (!_fetcher.TryDecode(paging, _cpu.Eip, _cpu.Cpl == 3, out Iced.Intel.Instruction instruction))
        {
            _stopped = Translator.Machine.MachineResult.Crashed($"VMM: the instruction at EIP 0x{_cpu.Eip:X8} that accessed device address 0x{guestPhysical:X8} cannot be decoded");
            return;
        }

        try
        {
            _devices.Execute(in instruction, linear, guestPhysical);
            _cpu.RetireForGuest();
            if (_cpu.GuestSingleStepping)
            {
                _cpu.SetDebugStatus(0x4000);
                Inject(ExceptionVector.Debug, hasErrorCode: false, 0);
            }
        }
        catch (GuestFault fault)
        {
            if (_vmcs.ExitReason == VmExitReason.EptViolation && _nested is not null && !_guest.IsDevice(_vmcs.GuestPhysicalAddress))
            {
                _nested.Resolve(_vmcs.GuestPhysicalAddress);
                return;
            }

            _cpu.RetireForGuest();
            FaultInstruction(fault.Vector, fault.ErrorCode);
        }
    }
}
