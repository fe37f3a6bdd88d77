using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>PUSH/POP of every kind, PUSHA/POPA, PUSHF/POPF, ENTER/LEAVE.</summary>
internal static unsafe class InstStack
{
    public static void Register(InstructionTableBuilder t)
    {
        t.Add(Mnemonic.Push, &Push);
        t.Add(Mnemonic.Pop, &Pop);
        t.Add(Mnemonic.Pushad, &Pushad);
        t.Add(Mnemonic.Popad, &Popad);
        t.Add(Mnemonic.Pusha, &Pusha);
        t.Add(Mnemonic.Popa, &Popa);
        t.Add(Mnemonic.Pushfd, &Pushfd);
        t.Add(Mnemonic.Pushf, &Pushf);
        t.Add(Mnemonic.Popfd, &Popfd);
        t.Add(Mnemonic.Popf, &Popf);
        t.Add(Mnemonic.Enter, &Enter);
        t.Add(Mnemonic.Leave, &Leave);
    }

    /// <summary>Operand size of a stack operation: 16 under a 0x66 prefix, else 32 (Iced names the 16-bit forms *16/w).</summary>
    private static bool Is16(ref DecodedOp op) => op.Instruction.Code switch
    {
        Code.Push_r16 or Code.Push_rm16 or Code.Push_imm16 or Code.Pushw_imm8 or Code.Pop_r16 or Code.Pop_rm16
            or Code.Pushw_ES or Code.Pushw_CS or Code.Pushw_SS or Code.Pushw_DS or Code.Pushw_FS or Code.Pushw_GS
            or Code.Popw_ES or Code.Popw_SS or Code.Popw_DS or Code.Popw_FS or Code.Popw_GS => true,
        _ => false,
    };

    public static void Push(X86Cpu c, ref DecodedOp op)
    {
        bool w16 = Is16(ref op);
        uint value = op.K0 switch
        {
            OperandKind.Segment => c.Selectors[op.R0],
            OperandKind.Immediate => op.Immediate,
            _ => Read0(c, ref op),
        };

        if (w16)
        {
            c.Push16((ushort)value);
        }
        else if (op.K0 == OperandKind.Segment)
        {
            // A 32-bit segment push writes only the low word on modern processors (QEMU does the same).
            uint sp = c.Reg(X86Cpu.ESP) - 4;
            c.Mmu.ProbeWrite(sp, 4, c.Cpl == 3);
            c.Mmu.Write16(sp, (ushort)value);
            c.Reg(X86Cpu.ESP) = sp;
        }
        else
        {
            c.Push32(value);
        }
    }

    public static void Pop(X86Cpu c, ref DecodedOp op)
    {
        bool w16 = Is16(ref op);
        uint sp = c.Reg(X86Cpu.ESP);
        uint value = w16 ? c.Mmu.Read16(sp) : c.Mmu.Read32(sp);
        uint newSp = sp + (w16 ? 2u : 4u);
        switch (op.K0)
        {
            case OperandKind.Segment:
                c.LoadSegment((SegmentRegister)op.R0, (ushort)value);
                c.Reg(X86Cpu.ESP) = newSp;
                if (op.R0 == (int)SegmentRegister.SS)
                {
                    c.InterruptShadow = true;
                    c.MovSsShadow = true;
                }

                return;
            case OperandKind.Memory:
                // POP m computes its address with the incremented ESP (SDM "POP").
                c.Reg(X86Cpu.ESP) = newSp;
                try
                {
                    WriteMemory(c, EffectiveAddress(c, ref op), op.Bits, value);
                }
                catch (GuestFault)
                {
                    c.Reg(X86Cpu.ESP) = sp;
                    throw;
                }

                return;
            default:
                c.Reg(X86Cpu.ESP) = newSp;
                WriteGpr(c, op.R0, op.Bits, value);
                return;
        }
    }

    public static void Pushad(X86Cpu c, ref DecodedOp op)
    {
        uint sp = c.Reg(X86Cpu.ESP);
        c.Mmu.ProbeWrite(sp - 32, 32, c.Cpl == 3);
        for (int r = 0; r < 8; r++)
        {
            c.Mmu.Write32(sp - 4 - (uint)(r * 4), r == X86Cpu.ESP ? sp : c.Reg(r));
        }

        c.Reg(X86Cpu.ESP) = sp - 32;
    }

    public static void Pusha(X86Cpu c, ref DecodedOp op)
    {
        uint sp = c.Reg(X86Cpu.ESP);
        c.Mmu.ProbeWrite(sp - 16, 16, c.Cpl == 3);
        for (int r = 0; r < 8; r++)
        {
            c.Mmu.Write16(sp - 2 - (uint)(r * 2), (ushort)(r == X86Cpu.ESP ? sp : c.Reg(r)));
        }

        c.Reg(X86Cpu.ESP) = sp - 16;
    }

    public static void Popad(X86Cpu c, ref DecodedOp op)
    {
        uint sp = c.Reg(X86Cpu.ESP);
        Span<uint> values = stackalloc uint[8];
        for (int r = 0; r < 8; r++)
        {
            values[r] = c.Mmu.Read32(sp + 28 - (uint)(r * 4));
        }

        for (int r = 0; r < 8; r++)
        {
            if (r != X86Cpu.ESP)
            {
                c.Reg(r) = values[r];
            }
        }

        c.Reg(X86Cpu.ESP) = sp + 32;
    }

    public static void Popa(X86Cpu c, ref DecodedOp op)
    {
        uint sp = c.Reg(X86Cpu.ESP);
        Span<ushort> values = stackalloc ushort[8];
        for (int r = 0; r < 8; r++)
        {
            values[r] = c.Mmu.Read16(sp + 14 - (uint)(r * 2));
        }

        for (int r = 0; r < 8; r++)
        {
            if (r != X86Cpu.ESP)
            {
                c.WriteReg16(r, values[r]);
            }
        }

        c.Reg(X86Cpu.ESP) = sp + 16;
    }

    private static uint PushableFlags(X86Cpu c) => c.EFlagsValue & ~(uint)(EFlags.RF | EFlags.VM);

    public static void Pushfd(X86Cpu c, ref DecodedOp op) => c.Push32(PushableFlags(c));

    public static void Pushf(X86Cpu c, ref DecodedOp op) => c.Push16((ushort)PushableFlags(c));

    // POPF may set IF with an interrupt pending: hand control back to the interpreter's interrupt check.
    public static void Popfd(X86Cpu c, ref DecodedOp op)
    {
        c.PopFlags(c.Pop32(), operand16: false);
        c.StopBlock = true;
    }

    public static void Popf(X86Cpu c, ref DecodedOp op)
    {
        c.PopFlags(c.Pop16(), operand16: true);
        c.StopBlock = true;
    }

    public static void Enter(X86Cpu c, ref DecodedOp op)
    {
        bool w16 = op.Instruction.Code == Code.Enterw_imm16_imm8;
        uint size = op.Immediate & 0xFFFF;
        int level = (int)(op.Immediate2 & 0x1F);
        uint step = w16 ? 2u : 4u;
        uint sp = c.Reg(X86Cpu.ESP);
        uint ebp = c.Reg(X86Cpu.EBP);
        uint total = step * (uint)(level + 1);
        c.Mmu.ProbeWrite(sp - total, (int)total, c.Cpl == 3);

        sp -= step;
        WriteMemory(c, sp, w16 ? 16 : 32, ebp);
        uint frame = sp;
        if (level > 0)
        {
            for (int i = 1; i < level; i++)
            {
                ebp -= step;
                uint value = ReadMemory(c, ebp, w16 ? 16 : 32);
                sp -= step;
                WriteMemory(c, sp, w16 ? 16 : 32, value);
            }

            sp -= step;
            WriteMemory(c, sp, w16 ? 16 : 32, frame);
        }

        uint newSp = sp - size;
        if (w16)
        {
            c.WriteReg16(X86Cpu.EBP, (ushort)frame);
        }
        else
        {
            c.Reg(X86Cpu.EBP) = frame;
        }

        c.Reg(X86Cpu.ESP) = newSp;
    }

    public static void Leave(X86Cpu c, ref DecodedOp op)
    {
        bool w16 = op.Instruction.Code == Code.Leavew;
        uint ebp = c.Reg(X86Cpu.EBP);
        if (w16)
        {
            ushort value = c.Mmu.Read16(ebp);
            c.Reg(X86Cpu.ESP) = ebp + 2;
            c.WriteReg16(X86Cpu.EBP, value);
        }
        else
        {
            uint value = c.Mmu.Read32(ebp);
            c.Reg(X86Cpu.ESP) = ebp + 4;
            c.Reg(X86Cpu.EBP) = value;
        }
    }
}
