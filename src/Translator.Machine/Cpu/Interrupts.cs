namespace Translator.Machine.Cpu;

/// <summary>Where an interrupt came from; it decides the EXT bit of error codes and the gate DPL check.</summary>
internal enum InterruptSource
{
    /// <summary>A fault or trap the CPU raised.</summary>
    Exception,

    /// <summary>An IRQ from the interrupt controller.</summary>
    External,

    /// <summary>INT n, INT3, INTO: checked against the gate's DPL.</summary>
    Software,

    /// <summary>A nonmaskable interrupt (vector 2): external, as an IRQ is.</summary>
    Nmi,
}

/// <summary>The guest faulted while delivering a double fault: a real PC would reset. <see cref="Chain"/> says how it came about.</summary>
public sealed class TripleFaultException(string message, IReadOnlyList<FaultLink> chain) : Exception(message)
{
    public IReadOnlyList<FaultLink> Chain { get; } = chain;
}

/// <summary>Interrupt and exception delivery through the IDT, and IRET.</summary>
public sealed partial class X86Cpu
{
    private const uint GateTypeInterrupt32 = 0xE, GateTypeTrap32 = 0xF;

    /// <summary>Delivers a fault raised by an instruction; EIP already points at the faulting instruction.</summary>
    internal void DeliverException(ExceptionVector vector, bool hasErrorCode, uint errorCode)
    {
        FaultChain.Begin(vector, hasErrorCode, errorCode, Eip);
        if (Vmx is not null && ExitInsteadOfDelivery(vector, hasErrorCode, errorCode))
        {
            return;
        }

        if (Interceptor is { } vmm)
        {
            vmm.Intercept(this, new InterceptedEvent(InterceptedEventKind.Exception, (int)vector, hasErrorCode, errorCode, Eip));
            return;
        }

        Counters.Exceptions[(int)vector]++;
        DeliverEscalating(vector, hasErrorCode, errorCode, InterruptSource.Exception);
    }

    private void DeliverEscalating(ExceptionVector vector, bool hasErrorCode, uint errorCode, InterruptSource source)
    {
        try
        {
            Deliver((int)vector, source, hasErrorCode, errorCode, Eip);
        }
        catch (GuestFault second)
        {
            if (Vmx is not null && ExitDuringDelivery(InterruptionInfo.Create((int)vector, InterruptionType.HardwareException, hasErrorCode), errorCode, second))
            {
                return;
            }

            ExceptionVector secondVector = second.Vector;
            bool secondHasError = second.HasErrorCode;
            uint secondError = second.ErrorCode;
            if (vector == ExceptionVector.DoubleFault)
            {
                throw FaultChain.TripleFault(secondVector, secondHasError, secondError, Eip);
            }

            Counters.Exceptions[(int)secondVector]++;
            FaultChain.Add(secondVector, secondHasError, secondError, Eip);
            if (IsDoubleFault(vector, secondVector))
            {
                Counters.Exceptions[(int)ExceptionVector.DoubleFault]++;
                FaultChain.Add(ExceptionVector.DoubleFault, true, 0, Eip);
                DeliverEscalating(ExceptionVector.DoubleFault, true, 0, InterruptSource.Exception);
            }
            else
            {
                DeliverEscalating(secondVector, secondHasError, secondError, InterruptSource.Exception);
            }
        }
    }

    // SDM Vol. 3 table 6-5: contributory then contributory, or page fault then contributory/page fault.
    private static bool IsDoubleFault(ExceptionVector first, ExceptionVector second)
    {
        static bool Contributory(ExceptionVector v) => v is ExceptionVector.DivideError or ExceptionVector.InvalidTss
            or ExceptionVector.SegmentNotPresent or ExceptionVector.StackFault or ExceptionVector.GeneralProtection;

        if (Contributory(first))
        {
            return Contributory(second);
        }

        return first == ExceptionVector.PageFault && (Contributory(second) || second == ExceptionVector.PageFault);
    }

    /// <summary>Delivers an IRQ acknowledged from the interrupt controller.</summary>
    internal void DeliverExternalInterrupt(byte vector)
    {
        Halted = false;
        if (Interceptor is { } vmm)
        {
            vmm.Intercept(this, new InterceptedEvent(InterceptedEventKind.External, vector, false, 0, Eip));
            return;
        }

        try
        {
            Deliver(vector, InterruptSource.External, false, 0, Eip);
        }
        catch (GuestFault fault)
        {
            DeliverException(fault.Vector, fault.HasErrorCode, fault.ErrorCode);
        }
    }

    /// <summary>INT n / INT3 / INTO: a trap whose return address is the next instruction.</summary>
    internal void SoftwareInterrupt(int vector, uint returnEip, uint instructionLength)
    {
        SoftwareInterruptLength = instructionLength;
        Counters.SoftwareInterrupts++;
        if (Interceptor is { } vmm)
        {
            if (!_directSoftwareVectors[vector])
            {
                vmm.Intercept(this, new InterceptedEvent(InterceptedEventKind.Software, vector, false, 0, returnEip));
                return;
            }

            Counters.DirectSoftwareInterrupts++;
        }

        Deliver(vector, InterruptSource.Software, false, 0, returnEip);
    }

    /// <summary>One delivery attempt through IDT gate <paramref name="vector"/>. Faults propagate to the caller.</summary>
    private void Deliver(int vector, InterruptSource source, bool hasErrorCode, uint errorCode, uint returnEip)
    {
        uint ext = source == InterruptSource.Software ? 0u : 1u;
        uint idtError = ((uint)vector << 3) | 2 | ext;
        if (((uint)vector << 3) + 7 > IdtLimit)
        {
            throw GeneralProtection(idtError);
        }

        uint gateAddress = IdtBase + ((uint)vector << 3);
        var gate = new Descriptor(ReadSystem32(gateAddress), ReadSystem32(gateAddress + 4));
        if (gate.IsCodeOrData)
        {
            throw GeneralProtection(idtError);
        }

        switch ((uint)gate.Type)
        {
            case GateTypeInterrupt32:
            case GateTypeTrap32:
                break;
            case TypeTaskGate:
                if (source == InterruptSource.Software && gate.Dpl < Cpl)
                {
                    throw GeneralProtection(idtError);
                }

                if (!gate.Present)
                {
                    throw Exception(ExceptionVector.SegmentNotPresent, idtError);
                }

                DeliverThroughTaskGate(vector, gate.GateSelector, source, hasErrorCode, errorCode, returnEip);
                return;
            case 0x6:
            case 0x7:
                throw new UnsupportedGuestOperationException($"interrupt {vector:X2} goes through a 16-bit gate: only 32-bit interrupt and trap gates are supported");
            default:
                throw GeneralProtection(idtError);
        }

        if (source == InterruptSource.Software && gate.Dpl < Cpl)
        {
            throw GeneralProtection(idtError);
        }

        if (!gate.Present)
        {
            throw Exception(ExceptionVector.SegmentNotPresent, idtError);
        }

        ushort codeSelector = gate.GateSelector;
        if ((codeSelector & 0xFFFC) == 0)
        {
            throw GeneralProtection(ext);
        }

        Descriptor code = ReadDescriptor(codeSelector, ext);
        if (!code.IsCode || code.Dpl > Cpl)
        {
            throw GeneralProtection(((uint)codeSelector & 0xFFFC) | ext);
        }

        if (!code.Present)
        {
            throw Exception(ExceptionVector.SegmentNotPresent, ((uint)codeSelector & 0xFFFC) | ext);
        }

        RequireFlat(code, codeSelector, "CS");
        uint flags = EFlagsValue;
        ushort oldCs = Selectors[(int)SegmentRegister.CS];
        if ((flags & (uint)EFlags.VM) != 0)
        {
            InterruptFromVirtual8086(codeSelector, code, flags, hasErrorCode, errorCode, returnEip, ext);
        }
        else if (!code.Conforming && code.Dpl < Cpl)
        {
            // Inter-privilege: switch to the inner stack named by the TSS, then push the outer SS:ESP.
            int newCpl = code.Dpl;
            (ushort ss, uint esp) = ReadTssStack(newCpl, ext);
            if ((ss & 0xFFFC) == 0)
            {
                throw Exception(ExceptionVector.InvalidTss, ext);
            }

            Descriptor stack = ReadDescriptor(ss, ext);
            if ((ss & 3) != newCpl || stack.Dpl != newCpl || !stack.Writable)
            {
                throw Exception(ExceptionVector.InvalidTss, ((uint)ss & 0xFFFC) | ext);
            }

            if (!stack.Present)
            {
                throw Exception(ExceptionVector.StackFault, ((uint)ss & 0xFFFC) | ext);
            }

            RequireFlat(stack, ss, "SS");
            uint frameSize = hasErrorCode ? 24u : 20u;
            uint top = esp - frameSize;
            bool user = newCpl == 3;
            Mmu.ProbeWrite(top, (int)frameSize, user);
            code = MarkAccessed(codeSelector, code);
            stack = MarkAccessed(ss, stack);
            uint p = esp;
            Mmu.Write32As(p -= 4, Selectors[(int)SegmentRegister.SS], user);
            Mmu.Write32As(p -= 4, Reg(ESP), user);
            Mmu.Write32As(p -= 4, flags, user);
            Mmu.Write32As(p -= 4, oldCs, user);
            Mmu.Write32As(p -= 4, returnEip, user);
            if (hasErrorCode)
            {
                Mmu.Write32As(p -= 4, errorCode, user);
            }

            CommitPrivilegeChange((ushort)((codeSelector & 0xFFFC) | newCpl), code, ss, stack, p);
        }
        else
        {
            uint frameSize = hasErrorCode ? 16u : 12u;
            uint esp = Reg(ESP);
            bool user = Cpl == 3;
            Mmu.ProbeWrite(esp - frameSize, (int)frameSize, user);
            code = MarkAccessed(codeSelector, code); // before ESP moves: a fault here must find the event undelivered
            uint p = esp;
            Mmu.Write32As(p -= 4, flags, user);
            Mmu.Write32As(p -= 4, oldCs, user);
            Mmu.Write32As(p -= 4, returnEip, user);
            if (hasErrorCode)
            {
                Mmu.Write32As(p -= 4, errorCode, user);
            }

            Reg(ESP) = p;
            SetCodeSegmentSamePrivilege(codeSelector, code);
        }

        uint cleared = (uint)(EFlags.TF | EFlags.NT | EFlags.RF | EFlags.VM);
        if ((uint)gate.Type == GateTypeInterrupt32)
        {
            cleared |= (uint)EFlags.IF;
        }

        FlagBits &= ~cleared;
        Eip = gate.GateOffset;
        Halted = false;
    }

    /// <summary>IRET (32-bit, or 16-bit with an operand-size prefix) in protected mode, same or outer privilege.</summary>
    internal void InterruptReturn(bool operand16)
    {
        uint sp = Reg(ESP);
        uint step = operand16 ? 2u : 4u;
        uint ReadSlot(uint offset) => operand16 ? Mmu.Read16(sp + offset) : Mmu.Read32(sp + offset);

        uint newEip = ReadSlot(0);
        ushort newCs = (ushort)ReadSlot(step);
        uint newFlags = ReadSlot(2 * step);
        if (operand16)
        {
            newFlags = (EFlagsValue & 0xFFFF_0000) | newFlags;
        }

        if ((newFlags & (uint)EFlags.VM) != 0 && Cpl == 0)
        {
            ReturnToVirtual8086(sp, newEip, newCs, newFlags);
            return;
        }

        Descriptor code = CheckReturnCodeSegment(newCs);
        int newCpl = newCs & 3;
        int oldCpl = Cpl;
        if (newCpl > Cpl)
        {
            uint newEsp = ReadSlot(3 * step);
            ushort newSs = (ushort)ReadSlot(4 * step);
            Descriptor stack = MarkAccessed(newSs, CheckReturnStackSegment(newSs, newCpl));
            code = MarkAccessed(newCs, code);
            ApplyReturnFlags(newFlags, oldCpl, operand16);
            CommitPrivilegeChange(newCs, code, newSs, stack, newEsp);
            NullInaccessibleDataSegments();
        }
        else
        {
            SetCodeSegmentSamePrivilege(newCs, code); // first: its accessed-bit write may fault
            ApplyReturnFlags(newFlags, oldCpl, operand16);
            Reg(ESP) = sp + (3 * step);
        }

        Eip = newEip;
    }

    private void ApplyReturnFlags(uint value, int cpl, bool operand16)
    {
        uint changeable = (uint)(EFlags.Arithmetic | EFlags.TF | EFlags.DF | EFlags.NT | EFlags.RF | EFlags.AC | EFlags.ID);
        if (cpl == 0)
        {
            changeable |= (uint)(EFlags.IOPL | EFlags.VIF | EFlags.VIP);
        }

        if (cpl <= Iopl)
        {
            changeable |= (uint)EFlags.IF;
        }

        if (operand16)
        {
            changeable &= 0xFFFF;
        }

        uint current = EFlagsValue;
        WriteEFlags((current & ~changeable) | (value & changeable));
    }

    /// <summary>POPF: the same privilege rules as IRET, but RF and VIF/VIP are never loaded.</summary>
    internal void PopFlags(uint value, bool operand16)
    {
        uint changeable = (uint)(EFlags.Arithmetic | EFlags.TF | EFlags.DF | EFlags.NT | EFlags.AC | EFlags.ID);
        if (Cpl == 0)
        {
            changeable |= (uint)EFlags.IOPL;
        }

        if (Cpl <= Iopl)
        {
            changeable |= (uint)EFlags.IF;
        }

        if (operand16)
        {
            changeable &= 0xFFFF;
        }

        uint current = EFlagsValue;
        WriteEFlags((current & ~changeable) | (value & changeable));
    }
}
