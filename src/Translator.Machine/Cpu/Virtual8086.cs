using Translator.Machine.Instructions;

namespace Translator.Machine.Cpu;

/// <summary>
/// Virtual-8086 mode (SDM Vol. 3 ch. 20): how the processor enters it (a task switch to a TSS whose EFLAGS image has
/// VM set, IRET from CPL 0 with VM in the popped EFLAGS), how it leaves it (an interrupt or exception to a ring-0
/// handler, or a task switch), and its real-mode style segments (base = selector × 16, 64 KiB limit, CPL 3).
/// CR4.VME is not supported (CPUID.1:EDX[1] is 0), so the IOPL-sensitive instructions #GP to the monitor whenever
/// IOPL &lt; 3. The instructions themselves are in <see cref="Instructions.InstVirtual8086"/>.
/// </summary>
public sealed partial class X86Cpu
{
    /// <summary>Hidden attributes of a v86 segment: present, DPL 3, read/write data, accessed (16-bit, byte granular).</summary>
    private const ushort Virtual8086DataAttributes = 0xF3;

    /// <summary>CS in v86 mode: present, DPL 3, readable code, accessed.</summary>
    private const ushort Virtual8086CodeAttributes = 0xFB;

    /// <summary>CR4.VME: virtual interrupt flags and interrupt redirection in v86 mode (not modelled, not in CPUID).</summary>
    private const uint Cr4Vme = 1;

    /// <summary>The largest offset of a v86 segment (every segment's limit is 64 KiB).</summary>
    internal const uint Virtual8086Limit = 0xFFFF;

    private Decoders.Virtual8086Decoder? _virtual8086Decoder;

    /// <summary>Fetches and decodes the v86 instruction at CS:IP (see <see cref="Decoders.Virtual8086Decoder"/>).</summary>
    internal void DecodeVirtual8086(out Iced.Intel.Instruction instruction) =>
        (_virtual8086Decoder ??= new Decoders.Virtual8086Decoder(this)).Decode(out instruction);

    /// <summary>Executes one decoded v86 instruction; EIP must already be the next instruction's (16-bit) offset.</summary>
    internal void ExecuteVirtual8086(in Iced.Intel.Instruction instruction) => InstVirtual8086.Execute(this, in instruction);

    /// <summary>EFLAGS.VM: the processor executes 8086 code at CPL 3.</summary>
    public bool Virtual8086 => (FlagBits & (uint)EFlags.VM) != 0;

    /// <summary>Loads a segment register as v86 mode does: no descriptor, the base is the selector × 16.</summary>
    internal void LoadVirtual8086Segment(SegmentRegister segment, ushort selector)
    {
        Selectors[(int)segment] = selector;
        SegmentBases[(int)segment] = (uint)selector << 4;
        SegmentAttributes[(int)segment] = segment == SegmentRegister.CS ? Virtual8086CodeAttributes : Virtual8086DataAttributes;
    }

    /// <summary>The linear address of <paramref name="offset"/> in <paramref name="segment"/> (v86: no wrap at 1 MiB; A20 is the chipset's).</summary>
    internal uint Virtual8086Linear(SegmentRegister segment, uint offset) => SegmentBases[(int)segment] + offset;

    /// <summary>#GP(0), or #SS(0) for the stack segment, when an access of <paramref name="size"/> bytes at <paramref name="offset"/> passes the 64 KiB limit.</summary>
    internal void CheckVirtual8086Limit(SegmentRegister segment, uint offset, int size)
    {
        if (offset > Virtual8086Limit || Virtual8086Limit - offset < (uint)Math.Max(size, 1) - 1)
        {
            throw segment == SegmentRegister.SS ? Exception(ExceptionVector.StackFault, 0) : GeneralProtection();
        }
    }

    /// <summary>Pushes <paramref name="size"/> bytes on SS:SP (v86 stacks are 16-bit: only SP moves).</summary>
    internal void PushVirtual8086(uint value, int size)
    {
        uint sp = (Reg(ESP) - (uint)size) & 0xFFFF;
        CheckVirtual8086Limit(SegmentRegister.SS, sp, size);
        Operands.WriteMemory(this, Virtual8086Linear(SegmentRegister.SS, sp), size * 8, value);
        Reg(ESP) = (Reg(ESP) & 0xFFFF_0000) | sp;
    }

    /// <summary>Reads the stack slot <paramref name="depth"/> bytes above SS:SP without popping it.</summary>
    internal uint PeekVirtual8086(uint depth, int size)
    {
        uint sp = (Reg(ESP) + depth) & 0xFFFF;
        CheckVirtual8086Limit(SegmentRegister.SS, sp, size);
        return Operands.ReadMemory(this, Virtual8086Linear(SegmentRegister.SS, sp), size * 8);
    }

    /// <summary>Moves SP by <paramref name="bytes"/> (the upper half of ESP is left alone).</summary>
    internal void ReleaseVirtual8086Stack(uint bytes) => Reg(ESP) = (Reg(ESP) & 0xFFFF_0000) | ((Reg(ESP) + bytes) & 0xFFFF);

    /// <summary>Enters v86 mode with the given EFLAGS image (VM set) and segments in TSS order (ES CS SS DS FS GS).</summary>
    private void EnterVirtual8086(uint flags, ReadOnlySpan<ushort> esCsSsDsFsGs)
    {
        if ((Cr4 & Cr4Vme) != 0)
        {
            // CPUID.1:EDX[1] is 0, so a guest that asks never sets it; one that does is stopped rather than misled.
            throw new UnsupportedGuestOperationException("virtual-8086 mode with CR4.VME set: the virtual-8086 mode extensions are not modelled");
        }

        WriteEFlags(flags);
        ReadOnlySpan<SegmentRegister> order = [SegmentRegister.ES, SegmentRegister.CS, SegmentRegister.SS, SegmentRegister.DS, SegmentRegister.FS, SegmentRegister.GS];
        for (int s = 0; s < order.Length; s++)
        {
            LoadVirtual8086Segment(order[s], esCsSsDsFsGs[s]);
        }

        SetCpl(3);
        StopBlock = true; // the interpreter runs v86 code on its own path
    }

    /// <summary>
    /// IRET at CPL 0 whose EFLAGS image has VM set (SDM IRET, RETURN-TO-VIRTUAL-8086-MODE): after EIP, CS and EFLAGS
    /// the frame holds ESP, SS, ES, DS, FS and GS, each in a doubleword. Nothing is checked but EIP against CS's
    /// 64 KiB limit; every slot is read before anything changes.
    /// </summary>
    internal void ReturnToVirtual8086(uint sp, uint newEip, ushort newCs, uint newFlags)
    {
        if (newEip > Virtual8086Limit)
        {
            throw GeneralProtection();
        }

        uint newEsp = Mmu.Read32(sp + 12);
        Span<ushort> segments = stackalloc ushort[6];
        segments[0] = Mmu.Read16(sp + 20); // ES
        segments[1] = newCs;
        segments[2] = Mmu.Read16(sp + 16); // SS
        segments[3] = Mmu.Read16(sp + 24); // DS
        segments[4] = Mmu.Read16(sp + 28); // FS
        segments[5] = Mmu.Read16(sp + 32); // GS
        EnterVirtual8086(newFlags, segments);
        Reg(ESP) = newEsp;
        Eip = newEip;
    }

    /// <summary>
    /// An interrupt or exception taken in v86 mode through a 32-bit interrupt or trap gate (SDM 20.3.1.1, INT n's
    /// INTERRUPT-FROM-VIRTUAL-8086-MODE): the handler must be non-conforming code of DPL 0, the stack is the TSS's
    /// ring-0 stack, and the frame holds GS, FS, DS, ES, SS, ESP, EFLAGS, CS, EIP (and the error code); DS, ES, FS
    /// and GS are then null, so the handler cannot use the v86 values by mistake. The caller clears VM, TF, NT, RF
    /// (and IF for an interrupt gate) and jumps to the gate's offset.
    /// </summary>
    private void InterruptFromVirtual8086(ushort codeSelector, Descriptor code, uint flags, bool hasErrorCode, uint errorCode, uint returnEip, uint ext)
    {
        if (code.Conforming || code.Dpl != 0)
        {
            throw GeneralProtection(((uint)codeSelector & 0xFFFC) | ext);
        }

        (ushort ss, uint esp) = ReadTssStack(0, ext);
        if ((ss & 0xFFFC) == 0)
        {
            throw Exception(ExceptionVector.InvalidTss, ext);
        }

        Descriptor stack = TaskDescriptor(ss, ext);
        if ((ss & 3) != 0 || stack.Dpl != 0 || !stack.Writable)
        {
            throw Exception(ExceptionVector.InvalidTss, ((uint)ss & 0xFFFC) | ext);
        }

        if (!stack.Present)
        {
            throw Exception(ExceptionVector.StackFault, ((uint)ss & 0xFFFC) | ext);
        }

        RequireFlat(stack, ss, "SS");
        uint frameSize = hasErrorCode ? 40u : 36u;
        Mmu.ProbeWrite(esp - frameSize, (int)frameSize, user: false);
        code = MarkAccessed(codeSelector, code);
        stack = MarkAccessed(ss, stack);
        uint p = esp;
        ReadOnlySpan<SegmentRegister> pushed = [SegmentRegister.GS, SegmentRegister.FS, SegmentRegister.DS, SegmentRegister.ES, SegmentRegister.SS];
        foreach (SegmentRegister s in pushed)
        {
            Mmu.Write32As(p -= 4, Selectors[(int)s], user: false);
        }

        Mmu.Write32As(p -= 4, Reg(ESP), user: false);
        Mmu.Write32As(p -= 4, flags, user: false);
        Mmu.Write32As(p -= 4, Selectors[(int)SegmentRegister.CS], user: false);
        Mmu.Write32As(p -= 4, returnEip, user: false);
        if (hasErrorCode)
        {
            Mmu.Write32As(p -= 4, errorCode, user: false);
        }

        ReadOnlySpan<SegmentRegister> nulled = [SegmentRegister.ES, SegmentRegister.DS, SegmentRegister.FS, SegmentRegister.GS];
        foreach (SegmentRegister s in nulled)
        {
            Selectors[(int)s] = 0;
            SegmentAttributes[(int)s] = 0;
            SegmentBases[(int)s] = 0;
        }

        SegmentBases[(int)SegmentRegister.CS] = 0;
        SegmentBases[(int)SegmentRegister.SS] = 0;
        FlagBits &= ~(uint)EFlags.VM; // before the CPL drops to 0: a protected-mode CPL 0 is never in v86 mode
        CommitPrivilegeChange((ushort)(codeSelector & 0xFFFC), code, ss, stack, p);
    }

    /// <summary>Loads a v86 task's segments (SDM 7.3: no descriptor checks; the selectors are real-mode values).</summary>
    private void LoadVirtual8086TaskSegments(ReadOnlySpan<uint> image, uint newFlags)
    {
        Span<ushort> segments = stackalloc ushort[6];
        for (int s = 0; s < 6; s++)
        {
            segments[s] = (ushort)image[(0x48 / 4) + s];
        }

        EnterVirtual8086(newFlags | (uint)EFlags.Reserved1, segments);
    }
}
