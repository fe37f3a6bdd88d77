using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>
/// One instruction of virtual-8086 code (SDM Vol. 3 ch. 20), decoded by Iced as 16-bit code. Every memory operand is
/// segment-relative (linear = the segment's base + the offset, checked against the 64 KiB limit); the stack is SS:SP.
/// Instructions whose semantics v86 mode changes are executed here: the stack and its far transfers, segment
/// loads, string instructions, and the IOPL-sensitive ones (PUSHF, POPF, INT n, IRET: #GP(0) to the monitor when
/// IOPL &lt; 3, since CR4.VME is not supported). All others run the protected-mode handler on an operand rebased to
/// its linear address (CLI/STI check IOPL there, IN/OUT the TSS's I/O bitmap, privileged ones fault at CPL 3).
/// </summary>
internal static unsafe class InstVirtual8086
{
    /// <summary>Executes <paramref name="i"/>; EIP already holds the next instruction's offset.</summary>
    public static void Execute(X86Cpu c, in Instruction i)
    {
        switch (i.Mnemonic)
        {
            case Mnemonic.Push: Push(c, in i); return;
            case Mnemonic.Pop: Pop(c, in i); return;
            case Mnemonic.Pusha: case Mnemonic.Pushad: PushAll(c, -i.StackPointerIncrement / 8); return;
            case Mnemonic.Popa: case Mnemonic.Popad: PopAll(c, i.StackPointerIncrement / 8); return;
            case Mnemonic.Pushf: case Mnemonic.Pushfd: PushFlags(c, in i); return;
            case Mnemonic.Popf: case Mnemonic.Popfd: PopFlags(c, in i); return;
            case Mnemonic.Call: Call(c, in i); return;
            case Mnemonic.Ret: NearReturn(c, in i); return;
            case Mnemonic.Retf: FarReturn(c, in i); return;
            case Mnemonic.Jmp when i.Op0Kind is OpKind.FarBranch16 or OpKind.FarBranch32 || i.MemorySize is MemorySize.SegPtr16 or MemorySize.SegPtr32:
                JumpFar(c, in i);
                return;
            case Mnemonic.Int: SoftwareInterrupt(c, in i, i.Immediate8, iopl: true); return;
            case Mnemonic.Int3: SoftwareInterrupt(c, in i, (int)ExceptionVector.Breakpoint, iopl: false); return;
            case Mnemonic.Int1: SoftwareInterrupt(c, in i, (int)ExceptionVector.Debug, iopl: false); return;
            case Mnemonic.Into:
                if (c.OF)
                {
                    SoftwareInterrupt(c, in i, (int)ExceptionVector.Overflow, iopl: false);
                }

                return;
            case Mnemonic.Iret: case Mnemonic.Iretd: InterruptReturn(c, in i); return;
            case Mnemonic.Enter: Enter(c, in i); return;
            case Mnemonic.Leave: Leave(c, in i); return;
            case Mnemonic.Mov when i.Op0Kind == OpKind.Register && i.Op0Register.IsSegmentRegister():
                LoadSegment(c, (SegmentRegister)(i.Op0Register - Register.ES), (ushort)ReadOperand(c, in i, 1, 16));
                return;
            case Mnemonic.Lds: case Mnemonic.Les: case Mnemonic.Lfs: case Mnemonic.Lgs: case Mnemonic.Lss:
                LoadFarPointer(c, in i);
                return;
            case Mnemonic.Xlatb:
                uint offset = (c.Reg(X86Cpu.EBX) + c.ReadReg8(0)) & (i.MemoryBase == Register.EBX ? 0xFFFF_FFFFu : 0xFFFF);
                c.WriteReg8(0, (byte)ReadMemory(c, Linear(c, (SegmentRegister)(i.MemorySegment - Register.ES), offset, 1), 8));
                return;
            case Mnemonic.Arpl: case Mnemonic.Lar: case Mnemonic.Lsl: case Mnemonic.Verr: case Mnemonic.Verw:
            case Mnemonic.Sldt: case Mnemonic.Str: case Mnemonic.Lldt: case Mnemonic.Ltr:
                throw c.InvalidOpcode(); // not recognised in real-address or v86 mode (SDM: #UD)
        }

        if (Virtual8086Strings.Is(in i))
        {
            Virtual8086Strings.Execute(c, in i);
            return;
        }

        if (i.StackPointerIncrement != 0)
        {
            throw new UnsupportedGuestOperationException($"{i} in virtual-8086 mode is not modelled");
        }

        Rebased(c, in i);
    }

    /// <summary>The protected-mode handler on operands whose memory address is already the linear one.</summary>
    private static void Rebased(X86Cpu c, in Instruction i)
    {
        DecodedOp op = BlockDecoder.Resolve(in i);
        delegate*<X86Cpu, ref DecodedOp, void> handler = op.Unsegmented != null ? op.Unsegmented : op.Execute;
        if (HasMemoryOperand(in i) && i.Mnemonic != Mnemonic.Lea)
        {
            uint offset = EffectiveAddress(c, ref op);
            op.Displacement = Linear(c, (SegmentRegister)(i.MemorySegment - Register.ES), offset, i.MemorySize.GetSize());
            op.Base = X86Cpu.ZeroRegister;
            op.Index = X86Cpu.ZeroRegister;
            op.Scale = 0;
            op.AddressSize16 = false;
        }

        handler(c, ref op);
    }

    private static bool HasMemoryOperand(in Instruction i)
    {
        for (int n = 0; n < i.OpCount; n++)
        {
            if (i.GetOpKind(n) == OpKind.Memory)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The offset of the instruction's memory operand (16-bit addresses wrap at 64 KiB; 0x67 gives 32-bit ones).</summary>
    private static uint MemoryOffset(X86Cpu c, in Instruction i)
    {
        uint offset = c.Reg(Gpr(i.MemoryBase)) + (c.Reg(Gpr(i.MemoryIndex)) * (uint)i.MemoryIndexScale) + i.MemoryDisplacement32;
        return i.MemoryBase.IsGPR16() || i.MemoryIndex.IsGPR16() || (i.MemoryBase == Register.None && i.MemoryIndex == Register.None && i.MemoryDisplSize == 2)
            ? offset & 0xFFFF
            : offset;
    }

    private static int Gpr(Register r) => r == Register.None ? X86Cpu.ZeroRegister
        : r.IsGPR32() ? r - Register.EAX : r - Register.AX;

    /// <summary>Checks <paramref name="size"/> bytes at <paramref name="offset"/> against the segment's limit and returns the linear address.</summary>
    internal static uint Linear(X86Cpu c, SegmentRegister segment, uint offset, int size)
    {
        c.CheckVirtual8086Limit(segment, offset, size);
        return c.Virtual8086Linear(segment, offset);
    }

    private static uint MemoryLinear(X86Cpu c, in Instruction i, uint offsetWithin, int size) =>
        Linear(c, (SegmentRegister)(i.MemorySegment - Register.ES), MemoryOffset(c, in i) + offsetWithin, size);

    /// <summary>Reads operand <paramref name="n"/> (register, memory or immediate) at <paramref name="bits"/>.</summary>
    private static uint ReadOperand(X86Cpu c, in Instruction i, int n, int bits)
    {
        switch (i.GetOpKind(n))
        {
            case OpKind.Register:
                Register r = i.GetOpRegister(n);
                return r.IsSegmentRegister() ? c.Selectors[r - Register.ES] : ReadGpr(c, Gpr(r), bits);
            case OpKind.Memory:
                return ReadMemory(c, MemoryLinear(c, in i, 0, bits / 8), bits);
            default:
                return (uint)i.GetImmediate(n);
        }
    }

    private static void Push(X86Cpu c, in Instruction i)
    {
        int size = -i.StackPointerIncrement;
        c.PushVirtual8086(ReadOperand(c, in i, 0, size * 8), size);
    }

    private static void Pop(X86Cpu c, in Instruction i)
    {
        int size = i.StackPointerIncrement;
        uint value = c.PeekVirtual8086(0, size);
        if (i.Op0Kind == OpKind.Register)
        {
            Register r = i.Op0Register;
            if (r.IsSegmentRegister())
            {
                LoadSegment(c, (SegmentRegister)(r - Register.ES), (ushort)value);
            }
            else
            {
                c.ReleaseVirtual8086Stack((uint)size);
                WriteGpr(c, Gpr(r), size * 8, value); // POP SP: the popped value wins
                return;
            }

            c.ReleaseVirtual8086Stack((uint)size);
            return;
        }

        // POP m: the address is computed with the incremented SP (SDM POP); a fault leaves SP as it was.
        uint esp = c.Reg(X86Cpu.ESP);
        c.ReleaseVirtual8086Stack((uint)size);
        try
        {
            WriteMemory(c, MemoryLinear(c, in i, 0, size), size * 8, value);
        }
        catch (GuestFault)
        {
            c.Reg(X86Cpu.ESP) = esp;
            throw;
        }
    }

    private static void PushAll(X86Cpu c, int size)
    {
        uint sp = c.Reg(X86Cpu.ESP);
        c.CheckVirtual8086Limit(SegmentRegister.SS, (sp - (uint)(8 * size)) & 0xFFFF, 8 * size);
        for (int r = 0; r < 8; r++)
        {
            c.PushVirtual8086(r == X86Cpu.ESP ? sp : c.Reg(r), size);
        }
    }

    private static void PopAll(X86Cpu c, int size)
    {
        Span<uint> values = stackalloc uint[8];
        for (int r = 0; r < 8; r++)
        {
            values[7 - r] = c.PeekVirtual8086((uint)(r * size), size);
        }

        for (int r = 0; r < 8; r++)
        {
            if (r != X86Cpu.ESP)
            {
                WriteGpr(c, r, size * 8, values[r]);
            }
        }

        c.ReleaseVirtual8086Stack((uint)(8 * size));
    }

    /// <summary>PUSHF: IOPL-sensitive; VM and RF read as 0 in the image.</summary>
    private static void PushFlags(X86Cpu c, in Instruction i)
    {
        RequireIopl3(c);
        int size = -i.StackPointerIncrement;
        c.PushVirtual8086(c.EFlagsValue & ~(uint)(EFlags.RF | EFlags.VM), size);
    }

    /// <summary>POPF: IOPL-sensitive; IOPL, VM, RF, VIF and VIP are never loaded (SDM POPF, virtual-8086 mode).</summary>
    private static void PopFlags(X86Cpu c, in Instruction i)
    {
        RequireIopl3(c);
        int size = i.StackPointerIncrement;
        uint value = c.PeekVirtual8086(0, size);
        c.ReleaseVirtual8086Stack((uint)size);
        LoadFlags(c, value, size, (uint)(EFlags.Arithmetic | EFlags.TF | EFlags.IF | EFlags.DF | EFlags.NT | EFlags.AC | EFlags.ID));
    }

    private static void LoadFlags(X86Cpu c, uint value, int size, uint changeable)
    {
        if (size == 2)
        {
            changeable &= 0xFFFF;
        }

        c.WriteEFlags((c.EFlagsValue & ~changeable) | (value & changeable));
        c.StopBlock = true; // IF may now let a pending interrupt in
    }

    private static void RequireIopl3(X86Cpu c)
    {
        if (c.Iopl < 3)
        {
            throw c.GeneralProtection(); // to the v86 monitor, which emulates the instruction (no CR4.VME)
        }
    }

    private static void Call(X86Cpu c, in Instruction i)
    {
        int size = -i.StackPointerIncrement;
        if (i.Op0Kind is OpKind.FarBranch16 or OpKind.FarBranch32 || i.MemorySize is MemorySize.SegPtr16 or MemorySize.SegPtr32)
        {
            size /= 2;
            (uint offset, ushort selector) = FarTarget(c, in i);
            c.CheckVirtual8086Limit(SegmentRegister.SS, (c.Reg(X86Cpu.ESP) - (uint)(2 * size)) & 0xFFFF, 2 * size);
            c.PushVirtual8086(c.Selectors[(int)SegmentRegister.CS], size);
            c.PushVirtual8086(c.Eip, size);
            c.LoadVirtual8086Segment(SegmentRegister.CS, selector);
            c.Eip = offset;
            return;
        }

        uint target = NearTarget(c, in i, size);
        c.PushVirtual8086(c.Eip, size);
        c.Eip = target;
    }

    private static uint NearTarget(X86Cpu c, in Instruction i, int size)
    {
        uint target = i.Op0Kind is OpKind.NearBranch16 or OpKind.NearBranch32 ? (uint)i.NearBranchTarget : ReadOperand(c, in i, 0, size * 8);
        if (target > X86Cpu.Virtual8086Limit)
        {
            throw c.GeneralProtection();
        }

        return target;
    }

    private static (uint Offset, ushort Selector) FarTarget(X86Cpu c, in Instruction i)
    {
        uint offset;
        ushort selector;
        if (i.Op0Kind is OpKind.FarBranch16 or OpKind.FarBranch32)
        {
            offset = i.Op0Kind == OpKind.FarBranch16 ? i.FarBranch16 : i.FarBranch32;
            selector = i.FarBranchSelector;
        }
        else
        {
            int width = i.MemorySize == MemorySize.SegPtr32 ? 4 : 2;
            offset = ReadMemory(c, MemoryLinear(c, in i, 0, width), width * 8);
            selector = (ushort)ReadMemory(c, MemoryLinear(c, in i, (uint)width, 2), 16);
        }

        if (offset > X86Cpu.Virtual8086Limit)
        {
            throw c.GeneralProtection();
        }

        return (offset, selector);
    }

    private static void JumpFar(X86Cpu c, in Instruction i)
    {
        (uint offset, ushort selector) = FarTarget(c, in i);
        c.LoadVirtual8086Segment(SegmentRegister.CS, selector);
        c.Eip = offset;
    }

    private static void NearReturn(X86Cpu c, in Instruction i)
    {
        int size = i.Code is Code.Retnd or Code.Retnd_imm16 ? 4 : 2;
        uint target = c.PeekVirtual8086(0, size);
        if (target > X86Cpu.Virtual8086Limit)
        {
            throw c.GeneralProtection();
        }

        c.ReleaseVirtual8086Stack((uint)size + (i.OpCount > 0 ? i.Immediate16 : 0u));
        c.Eip = target;
    }

    private static void FarReturn(X86Cpu c, in Instruction i)
    {
        int size = i.Code is Code.Retfd or Code.Retfd_imm16 ? 4 : 2;
        uint target = c.PeekVirtual8086(0, size);
        ushort selector = (ushort)c.PeekVirtual8086((uint)size, size);
        if (target > X86Cpu.Virtual8086Limit)
        {
            throw c.GeneralProtection();
        }

        c.ReleaseVirtual8086Stack((uint)(2 * size) + (i.OpCount > 0 ? i.Immediate16 : 0u));
        c.LoadVirtual8086Segment(SegmentRegister.CS, selector);
        c.Eip = target;
    }

    /// <summary>INT n is IOPL-sensitive (#GP(0) below IOPL 3); INT3, INTO and INT1 are not (SDM 20.3.1).</summary>
    private static void SoftwareInterrupt(X86Cpu c, in Instruction i, int vector, bool iopl)
    {
        if (iopl)
        {
            RequireIopl3(c);
        }

        c.SoftwareInterrupt(vector, c.Eip, (uint)i.Length);
    }

    /// <summary>IRET in v86 mode (IOPL 3): an 8086-style return; IOPL, VM, VIF and VIP keep their values.</summary>
    private static void InterruptReturn(X86Cpu c, in Instruction i)
    {
        RequireIopl3(c);
        int size = i.Code == Code.Iretd ? 4 : 2;
        uint target = c.PeekVirtual8086(0, size);
        ushort selector = (ushort)c.PeekVirtual8086((uint)size, size);
        uint flags = c.PeekVirtual8086((uint)(2 * size), size);
        if (target > X86Cpu.Virtual8086Limit)
        {
            throw c.GeneralProtection();
        }

        c.ReleaseVirtual8086Stack((uint)(3 * size));
        c.LoadVirtual8086Segment(SegmentRegister.CS, selector);
        c.Eip = target;
        LoadFlags(c, flags, size, (uint)(EFlags.Arithmetic | EFlags.TF | EFlags.IF | EFlags.DF | EFlags.NT | EFlags.RF | EFlags.AC | EFlags.ID));
    }

    /// <summary>ENTER with a 16-bit stack: BP and SP (not EBP and ESP) hold the frame; a fault leaves both as they were.</summary>
    private static void Enter(X86Cpu c, in Instruction i)
    {
        int size = i.Code == Code.Enterd_imm16_imm8 ? 4 : 2;
        uint esp = c.Reg(X86Cpu.ESP), ebp = c.Reg(X86Cpu.EBP);
        try
        {
            c.PushVirtual8086(ebp, size);
            uint frame = c.Reg(X86Cpu.ESP) & 0xFFFF;
            int level = i.Immediate8_2nd & 31;
            if (level > 0)
            {
                uint bp = ebp & 0xFFFF;
                for (int n = 1; n < level; n++)
                {
                    bp = (bp - (uint)size) & 0xFFFF;
                    c.PushVirtual8086(ReadMemory(c, Linear(c, SegmentRegister.SS, bp, size), size * 8), size);
                }

                c.PushVirtual8086(frame, size);
            }

            c.WriteReg16(X86Cpu.EBP, (ushort)frame);
            c.ReleaseVirtual8086Stack(unchecked((uint)-i.Immediate16));
        }
        catch (GuestFault)
        {
            c.Reg(X86Cpu.ESP) = esp;
            c.Reg(X86Cpu.EBP) = ebp;
            throw;
        }
    }

    /// <summary>LEAVE with a 16-bit stack: SP = BP, then BP (or EBP with 0x66) is popped.</summary>
    private static void Leave(X86Cpu c, in Instruction i)
    {
        int size = i.Code == Code.Leaved ? 4 : 2;
        uint esp = c.Reg(X86Cpu.ESP);
        c.WriteReg16(X86Cpu.ESP, (ushort)c.Reg(X86Cpu.EBP));
        try
        {
            uint value = c.PeekVirtual8086(0, size);
            c.ReleaseVirtual8086Stack((uint)size);
            WriteGpr(c, X86Cpu.EBP, size * 8, value);
        }
        catch (GuestFault)
        {
            c.Reg(X86Cpu.ESP) = esp;
            throw;
        }
    }

    private static void LoadSegment(X86Cpu c, SegmentRegister segment, ushort selector)
    {
        if (segment == SegmentRegister.CS)
        {
            throw c.InvalidOpcode();
        }

        c.LoadVirtual8086Segment(segment, selector);
        if (segment == SegmentRegister.SS)
        {
            c.InterruptShadow = true;
            c.MovSsShadow = true;
        }
    }

    /// <summary>LDS/LES/LFS/LGS/LSS r, m16:16 (or m16:32).</summary>
    private static void LoadFarPointer(X86Cpu c, in Instruction i)
    {
        int bits = i.Op0Register.IsGPR32() ? 32 : 16;
        uint offset = ReadMemory(c, MemoryLinear(c, in i, 0, bits / 8), bits);
        ushort selector = (ushort)ReadMemory(c, MemoryLinear(c, in i, (uint)bits / 8, 2), 16);
        SegmentRegister segment = i.Mnemonic switch
        {
            Mnemonic.Lds => SegmentRegister.DS,
            Mnemonic.Les => SegmentRegister.ES,
            Mnemonic.Lfs => SegmentRegister.FS,
            Mnemonic.Lgs => SegmentRegister.GS,
            _ => SegmentRegister.SS,
        };
        LoadSegment(c, segment, selector);
        WriteGpr(c, Gpr(i.Op0Register), bits, offset);
    }
}
