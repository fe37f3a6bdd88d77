namespace Translator.Machine.Cpu;

/// <summary>Selector and descriptor checks of protected mode: segment loads, far transfers, descriptor tables.</summary>
public sealed partial class X86Cpu
{
    /// <summary>Reads the descriptor <paramref name="selector"/> names; #GP(selector) when it lies past the table limit.</summary>
    internal Descriptor ReadDescriptor(ushort selector, uint errorCodeExtra = 0)
    {
        uint index = (uint)selector & 0xFFF8;
        bool local = (selector & 4) != 0;
        uint tableBase = local ? LdtBase : GdtBase;
        uint tableLimit = local ? LdtLimit : GdtLimit;
        if ((local && (LdtSelector & 0xFFFC) == 0) || index + 7 > tableLimit)
        {
            throw GeneralProtection(((uint)selector & 0xFFFC) | errorCodeExtra);
        }

        uint low = ReadSystem32(tableBase + index);
        uint high = ReadSystem32(tableBase + index + 4);
        return new Descriptor(low, high);
    }

    /// <summary>
    /// Sets the descriptor's accessed bit, as a segment load on hardware does, and returns the descriptor as it now
    /// reads. The write can fault (a read-only descriptor-table page; under shadow paging a page not yet dirty), so a
    /// transfer that also pushes or moves ESP calls this first: a fault must leave the transfer undone, restartable.
    /// </summary>
    internal Descriptor MarkAccessed(ushort selector, Descriptor descriptor)
    {
        if (!descriptor.IsCodeOrData || (descriptor.High & 0x100) != 0)
        {
            return descriptor;
        }

        uint tableBase = (selector & 4) != 0 ? LdtBase : GdtBase;
        WriteSystem32(tableBase + ((uint)selector & 0xFFF8) + 4, descriptor.High | 0x100);
        return new Descriptor(descriptor.Low, descriptor.High | 0x100);
    }

    private static void RequireFlat(Descriptor descriptor, ushort selector, string register)
    {
        if (!descriptor.IsFlat)
        {
            throw new UnsupportedGuestOperationException(
                $"non-flat segment: {register} <- selector 0x{selector:X4} (base 0x{descriptor.Base:X8}, limit 0x{descriptor.Limit:X8}{(descriptor.ExpandDown ? ", expand-down" : "")}); this machine supports flat segments only");
        }
    }

    /// <summary>MOV/POP to a data or stack segment register, with every protected-mode check.</summary>
    internal void LoadSegment(SegmentRegister segment, ushort selector)
    {
        if (segment == SegmentRegister.CS)
        {
            throw InvalidOpcode();
        }

        uint errorSelector = (uint)selector & 0xFFFC;
        int rpl = selector & 3;
        if (errorSelector == 0)
        {
            if (segment == SegmentRegister.SS)
            {
                throw GeneralProtection();
            }

            Selectors[(int)segment] = selector;
            SegmentAttributes[(int)segment] = 0;
            SegmentBases[(int)segment] = 0;
            return;
        }

        Descriptor d = ReadDescriptor(selector);
        if (segment == SegmentRegister.SS)
        {
            if (rpl != Cpl || !d.Writable || d.Dpl != Cpl)
            {
                throw GeneralProtection(errorSelector);
            }

            if (!d.Present)
            {
                throw Exception(ExceptionVector.StackFault, errorSelector);
            }
        }
        else
        {
            if (!(d.IsData || (d.IsCode && d.Readable)))
            {
                throw GeneralProtection(errorSelector);
            }

            if ((d.IsData || !d.Conforming) && (rpl > d.Dpl || Cpl > d.Dpl))
            {
                throw GeneralProtection(errorSelector);
            }

            if (!d.Present)
            {
                throw Exception(ExceptionVector.SegmentNotPresent, errorSelector);
            }
        }

        bool based = segment is SegmentRegister.FS or SegmentRegister.GS && d.Limit == 0xFFFF_FFFF && !d.ExpandDown;
        if (!based)
        {
            RequireFlat(d, selector, segment.ToString());
        }

        MarkAccessed(selector, d);
        Selectors[(int)segment] = selector;
        SegmentAttributes[(int)segment] = d.Attributes;
        SegmentBases[(int)segment] = based ? d.Base : 0;
    }

    /// <summary>Checks a code segment for a far JMP/CALL at the same privilege and returns its descriptor.</summary>
    internal Descriptor CheckFarTransferTarget(ushort selector)
    {
        uint errorSelector = (uint)selector & 0xFFFC;
        if (errorSelector == 0)
        {
            throw GeneralProtection();
        }

        Descriptor d = ReadDescriptor(selector);
        if (!d.IsCodeOrData)
        {
            throw new UnsupportedGuestOperationException(
                $"far transfer through system descriptor type {d.Type} (selector 0x{selector:X4}): call gates and task switches are not supported");
        }

        if (!d.IsCode)
        {
            throw GeneralProtection(errorSelector);
        }

        if (d.Conforming ? d.Dpl > Cpl : ((selector & 3) > Cpl || d.Dpl != Cpl))
        {
            throw GeneralProtection(errorSelector);
        }

        if (!d.Present)
        {
            throw Exception(ExceptionVector.SegmentNotPresent, errorSelector);
        }

        RequireFlat(d, selector, "CS");
        return d;
    }

    /// <summary>Loads CS for a transfer that keeps the privilege level (RPL becomes CPL).</summary>
    internal void SetCodeSegmentSamePrivilege(ushort selector, Descriptor descriptor)
    {
        MarkAccessed(selector, descriptor);
        Selectors[(int)SegmentRegister.CS] = (ushort)((selector & 0xFFFC) | Cpl);
        SegmentAttributes[(int)SegmentRegister.CS] = descriptor.Attributes;
    }

    /// <summary>Checks the code segment of a far RET/IRET (which may return to an outer level).</summary>
    internal Descriptor CheckReturnCodeSegment(ushort selector)
    {
        uint errorSelector = (uint)selector & 0xFFFC;
        int rpl = selector & 3;
        if (errorSelector == 0)
        {
            throw GeneralProtection();
        }

        Descriptor d = ReadDescriptor(selector);
        if (!d.IsCode || rpl < Cpl || (d.Conforming ? d.Dpl > rpl : d.Dpl != rpl))
        {
            throw GeneralProtection(errorSelector);
        }

        if (!d.Present)
        {
            throw Exception(ExceptionVector.SegmentNotPresent, errorSelector);
        }

        RequireFlat(d, selector, "CS");
        return d;
    }

    /// <summary>Checks the stack segment a return to privilege <paramref name="newCpl"/> will load.</summary>
    internal Descriptor CheckReturnStackSegment(ushort selector, int newCpl)
    {
        uint errorSelector = (uint)selector & 0xFFFC;
        if (errorSelector == 0)
        {
            throw GeneralProtection();
        }

        Descriptor d = ReadDescriptor(selector);
        if ((selector & 3) != newCpl || !d.Writable || d.Dpl != newCpl)
        {
            throw GeneralProtection(errorSelector);
        }

        if (!d.Present)
        {
            throw Exception(ExceptionVector.StackFault, errorSelector);
        }

        RequireFlat(d, selector, "SS");
        return d;
    }

    /// <summary>Switches CS (and CPL) and, for a privilege change, SS:ESP; already-validated descriptors only.</summary>
    internal void CommitPrivilegeChange(ushort codeSelector, Descriptor code, ushort stackSelector, Descriptor stack, uint esp)
    {
        int newCpl = codeSelector & 3;
        MarkAccessed(codeSelector, code);
        MarkAccessed(stackSelector, stack);
        Selectors[(int)SegmentRegister.CS] = codeSelector;
        SegmentAttributes[(int)SegmentRegister.CS] = code.Attributes;
        Selectors[(int)SegmentRegister.SS] = stackSelector;
        SegmentAttributes[(int)SegmentRegister.SS] = stack.Attributes;
        Reg(ESP) = esp;
        SetCpl(newCpl);
    }

    /// <summary>After a return to an outer level, data segments the new level may not use become null (SDM IRET/RET).</summary>
    internal void NullInaccessibleDataSegments()
    {
        Span<SegmentRegister> data = [SegmentRegister.ES, SegmentRegister.DS, SegmentRegister.FS, SegmentRegister.GS];
        foreach (SegmentRegister s in data)
        {
            ushort attributes = SegmentAttributes[(int)s];
            if ((Selectors[(int)s] & 0xFFFC) == 0 || attributes == 0)
            {
                continue;
            }

            int dpl = (attributes >> 5) & 3;
            bool code = (attributes & 0x08) != 0;
            bool conforming = code && (attributes & 0x04) != 0;
            if (!conforming && dpl < Cpl)
            {
                Selectors[(int)s] = 0;
                SegmentAttributes[(int)s] = 0;
                SegmentBases[(int)s] = 0;
            }
        }
    }

    /// <summary>Reads the ring-<paramref name="ring"/> stack pointer pair from the current 32-bit TSS.</summary>
    internal (ushort Ss, uint Esp) ReadTssStack(int ring, uint errorCodeExtra)
    {
        uint offset = 4 + ((uint)ring * 8);
        if (offset + 5 > TssLimit || (TaskRegister & 0xFFFC) == 0)
        {
            throw Exception(ExceptionVector.InvalidTss, ((uint)TaskRegister & 0xFFFC) | errorCodeExtra);
        }

        uint esp = ReadSystem32(TssBase + offset);
        ushort ss = ReadSystem16(TssBase + offset + 4);
        return (ss, esp);
    }

    /// <summary>I/O permission: CPL &lt;= IOPL, or every port's bit clear in the TSS I/O bitmap; #GP(0) otherwise.</summary>
    internal void CheckIoPermission(ushort port, int size)
    {
        if (Cpl <= Iopl && !Virtual8086)
        {
            return; // in v86 mode the bitmap decides whatever IOPL is (SDM 20.2.8.1)
        }

        if ((TaskRegister & 0xFFFC) == 0 || TssLimit < 0x67)
        {
            throw GeneralProtection();
        }

        uint mapBase = ReadSystem16(TssBase + 0x66);
        uint byteOffset = mapBase + (uint)(port >> 3);
        if (byteOffset + 1 > TssLimit)
        {
            throw GeneralProtection();
        }

        uint bits = ReadSystem16(TssBase + byteOffset);
        uint mask = ((1u << size) - 1) << (port & 7);
        if ((bits & mask) != 0)
        {
            throw GeneralProtection();
        }
    }
}
