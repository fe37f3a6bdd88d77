using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using Translator.Machine.Instructions;
using Translator.Vmm.Backends.Hw;

namespace Translator.Vmm.Backends.Deprivileged;

/// <summary>
/// The virtual ring-0 view: how the VMM emulates a sensitive instruction or delivers an event exactly as bare
/// metal would. For the duration of one emulation the processor is switched to what the guest believes: its CPL
/// (0 for its kernel), RPL 0 in CS and SS, DPL 0 in the cached descriptors, its own GDTR/IDTR/LDTR/TR (addressed
/// through its own mappings), CR0/CR2/CR3/CR4 as it set them, its IF and IOPL. The architectural handler of the
/// instruction (or the processor's IDT delivery) then runs unchanged, and leaving the view takes whatever it changed
/// into the virtual state and compresses the processor back to CPL 1 with the VMM's tables. Memory accesses keep
/// going through the shadow page tables, so a hidden page fault inside an emulation simply restarts it.
/// <para>
/// Writes to CR0/CR3/CR4 (MOV, LMSW, CLTS) and INVLPG are emulated explicitly against the shadow page tables,
/// which own paging; nothing in the view ever loads the guest's own paging into the processor.
/// </para>
/// </summary>
public abstract partial class DeprivilegedMonitor
{
    private const uint DplBits = 3u << 5;

    private VirtualState _virtual;
    private bool _inView;
    private VirtualState _realTables;
    private uint _realCr0, _realCr3, _realCr4;
    private uint _viewCr0, _viewCr3, _viewCr4;

    /// <summary>Switches the processor to the guest's view; false when it already is (nested emulations).</summary>
    private bool EnterView()
    {
        if (_inView)
        {
            return false;
        }

        _inView = true;
        X86Cpu c = _cpu;
        _realTables = VirtualState.Capture(c);
        (_realCr0, _realCr3, _realCr4) = (c.Cr0, c.Cr3, c.Cr4);
        bool kernel = c.Cpl != 3;
        if (kernel)
        {
            c.SetCpl(0);
            c.Selectors[(int)SegmentRegister.CS] &= 0xFFFC;
            c.Selectors[(int)SegmentRegister.SS] &= 0xFFFC;
        }

        for (int s = 0; s < 6; s++)
        {
            if ((c.SegmentAttributes[s] & DplBits) == 1u << 5)
            {
                c.SegmentAttributes[s] &= unchecked((ushort)~DplBits);
            }
        }

        _virtual.LoadTables(c);
        (_viewCr0, _viewCr3, _viewCr4) = (_shadow.GuestCr0, _shadow.GuestCr3, _shadow.GuestCr4);
        c.Cr0 = _viewCr0;
        c.Cr2 = _virtual.Cr2;
        c.Cr3 = _viewCr3;
        c.Cr4 = _viewCr4;
        uint flags = c.FlagBits & ~(uint)EFlags.IOPL;
        if (kernel)
        {
            flags = _virtual.InterruptsEnabled ? flags | (uint)EFlags.IF : flags & ~(uint)EFlags.IF;
        }

        c.FlagBits = flags | ((uint)_virtual.Iopl << 12);
        c.SystemTablesPhysical = false;
        return true;
    }

    /// <summary>Takes what the emulation changed into the virtual state and compresses the processor again.</summary>
    private void ExitView()
    {
        X86Cpu c = _cpu;
        VirtualState before = _virtual;
        bool interrupts = c.Cpl == 3 ? before.InterruptsEnabled : c.IF;
        _virtual = VirtualState.Capture(c);
        _virtual.InterruptsEnabled = interrupts;
        _virtual.Cr2 = before.Cr2; // only the VMM sets the guest's CR2 (MOV to CR2, a true page fault)
        uint cr0 = c.Cr0, cr3 = c.Cr3, cr4 = c.Cr4;
        _realTables.LoadTables(c);

        // The real CR2 keeps the address of the last page fault, in the view or not: the VMM reads it to resolve the fault.
        (c.Cr0, c.Cr3, c.Cr4) = (_realCr0, _realCr3, _realCr4);
        c.SystemTablesPhysical = true;
        uint flags = c.FlagBits & ~(uint)EFlags.IOPL;
        c.FlagBits = c.Cpl == 3 ? flags : flags | (uint)EFlags.IF;
        CompressPrivilege(c);
        _inView = false;

        // Control-register writes are emulated explicitly; should an architectural handler still change one, the
        // shadow page tables take it (they own the real registers).
        if (cr0 != _viewCr0)
        {
            _shadow.WriteCr0(cr0);
        }

        if (cr4 != _viewCr4)
        {
            _shadow.WriteCr4(cr4);
        }

        if (cr3 != _viewCr3)
        {
            _shadow.WriteCr3(cr3);
        }

        if (!_virtual.SameTables(before))
        {
            RebuildGdt();
        }

        if (_platform.DebugExitValue is not null)
        {
            _interpreter.RequestStop();
        }
    }

    /// <summary>The guest kernel's CPL 0 becomes the real CPL 1: RPL 1 in CS and SS, DPL 1 in every cached DPL-0 descriptor.</summary>
    private static void CompressPrivilege(X86Cpu c)
    {
        if (c.Cpl != 3)
        {
            c.SetCpl(1);
            c.Selectors[(int)SegmentRegister.CS] = (ushort)((c.Selectors[(int)SegmentRegister.CS] & 0xFFFC) | 1);
            c.Selectors[(int)SegmentRegister.SS] = (ushort)((c.Selectors[(int)SegmentRegister.SS] & 0xFFFC) | 1);
        }

        for (int s = 0; s < 6; s++)
        {
            ushort attributes = c.SegmentAttributes[s];
            if (attributes != 0 && (attributes & DplBits) == 0 && (attributes & 0x10) != 0)
            {
                c.SegmentAttributes[s] = (ushort)(attributes | (1u << 5));
            }
        }
    }

    /// <summary>Refreshes the real GDT from the guest's (after LGDT, LLDT, LTR), reading it through the guest's own paging.</summary>
    private void RebuildGdt()
    {
        GuestPaging paging = _shadow.Paging;
        uint guestBase = _virtual.GdtBase;
        _gdt.Rebuild(_virtual.GdtLimit, offset =>
        {
            GuestTranslation low = GuestPageWalker.Walk(_guest, paging, guestBase + offset, write: false, user: false, update: false);
            GuestTranslation high = GuestPageWalker.Walk(_guest, paging, guestBase + offset + 4, write: false, user: false, update: false);
            return low.Faulted || high.Faulted ? null : _guest.Read32(low.GuestPhysical) | ((ulong)_guest.Read32(high.GuestPhysical) << 32);
        });
        _cpu.GdtBase = _gdt.Base;
        _cpu.GdtLimit = _virtual.GdtLimit;
    }

    /// <summary>
    /// Executes one sensitive instruction as the guest's virtual processor would: paging-control writes against the
    /// shadow page tables, everything else by its architectural handler in the virtual view. Faults propagate
    /// (the caller reflects them, or restarts the instruction after a hidden page fault).
    /// </summary>
    private protected void ExecuteSensitive(ref DecodedOp op) => ExecuteVirtually(ref op);

    private unsafe void ExecuteVirtually(ref DecodedOp op)
    {
        X86Cpu c = _cpu;
        switch (op.Instruction.Code)
        {
            case Code.Mov_cr_r32:
                RequireVirtualRing0();
                WriteControlRegister(op.Instruction.Op0Register - Register.CR0, c.GetRegister(op.Instruction.Op1Register - Register.EAX));
                return;
            case Code.Lmsw_rm16:
                RequireVirtualRing0();
                uint cr0 = _shadow.GuestCr0;
                WriteControlRegister(0, (cr0 & ~0xEu) | (Operands.Read0(c, ref op) & 0xF) | (cr0 & 1));
                return;
            case Code.Clts:
                RequireVirtualRing0();
                WriteControlRegister(0, _shadow.GuestCr0 & ~8u);
                return;
            case Code.Invlpg_m:
                RequireVirtualRing0();
                _shadow.Invalidate(Operands.EffectiveAddress(c, ref op));
                c.StopBlock = true;
                return;
        }

        bool entered = EnterView();
        try
        {
            InstructionTable.For(op.Instruction.Code)(c, ref op);
        }
        finally
        {
            if (entered)
            {
                ExitView();
            }
        }
    }

    private void RequireVirtualRing0()
    {
        if (_cpu.Cpl == 3)
        {
            throw _cpu.GeneralProtection();
        }
    }

    /// <summary>MOV to CR0/CR2/CR3/CR4 as the guest's processor checks it; paging changes go to the shadow page tables.</summary>
    private void WriteControlRegister(int cr, uint value)
    {
        switch (cr)
        {
            case 0:
                _shadow.WriteCr0(InstSystem.CheckControlRegister(_cpu, 0, value));
                break;
            case 2:
                _virtual.Cr2 = value;
                break;
            case 3:
                _shadow.WriteCr3(value);
                break;
            case 4:
                _shadow.WriteCr4(InstSystem.CheckControlRegister(_cpu, 4, value));
                break;
            default:
                throw _cpu.InvalidOpcode();
        }

        _cpu.StopBlock = true;
    }
}
