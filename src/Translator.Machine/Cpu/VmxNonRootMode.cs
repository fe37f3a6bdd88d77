using Translator.Machine.Decoders;
using Translator.Machine.Execution;

namespace Translator.Machine.Cpu;

/// <summary>
/// VMX non-root operation. While a <see cref="Vmcs"/> is attached the CPU runs a guest: instructions and events
/// the VMCS names end in a VM exit instead of executing, and control returns to the VMM with the exit information
/// filled in. On bare metal <see cref="Vmx"/> is null and every hook below is one never-taken null check.
/// <para>
/// How an exit travels: an exiting instruction records the exit and sets <see cref="StopBlock"/> (no .NET
/// exception, so an I/O-heavy guest pays no unwinding per exit); the block ends, and the interpreter loop returns
/// <see cref="ExecutionStop.VmExit"/> at the next instruction boundary. Such an instruction has taken its slot of
/// virtual time (it retired as far as time is concerned) and EIP goes back to it, so the VMM emulates it and
/// advances EIP by the exit's instruction length, as on hardware. An exception that exits (exception bitmap, or an
/// EPT violation raised by a memory access) unwinds like any fault, but retires nothing: the VMM either restarts
/// the instruction or reflects the fault, and reflecting it counts it, as bare metal counts a faulting instruction.
/// </para>
/// </summary>
public sealed partial class X86Cpu
{
    /// <summary>The VMCS of the guest this CPU runs in VMX non-root mode; null on bare metal.</summary>
    internal Vmcs? Vmx;

    public Vmcs? CurrentVmcs => Vmx;

    internal bool VmExitPending => Vmx is { ExitPending: true };

    /// <summary>The VMM asked to exit as soon as the guest can take an interrupt (interrupt-window exiting).</summary>
    internal bool InterruptWindowRequested => Vmx is { } vmcs && (vmcs.Primary & ProcessorControls.InterruptWindowExiting) != 0;

    /// <summary>The VMM asked to exit as soon as the guest can take an NMI (NMI-window exiting), and it can.</summary>
    internal bool NmiWindowRequested => Vmx is { } vmcs && (vmcs.Primary & ProcessorControls.NmiWindowExiting) != 0 && !NmiBlocked;

    /// <summary>Enters VMX non-root mode with <paramref name="vmcs"/> (the guest state is this CPU's current state).</summary>
    public void AttachVmcs(Vmcs vmcs)
    {
        Vmx = vmcs;
        vmcs.ExitPending = false;
        vmcs.Ept?.Attach(vmcs, Fault);
        Mmu.Ept = vmcs.Has(SecondaryControls.EnableEpt) ? vmcs.Ept : null;
        SyncMmu();
    }

    /// <summary>Leaves VMX operation: the CPU is bare metal again.</summary>
    public void DetachVmcs()
    {
        Vmx = null;
        Mmu.Ept = null;
        SyncMmu();
    }

    /// <summary>
    /// VM entry and guest execution until the next VM exit, <paramref name="retireLimit"/>, or a halt the VMM did
    /// not ask to intercept. Returns <see cref="ExecutionStop.VmExit"/> with the exit information in the VMCS.
    /// </summary>
    public ExecutionStop RunGuest(Interpreter interpreter, ulong retireLimit)
    {
        Vmcs vmcs = Vmx ?? throw new InvalidOperationException("no VMCS is attached: the CPU is not in VMX non-root mode");
        vmcs.ExitPending = false;
        InjectEntryEvent(vmcs);
        if (vmcs.ExitPending)
        {
            vmcs.ExitDuringEventInjection = true;
            return ExecutionStop.VmExit;
        }

        vmcs.ExitDuringEventInjection = false;
        ExecutionStop stop = interpreter.Run(retireLimit);
        if (!vmcs.ExitPending)
        {
            return stop;
        }

        if (vmcs.InstructionExit)
        {
            Eip = vmcs.ExitGuestEip;
        }

        return ExecutionStop.VmExit;
    }

    /// <summary>The host's timer interrupt arrived: with external-interrupt exiting, the guest exits at the next boundary.</summary>
    public void PostHostInterrupt()
    {
        if (Vmx is { } vmcs)
        {
            vmcs.HostInterruptPending = true;
            StopBlock = true;
        }
    }

    /// <summary>Called by the interpreter between blocks: exits already recorded, host interrupts, the interrupt window.</summary>
    internal bool VmExitAtBoundary()
    {
        Vmcs vmcs = Vmx!;
        if (vmcs.ExitPending)
        {
            return true;
        }

        if (vmcs.HostInterruptPending && (vmcs.PinBased & PinBasedControls.ExternalInterruptExiting) != 0)
        {
            vmcs.HostInterruptPending = false;
            vmcs.BeginExit(VmExitReason.ExternalInterrupt, 0, Eip);
            return true;
        }

        // The NMI window opens when there is no (virtual-)NMI blocking and no STI / MOV SS blocking (SDM 25.2); it
        // comes before the interrupt window, as an NMI comes before a maskable interrupt.
        if (vmcs.Has(ProcessorControls.NmiWindowExiting) && !NmiBlocked && !InterruptShadow)
        {
            vmcs.BeginExit(VmExitReason.NmiWindow, 0, Eip);
            return true;
        }

        // The window opens when IF = 1 and no STI / MOV SS blocking is in force (SDM 25.2).
        if (vmcs.Has(ProcessorControls.InterruptWindowExiting) && IF && !InterruptShadow)
        {
            vmcs.BeginExit(VmExitReason.InterruptWindow, 0, Eip);
            return true;
        }

        return false;
    }

    // ---- exits caused by instructions ------------------------------------------------------------------------

    /// <summary>Records an exit for the instruction <paramref name="op"/>, which does nothing else.</summary>
    internal void ExitOnInstruction(ref DecodedOp op, VmExitReason reason, uint qualification = 0)
    {
        Vmcs vmcs = Vmx!;
        vmcs.BeginExit(reason, qualification, op.Ip);
        vmcs.ExitInstructionLength = op.NextIp - op.Ip;
        vmcs.InstructionExit = true;
        StopBlock = true;
    }

    /// <summary>IN/OUT/INS/OUTS: exits per the unconditional-I/O control or the I/O bitmaps (after the IOPL/TSS checks, which have priority).</summary>
    internal bool ExitsOnIo(ref DecodedOp op, ushort port, int size, bool input, bool isString, bool rep, bool immediate)
    {
        Vmcs vmcs = Vmx!;
        if (!vmcs.ExitsOnIo(port, size))
        {
            return false;
        }

        ExitOnInstruction(ref op, VmExitReason.IoInstruction, ExitQualification.IoInstruction(port, size, input, isString, rep, immediate));
        if (isString)
        {
            bool address16 = op.Instruction.Op0Kind is Iced.Intel.OpKind.MemoryESDI or Iced.Intel.OpKind.MemorySegSI
                || op.Instruction.Op1Kind is Iced.Intel.OpKind.MemoryESDI or Iced.Intel.OpKind.MemorySegSI;
            uint index = input ? Reg(EDI) : Reg(ESI);
            vmcs.GuestLinearAddress = address16 ? index & 0xFFFF : index;
            uint segment = input ? (uint)SegmentRegister.ES : (uint)op.Instruction.MemorySegment - (uint)Iced.Intel.Register.ES;
            vmcs.ExitInstructionInfo = ((address16 ? 0u : 1u) << 7) | ((segment & 7) << 15);
        }

        return true;
    }

    /// <summary>RDMSR/WRMSR: exits per the MSR bitmap (after the CPL check).</summary>
    internal bool ExitsOnMsr(ref DecodedOp op, bool write)
    {
        if (!Vmx!.ExitsOnMsr(Reg(ECX), write))
        {
            return false;
        }

        ExitOnInstruction(ref op, write ? VmExitReason.Wrmsr : VmExitReason.Rdmsr);
        return true;
    }

    /// <summary>
    /// MOV to CR0/CR3/CR4 (25.1.3): exits when the write changes a VMM-owned bit from its read shadow, or loads CR3
    /// under CR3-load exiting (unless the value is a CR3 target). A write that does not exit leaves VMM-owned bits
    /// as they are in the real register.
    /// </summary>
    internal bool ExitsOnControlRegisterWrite(ref DecodedOp op, int cr, ref uint value)
    {
        Vmcs vmcs = Vmx!;
        bool exits = cr switch
        {
            0 => ((value ^ vmcs.Cr0ReadShadow) & vmcs.Cr0GuestHostMask) != 0,
            3 => vmcs.ExitsOnCr3Load(value),
            4 => ((value ^ vmcs.Cr4ReadShadow) & vmcs.Cr4GuestHostMask) != 0,
            _ => false,
        };
        if (exits)
        {
            ExitOnInstruction(ref op, VmExitReason.CrAccess, ExitQualification.ControlRegisterAccess(cr, ExitQualification.MovToCr, op.R1));
            return true;
        }

        if (cr == 0)
        {
            value = (value & ~vmcs.Cr0GuestHostMask) | (Cr0 & vmcs.Cr0GuestHostMask);
        }
        else if (cr == 4)
        {
            value = (value & ~vmcs.Cr4GuestHostMask) | (Cr4 & vmcs.Cr4GuestHostMask);
        }

        return false;
    }

    /// <summary>MOV from CR3 exits under CR3-store exiting; CR0 and CR4 reads see the read shadow in VMM-owned bits.</summary>
    internal bool ExitsOnControlRegisterRead(ref DecodedOp op, int cr, ref uint value)
    {
        Vmcs vmcs = Vmx!;
        switch (cr)
        {
            case 3 when vmcs.Has(ProcessorControls.Cr3StoreExiting):
                ExitOnInstruction(ref op, VmExitReason.CrAccess, ExitQualification.ControlRegisterAccess(3, ExitQualification.MovFromCr, op.R0));
                return true;
            case 0:
                value = GuestVisibleCr0(value);
                break;
            case 4:
                value = (value & ~vmcs.Cr4GuestHostMask) | (vmcs.Cr4ReadShadow & vmcs.Cr4GuestHostMask);
                break;
        }

        return false;
    }

    /// <summary>CR0 as the guest reads it (MOV from CR0, SMSW): VMM-owned bits come from the read shadow.</summary>
    internal uint GuestVisibleCr0(uint real) =>
        Vmx is { } vmcs ? (real & ~vmcs.Cr0GuestHostMask) | (vmcs.Cr0ReadShadow & vmcs.Cr0GuestHostMask) : real;

    /// <summary>
    /// LMSW (25.1.3): exits if a VMM-owned bit among MP/EM/TS would differ from its shadow, or a VMM-owned PE is
    /// clear in the shadow and the source sets it. Otherwise only guest-owned bits change.
    /// </summary>
    internal bool ExitsOnLmsw(ref DecodedOp op, uint source, ref uint newCr0)
    {
        Vmcs vmcs = Vmx!;
        uint mask = vmcs.Cr0GuestHostMask, shadow = vmcs.Cr0ReadShadow;
        bool exits = ((source ^ shadow) & mask & 0xE) != 0 || ((mask & 1) != 0 && (shadow & 1) == 0 && (source & 1) != 0);
        if (exits)
        {
            bool memory = op.K0 != OperandKind.Gpr;
            ExitOnInstruction(ref op, VmExitReason.CrAccess,
                ExitQualification.ControlRegisterAccess(0, ExitQualification.Lmsw, memory ? 0 : op.R0, memory, source));
            return true;
        }

        newCr0 = (newCr0 & ~mask) | (Cr0 & mask);
        return false;
    }

    /// <summary>CLTS: exits when TS is VMM-owned and set in the shadow; when VMM-owned and clear, it does nothing.</summary>
    internal bool ExitsOrSkipsClts(ref DecodedOp op)
    {
        Vmcs vmcs = Vmx!;
        if ((vmcs.Cr0GuestHostMask & 8) == 0)
        {
            return false;
        }

        if ((vmcs.Cr0ReadShadow & 8) != 0)
        {
            ExitOnInstruction(ref op, VmExitReason.CrAccess, ExitQualification.ControlRegisterAccess(0, ExitQualification.Clts));
        }

        return true;
    }

    /// <summary>The TSC the guest reads: bare-metal TSC plus the VMCS offset when TSC offsetting is on.</summary>
    internal ulong GuestTsc()
    {
        ulong tsc = Clock.Now + TscOffset;
        return Vmx is { } vmcs && vmcs.Has(ProcessorControls.UseTscOffsetting) ? tsc + vmcs.TscOffset : tsc;
    }

    // ---- exits caused by exceptions -------------------------------------------------------------------------

    /// <summary>The linear address of the last page fault: CR2, or the exit's when the #PF is the VMM's to see.</summary>
    public uint PageFaultAddress => Vmx is { } vmcs && vmcs.InterceptsException((int)ExceptionVector.PageFault, Fault.ErrorCode)
        ? vmcs.PageFaultLinearAddress
        : Cr2;

    /// <summary>Where the MMU reports a page fault's linear address: CR2, unless the #PF exits (then CR2 is untouched, SDM 27.1).</summary>
    private void RecordPageFaultAddress(uint linear)
    {
        if (Vmx is { } vmcs && vmcs.InterceptsException((int)ExceptionVector.PageFault, Fault.ErrorCode))
        {
            vmcs.PageFaultLinearAddress = linear;
            return;
        }

        Cr2 = linear;
    }

    /// <summary>Called before an exception is delivered: true when it becomes a VM exit instead (or an EPT violation already did).</summary>
    private bool ExitInsteadOfDelivery(ExceptionVector vector, bool hasErrorCode, uint errorCode)
    {
        Vmcs vmcs = Vmx!;
        if (vmcs.ExitPending)
        {
            vmcs.ExitGuestEip = Eip;
            if (vmcs.ExitReason == VmExitReason.EptViolation && FaultedIretUnblockedNmi)
            {
                vmcs.ExitQualification |= ExitQualification.NmiUnblockingDueToIret;
            }

            StopBlock = true;
            return true;
        }

        if (!vmcs.InterceptsException((int)vector, errorCode))
        {
            return false;
        }

        uint qualification = vector switch
        {
            ExceptionVector.PageFault => vmcs.PageFaultLinearAddress,
            ExceptionVector.Debug => DebugRegisters[6] & 0x600F,
            _ => 0,
        };
        vmcs.BeginExit(VmExitReason.ExceptionOrNmi, qualification, Eip);
        vmcs.ExitInterruptionInfo = InterruptionInfo.Create((int)vector, InterruptionType.HardwareException, hasErrorCode);
        if (FaultedIretUnblockedNmi && vector != ExceptionVector.Debug)
        {
            vmcs.ExitInterruptionInfo = new InterruptionInfo(vmcs.ExitInterruptionInfo.Value | InterruptionInfo.NmiUnblockingDueToIret);
        }

        vmcs.ExitInterruptionErrorCode = hasErrorCode ? errorCode : 0;
        StopBlock = true;
        return true;
    }

    /// <summary>
    /// A fault while delivering <paramref name="event"/> through the IDT: when that fault exits (an EPT violation, or
    /// an exception the bitmap intercepts), the exit carries the interrupted event as IDT-vectoring information so the
    /// VMM can re-inject it.
    /// </summary>
    private bool ExitDuringDelivery(InterruptionInfo @event, uint errorCode, GuestFault fault)
    {
        Vmcs vmcs = Vmx!;
        if (!vmcs.ExitPending && !ExitInsteadOfDelivery(fault.Vector, fault.HasErrorCode, fault.ErrorCode))
        {
            return false;
        }

        vmcs.ExitGuestEip = Eip;
        vmcs.IdtVectoringInfo = @event;
        vmcs.IdtVectoringErrorCode = @event.DeliversErrorCode ? errorCode : 0;
        return true;
    }

    /// <summary>VM entry event injection (SDM 26.6): delivers the VM-entry interruption-information event through the guest IDT.</summary>
    private void InjectEntryEvent(Vmcs vmcs)
    {
        InterruptionInfo @event = vmcs.EntryInterruptionInfo;
        vmcs.EntryInterruptionInfo = InterruptionInfo.None;
        if (!@event.Valid)
        {
            return;
        }

        Halted = false;
        uint errorCode = vmcs.EntryExceptionErrorCode;
        switch (@event.Type)
        {
            case InterruptionType.HardwareException:
                Counters.Exceptions[@event.Vector & 31]++;
                DeliverEscalating((ExceptionVector)@event.Vector, @event.DeliversErrorCode, errorCode, InterruptSource.Exception);
                break;
            case InterruptionType.SoftwareInterrupt:
            case InterruptionType.SoftwareException:
            case InterruptionType.PrivilegedSoftwareException:
                try
                {
                    SoftwareInterruptLength = vmcs.EntryInstructionLength;
                    Deliver(@event.Vector, InterruptSource.Software, false, 0, Eip + vmcs.EntryInstructionLength);
                }
                catch (GuestFault fault) when (ExitDuringDelivery(@event, 0, fault))
                {
                }

                break;
            default:
                // Injecting an NMI blocks (virtual) NMIs until the guest's IRET (SDM 26.6.1.2); an exit that cuts its
                // delivery short leaves it undelivered, unblocked, and in the IDT-vectoring information.
                bool nmi = @event.Type == InterruptionType.Nmi;
                if (nmi)
                {
                    NmiBlocked = true;
                    Counters.Nmis++;
                }

                try
                {
                    Deliver(@event.Vector, nmi ? InterruptSource.Nmi : InterruptSource.External, false, 0, Eip);
                }
                catch (GuestFault fault)
                {
                    if (ExitDuringDelivery(@event, 0, fault))
                    {
                        if (nmi)
                        {
                            NmiBlocked = false;
                            Counters.Nmis--;
                        }
                    }
                    else
                    {
                        DeliverException(fault.Vector, fault.HasErrorCode, fault.ErrorCode);
                    }
                }

                break;
        }
    }

    // ---- the guest-state area, as the VMM reads and writes it (VMREAD / VMWRITE) -----------------------------------

    /// <summary>Writes guest CR0/CR3/CR4 as a VMM does through the VMCS: no checks, the TLB is flushed.</summary>
    public void WriteGuestControlRegisters(uint cr0, uint cr3, uint cr4)
    {
        Cr0 = cr0;
        Cr3 = cr3;
        Cr4 = cr4;
        SyncMmu();
    }

    public void WriteGuestCr2(uint value) => Cr2 = value;

    /// <summary>
    /// The value a guest MOV to CR0/CR4 stores as this processor would (reserved bits, ET), or null when the
    /// processor would raise #GP; a VMM emulating the write injects the #GP. Real mode still stops the machine.
    /// </summary>
    public uint? CheckGuestControlRegister(int cr, uint value)
    {
        try
        {
            return Instructions.InstSystem.CheckControlRegister(this, cr, value);
        }
        catch (GuestFault)
        {
            return null;
        }
    }

    public bool GuestInterruptsEnabled => IF;

    /// <summary>Blocking by NMI in the guest-interruptibility state (bit 3): the VMM reads it to decide on NMI injection.</summary>
    public bool GuestNmiBlocked => NmiBlocked;

    /// <summary>Blocking by STI or MOV SS (the guest-interruptibility state).</summary>
    public bool GuestInterruptShadow => InterruptShadow;

    public bool GuestSingleStepping => (FlagBits & (uint)EFlags.TF) != 0;

    /// <summary>Sets DR6 bits (the VMM's single-step emulation after an instruction it completed).</summary>
    public void SetDebugStatus(uint bits) => DebugRegisters[6] |= bits;

    /// <summary>Counts <paramref name="count"/> instructions the VMM completed or faulted for the guest, in virtual time too.</summary>
    public void RetireForGuest(ulong count = 1)
    {
        Retired += count;
        Clock.Advance(count * Devices.VirtualClock.NanosecondsPerInstruction);
    }

    /// <summary>The VMM changed translations behind the CPU's back (shadow tables, EPT): drops the TLB entry, or all of it.</summary>
    public void InvalidateTranslations(uint? linear = null)
    {
        if (linear is uint address)
        {
            Mmu.FlushPage(address);
        }
        else
        {
            Mmu.FlushAll();
        }

        RaiseTranslationChanged();
    }

    /// <summary>What CPUID returns on this processor (the VMM's CPUID exit handler reports the same model).</summary>
    public static (uint Eax, uint Ebx, uint Ecx, uint Edx) CpuidLeaf(CpuFeatures features, uint leaf, uint subleaf = 0) => Instructions.InstSystem.CpuidValues(features, leaf, subleaf);
}
