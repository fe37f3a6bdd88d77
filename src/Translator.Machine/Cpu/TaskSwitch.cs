namespace Translator.Machine.Cpu;

/// <summary>What started a task switch; the values are the VMX exit qualification's bits 31:30 (SDM Vol. 3 table 28-2).</summary>
public enum TaskSwitchSource
{
    Call = 0,
    Iret = 1,
    Jmp = 2,

    /// <summary>An interrupt, exception or INT n through a task gate in the IDT.</summary>
    IdtTaskGate = 3,
}

/// <summary>
/// Hardware task switching with a 32-bit TSS (SDM Vol. 3 ch. 7): JMP/CALL to a TSS descriptor or a task gate, task
/// gates in the IDT, and IRET with EFLAGS.NT. The checks before the commit point fault in the old task and leave it
/// untouched; faults of the new task's segment loads come after it and are delivered in the new task.
/// </summary>
public sealed partial class X86Cpu
{
    private const uint TssBusy = 0x200, Tss32Minimum = 0x67;
    private const int TypeTss32Available = 9, TypeTss32Busy = 0xB, TypeTaskGate = 5, TypeLdt = 2;

    /// <summary>Loads the new task's CR3 (when the guest's paging is on); VMMs whose shadow page tables own paging set it.</summary>
    public Action<uint>? TaskSwitchCr3Loader { get; set; }

    /// <summary>Whether <paramref name="d"/> is a TSS descriptor (available or busy, 16- or 32-bit).</summary>
    internal static bool IsTss(Descriptor d) => !d.IsCodeOrData && d.Type is 1 or 3 or TypeTss32Available or TypeTss32Busy;

    internal static bool IsTaskGate(Descriptor d) => !d.IsCodeOrData && d.Type == TypeTaskGate;

    /// <summary>
    /// JMP or CALL far through a system descriptor: a TSS (its DPL checked against CPL and RPL) or a task gate (the
    /// gate's DPL checked; the TSS it names is not). Returns the TSS selector to switch to; call gates are refused.
    /// </summary>
    internal ushort TaskSwitchTarget(ushort selector, Descriptor d)
    {
        uint errorSelector = (uint)selector & 0xFFFC;
        int rpl = selector & 3;
        if (IsTss(d) || IsTaskGate(d))
        {
            if (d.Dpl < Cpl || d.Dpl < rpl)
            {
                throw GeneralProtection(errorSelector);
            }

            if (!d.Present)
            {
                throw Exception(ExceptionVector.SegmentNotPresent, errorSelector);
            }

            return IsTaskGate(d) ? d.GateSelector : selector;
        }

        if (d.Type is 4 or 0xC)
        {
            throw new UnsupportedGuestOperationException($"far transfer through a call gate (selector 0x{selector:X4}): call gates are not supported");
        }

        throw GeneralProtection(errorSelector);
    }

    /// <summary>
    /// JMP/CALL far: when <paramref name="selector"/> names a TSS or a task gate, switches tasks (in VMX non-root
    /// operation: exits, reason 9, for the VMM to emulate) and returns true; false for a code segment.
    /// </summary>
    internal bool FarTransferToTask(ushort selector, ref Decoders.DecodedOp op, TaskSwitchSource source)
    {
        if ((selector & 0xFFFC) == 0)
        {
            return false;
        }

        Descriptor d = ReadDescriptor(selector);
        if (d.IsCodeOrData)
        {
            return false;
        }

        ushort tss = TaskSwitchTarget(selector, d);
        if (Vmx is not null)
        {
            ExitOnInstruction(ref op, VmExitReason.TaskSwitch, TaskSwitchQualification(tss, source));
        }
        else
        {
            SwitchTaskDelivering(tss, source, op.NextIp, external: false);
        }

        return true;
    }

    /// <summary>IRET with NT: a return to the task in the current TSS's back link.</summary>
    internal void TaskReturn(ref Decoders.DecodedOp op)
    {
        ushort link = CurrentBackLink();
        if (Vmx is not null)
        {
            ExitOnInstruction(ref op, VmExitReason.TaskSwitch, TaskSwitchQualification(link, TaskSwitchSource.Iret));
            return;
        }

        SwitchTaskDelivering(link, TaskSwitchSource.Iret, op.NextIp, external: false);
    }

    /// <summary>The exit qualification of a task-switch VM exit: the new TSS's selector and the source in bits 31:30.</summary>
    internal static uint TaskSwitchQualification(ushort selector, TaskSwitchSource source) => selector | ((uint)source << 30);

    /// <summary>
    /// The switch as an instruction or an event delivery performs it: a fault after the commit point is delivered in
    /// the new task, where hardware raises it (SDM 7.3, step 14); one before it propagates in the old task.
    /// </summary>
    internal void SwitchTaskDelivering(ushort selector, TaskSwitchSource source, uint returnEip, bool external, bool hasErrorCode = false, uint errorCode = 0)
    {
        StopBlock = true;
        bool committed = false;
        try
        {
            SwitchTask(selector, source, returnEip, external, hasErrorCode, errorCode, ref committed);
        }
        catch (GuestFault fault) when (committed)
        {
            DeliverException(fault.Vector, fault.HasErrorCode, fault.ErrorCode);
        }
    }

    /// <summary>
    /// A VMM's emulation of a task switch that VM-exited (KVM's <c>kvm_task_switch</c>). Returns the fault the guest
    /// takes instead, for the VMM to inject; after the commit point EIP is already the new task's.
    /// </summary>
    public (ExceptionVector Vector, bool HasErrorCode, uint ErrorCode)? EmulateTaskSwitch(ushort selector, TaskSwitchSource source, uint returnEip, bool external, bool hasErrorCode, uint errorCode)
    {
        bool committed = false;
        try
        {
            SwitchTask(selector, source, returnEip, external, hasErrorCode, errorCode, ref committed);
            return null;
        }
        catch (GuestFault fault)
        {
            return (fault.Vector, fault.HasErrorCode, fault.ErrorCode);
        }
    }

    /// <summary>The selector in the current TSS's previous-task link (IRET with NT returns to it).</summary>
    internal ushort CurrentBackLink()
    {
        if ((TaskRegister & 0xFFFC) == 0 || TssLimit < 1)
        {
            throw Exception(ExceptionVector.InvalidTss, (uint)TaskRegister & 0xFFFC);
        }

        return ReadSystem16(TssBase);
    }

    private void SwitchTask(ushort selector, TaskSwitchSource source, uint returnEip, bool external, bool hasErrorCode, uint errorCode, ref bool committed)
    {
        uint ext = external ? 1u : 0u;
        uint errorSelector = ((uint)selector & 0xFFFC) | ext;
        bool iret = source == TaskSwitchSource.Iret;

        // The new TSS descriptor: in the GDT, a TSS, present, large enough, busy only for a task return.
        if ((selector & 4) != 0 || (selector & 0xFFFC) == 0)
        {
            throw iret ? Exception(ExceptionVector.InvalidTss, errorSelector) : GeneralProtection(errorSelector);
        }

        if (((uint)selector & 0xFFF8) + 7 > GdtLimit)
        {
            throw iret ? Exception(ExceptionVector.InvalidTss, errorSelector) : GeneralProtection(errorSelector);
        }

        uint descriptorAddress = GdtBase + ((uint)selector & 0xFFF8);
        var tss = new Descriptor(ReadSystem32(descriptorAddress), ReadSystem32(descriptorAddress + 4));
        if (!IsTss(tss))
        {
            throw iret ? Exception(ExceptionVector.InvalidTss, errorSelector) : GeneralProtection(errorSelector);
        }

        bool busy = (tss.Type & 2) != 0;
        if (iret ? !busy : busy)
        {
            throw iret ? Exception(ExceptionVector.InvalidTss, errorSelector) : GeneralProtection(errorSelector);
        }

        if (!tss.Present)
        {
            throw Exception(ExceptionVector.SegmentNotPresent, errorSelector);
        }

        if (tss.Type is 1 or 3)
        {
            throw new UnsupportedGuestOperationException($"task switch to a 16-bit TSS (selector 0x{selector:X4}) is not supported");
        }

        if (tss.Limit < Tss32Minimum)
        {
            throw Exception(ExceptionVector.InvalidTss, errorSelector);
        }

        if (TssLimit < Tss32Minimum || (TaskRegister & 0xFFFC) == 0)
        {
            throw Exception(ExceptionVector.InvalidTss, ((uint)TaskRegister & 0xFFFC) | ext);
        }

        // Read the whole new state first: a page fault here leaves both tasks as they were.
        uint newBase = tss.Base;
        Span<uint> image = stackalloc uint[(int)(0x64 / 4)];
        for (int i = 0; i < image.Length; i++)
        {
            image[i] = ReadSystem32(newBase + ((uint)i * 4));
        }

        TouchTaskMemory(image, oldSelector: TaskRegister, newBase, descriptorAddress, source, hasErrorCode);

        // Save the old task's dynamic state (its TSS must be writable), then the busy bits and the link.
        uint oldBase = TssBase;
        ushort oldSelector = TaskRegister;
        uint flags = EFlagsValue;
        if (iret)
        {
            flags &= ~(uint)EFlags.NT;
        }

        WriteSystem32(oldBase + 0x20, returnEip);
        WriteSystem32(oldBase + 0x24, flags);
        for (int r = 0; r < 8; r++)
        {
            WriteSystem32(oldBase + 0x28 + ((uint)r * 4), Reg(r));
        }

        ReadOnlySpan<SegmentRegister> order = [SegmentRegister.ES, SegmentRegister.CS, SegmentRegister.SS, SegmentRegister.DS, SegmentRegister.FS, SegmentRegister.GS];
        for (int s = 0; s < order.Length; s++)
        {
            WriteSystem32(oldBase + 0x48 + ((uint)s * 4), Selectors[(int)order[s]]);
        }

        if (source is TaskSwitchSource.Jmp or TaskSwitchSource.Iret)
        {
            uint oldDescriptor = GdtBase + ((uint)oldSelector & 0xFFF8) + 4;
            WriteSystem32(oldDescriptor, ReadSystem32(oldDescriptor) & ~TssBusy);
        }

        uint newFlags = image[0x24 / 4];
        if (source is TaskSwitchSource.Call or TaskSwitchSource.IdtTaskGate)
        {
            newFlags |= (uint)EFlags.NT;
            WriteSystem32(newBase, (ReadSystem32(newBase) & 0xFFFF_0000) | oldSelector);
        }

        if (!iret)
        {
            WriteSystem32(descriptorAddress + 4, tss.High | TssBusy);
        }

        // The commit point: TR names the new task; from here on faults belong to it.
        committed = true;
        TaskRegister = selector;
        TssBase = newBase;
        TssLimit = tss.Limit;
        Cr0 |= 8; // CR0.TS: the FPU state is the old task's

        LoadTaskState(image, newFlags, ext);
        if (hasErrorCode)
        {
            if (Virtual8086)
            {
                PushVirtual8086(errorCode, 4);
            }
            else
            {
                Push32(errorCode);
            }
        }

        Halted = false;
    }

    /// <summary>
    /// A VMM's hook for the memory the switch is about to touch: given the fault a touch raised, it returns true when
    /// the fault was the VMM's own (a hidden shadow fault, an EPT violation) and is now resolved. A switch cannot be
    /// restarted halfway, so every page it will use is made present first; a fault that is the guest's is left to
    /// recur where the SDM raises it.
    /// </summary>
    public Func<GuestFault, bool>? TaskSwitchFaultResolver { get; set; }

    private const int MaxTaskTouches = 64;

    private void TouchTaskMemory(ReadOnlySpan<uint> image, ushort oldSelector, uint newBase, uint descriptorAddress, TaskSwitchSource source, bool pushesErrorCode)
    {
        if (TaskSwitchFaultResolver is not { } resolve || SystemTablesPhysical)
        {
            return;
        }

        uint esp = image[0x38 / 4];
        ushort ldt = (ushort)image[0x60 / 4];
        for (int attempt = 0; attempt < MaxTaskTouches; attempt++)
        {
            try
            {
                Mmu.ProbeWrite(TssBase + 0x20, 0x40, user: false);
                Mmu.ProbeWrite(GdtBase + ((uint)oldSelector & 0xFFF8) + 4, 4, user: false);
                Mmu.ProbeWrite(descriptorAddress + 4, 4, user: false);
                if (source is TaskSwitchSource.Call or TaskSwitchSource.IdtTaskGate)
                {
                    Mmu.ProbeWrite(newBase, 4, user: false);
                }

                uint ldtBase = 0, ldtLimit = 0;
                if ((ldt & 0xFFFC) != 0 && (ldt & 4) == 0 && ((uint)ldt & 0xFFF8) + 7 <= GdtLimit)
                {
                    var d = new Descriptor(ReadSystem32(GdtBase + ((uint)ldt & 0xFFF8)), ReadSystem32(GdtBase + ((uint)ldt & 0xFFF8) + 4));
                    (ldtBase, ldtLimit) = (d.Base, d.Limit);
                }

                bool virtual8086 = (image[0x24 / 4] & (uint)EFlags.VM) != 0; // real-mode selectors: no descriptors
                for (int s = 0; s < 6 && !virtual8086; s++)
                {
                    ushort selector = (ushort)image[(0x48 / 4) + s];
                    bool local = (selector & 4) != 0;
                    uint index = (uint)selector & 0xFFF8;
                    if ((selector & 0xFFFC) == 0 || index + 7 > (local ? ldtLimit : GdtLimit))
                    {
                        continue;
                    }

                    uint high = (local ? ldtBase : GdtBase) + index + 4;
                    var descriptor = new Descriptor(ReadSystem32(high - 4), ReadSystem32(high));
                    if (descriptor.IsCodeOrData && (descriptor.High & 0x100) == 0)
                    {
                        Mmu.ProbeWrite(high, 4, user: false);
                    }
                }

                if (pushesErrorCode && virtual8086)
                {
                    Mmu.ProbeWrite((image[0x50 / 4] << 4) + ((esp - 4) & 0xFFFF), 4, user: true);
                }
                else if (pushesErrorCode)
                {
                    Mmu.ProbeWrite(esp - 4, 4, user: (image[0x4C / 4] & 3) == 3);
                }

                return;
            }
            catch (GuestFault fault)
            {
                if (!resolve(fault))
                {
                    return; // the guest's fault: it recurs at its place in the switch
                }
            }
        }
    }

    /// <summary>Loads the new task's registers, then checks and loads LDTR, CS, SS and the data segments (SDM table 7-1).</summary>
    private void LoadTaskState(ReadOnlySpan<uint> image, uint newFlags, uint ext)
    {
        uint cr3 = image[0x1C / 4];
        if (TaskSwitchCr3Loader is { } load)
        {
            load(cr3); // the VMM knows whether the guest's paging is on
        }
        else if ((Cr0 & 0x8000_0000) != 0 && cr3 != Cr3)
        {
            Cr3 = cr3;
            SyncMmu();
        }

        Eip = image[0x20 / 4];
        WriteEFlags(newFlags | (uint)EFlags.Reserved1);
        for (int r = 0; r < 8; r++)
        {
            Reg(r) = image[(0x28 / 4) + r];
        }

        ReadOnlySpan<SegmentRegister> order = [SegmentRegister.ES, SegmentRegister.CS, SegmentRegister.SS, SegmentRegister.DS, SegmentRegister.FS, SegmentRegister.GS];
        for (int s = 0; s < order.Length; s++)
        {
            Selectors[(int)order[s]] = (ushort)image[(0x48 / 4) + s];
            SegmentAttributes[(int)order[s]] = 0;
            SegmentBases[(int)order[s]] = 0;
        }

        ushort ldt = (ushort)image[0x60 / 4];
        LdtSelector = ldt;
        LdtBase = 0;
        LdtLimit = 0;
        ushort cs = Selectors[(int)SegmentRegister.CS];
        bool virtual8086 = (newFlags & (uint)EFlags.VM) != 0;
        if (virtual8086)
        {
            LoadVirtual8086TaskSegments(image, newFlags);
        }
        else
        {
            SetCpl(cs & 3);
        }

        if ((ldt & 0xFFFC) != 0)
        {
            Descriptor d = TaskDescriptor(ldt, ext, globalOnly: true);
            if (d.IsCodeOrData || d.Type != TypeLdt || !d.Present)
            {
                throw Exception(ExceptionVector.InvalidTss, ((uint)ldt & 0xFFFC) | ext);
            }

            LdtBase = d.Base;
            LdtLimit = d.Limit;
        }

        if (virtual8086)
        {
            return; // v86 segments carry no descriptors to check
        }

        // CS: code; DPL equal to its RPL (non-conforming) or at most it (conforming).
        Descriptor code = TaskDescriptor(cs, ext);
        if (!code.IsCode || (code.Conforming ? code.Dpl > Cpl : code.Dpl != Cpl))
        {
            throw Exception(ExceptionVector.InvalidTss, ((uint)cs & 0xFFFC) | ext);
        }

        if (!code.Present)
        {
            throw Exception(ExceptionVector.SegmentNotPresent, ((uint)cs & 0xFFFC) | ext);
        }

        RequireFlat(code, cs, "CS");
        SegmentAttributes[(int)SegmentRegister.CS] = MarkAccessed(cs, code).Attributes;

        ushort ss = Selectors[(int)SegmentRegister.SS];
        Descriptor stack = TaskDescriptor(ss, ext);
        if (!stack.Writable || stack.Dpl != Cpl || (ss & 3) != Cpl)
        {
            throw Exception(ExceptionVector.InvalidTss, ((uint)ss & 0xFFFC) | ext);
        }

        if (!stack.Present)
        {
            throw Exception(ExceptionVector.StackFault, ((uint)ss & 0xFFFC) | ext);
        }

        RequireFlat(stack, ss, "SS");
        SegmentAttributes[(int)SegmentRegister.SS] = MarkAccessed(ss, stack).Attributes;

        Span<SegmentRegister> data = [SegmentRegister.DS, SegmentRegister.ES, SegmentRegister.FS, SegmentRegister.GS];
        foreach (SegmentRegister s in data)
        {
            ushort selector = Selectors[(int)s];
            if ((selector & 0xFFFC) == 0)
            {
                continue;
            }

            Descriptor d = TaskDescriptor(selector, ext);
            bool usable = d.IsData || (d.IsCode && d.Readable);
            if (!usable || ((d.IsData || !d.Conforming) && (d.Dpl < Cpl || d.Dpl < (selector & 3))))
            {
                throw Exception(ExceptionVector.InvalidTss, ((uint)selector & 0xFFFC) | ext);
            }

            if (!d.Present)
            {
                throw Exception(ExceptionVector.SegmentNotPresent, ((uint)selector & 0xFFFC) | ext);
            }

            bool based = s is SegmentRegister.FS or SegmentRegister.GS && d.Limit == 0xFFFF_FFFF && !d.ExpandDown;
            if (!based)
            {
                RequireFlat(d, selector, s.ToString());
            }

            SegmentAttributes[(int)s] = MarkAccessed(selector, d).Attributes;
            SegmentBases[(int)s] = based ? d.Base : 0;
        }
    }

    /// <summary>A descriptor a task switch loads: a selector out of its table, or a null one, is #TS (not #GP as for MOV).</summary>
    private Descriptor TaskDescriptor(ushort selector, uint ext, bool globalOnly = false)
    {
        uint index = (uint)selector & 0xFFF8;
        bool local = (selector & 4) != 0;
        uint limit = local ? LdtLimit : GdtLimit;
        if ((selector & 0xFFFC) == 0 || (local && (globalOnly || (LdtSelector & 0xFFFC) == 0)) || index + 7 > limit)
        {
            throw Exception(ExceptionVector.InvalidTss, ((uint)selector & 0xFFFC) | ext);
        }

        uint tableBase = local ? LdtBase : GdtBase;
        return new Descriptor(ReadSystem32(tableBase + index), ReadSystem32(tableBase + index + 4));
    }
}

/// <summary>Task gates in the IDT (SDM 6.11.2).</summary>
public sealed partial class X86Cpu
{
    /// <summary>The length of the INT n being delivered: a VM exit during its delivery points the guest at it.</summary>
    internal uint SoftwareInterruptLength;

    /// <summary>
    /// An event through a task gate: a task switch with nesting, whose error code (if any) goes on the new task's
    /// stack. In VMX non-root operation it VM-exits (task switch, source "task gate in IDT") with the event as the
    /// exit's IDT-vectoring information, and the VMM emulates it.
    /// </summary>
    private void DeliverThroughTaskGate(int vector, ushort tss, InterruptSource source, bool hasErrorCode, uint errorCode, uint returnEip)
    {
        if (Vmx is { } vmcs)
        {
            bool software = source == InterruptSource.Software;
            InterruptionType type = source switch
            {
                InterruptSource.Software => vector is 3 or 4 ? InterruptionType.SoftwareException : InterruptionType.SoftwareInterrupt,
                InterruptSource.External => InterruptionType.ExternalInterrupt,
                InterruptSource.Nmi => InterruptionType.Nmi,
                _ => vector == (int)ExceptionVector.Nmi ? InterruptionType.Nmi : InterruptionType.HardwareException,
            };
            vmcs.BeginExit(VmExitReason.TaskSwitch, TaskSwitchQualification(tss, TaskSwitchSource.IdtTaskGate), software ? returnEip - SoftwareInterruptLength : Eip);
            vmcs.IdtVectoringInfo = InterruptionInfo.Create(vector, type, hasErrorCode);
            vmcs.IdtVectoringErrorCode = hasErrorCode ? errorCode : 0;
            vmcs.ExitInstructionLength = software ? SoftwareInterruptLength : 0;
            vmcs.InstructionExit = software;
            StopBlock = true;
            return;
        }

        SwitchTaskDelivering(tss, TaskSwitchSource.IdtTaskGate, returnEip, source != InterruptSource.Software, hasErrorCode, errorCode);
    }
}
