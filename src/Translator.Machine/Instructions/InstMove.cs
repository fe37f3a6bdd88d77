using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>Data movement: MOV and its extending forms, LEA, XCHG, CMOVcc/SETcc, atomics, sign extensions, flags to AH.</summary>
internal static unsafe class InstMove
{
    public static void Register(InstructionTableBuilder t)
    {
        t.Add(Mnemonic.Mov, &Mov);
        t.Add(Mnemonic.Movzx, &Movzx);
        t.Add(Mnemonic.Movsx, &Movsx);
        t.Add(Mnemonic.Lea, &Lea);
        t.Add(Mnemonic.Xchg, &Xchg);
        t.Add(Mnemonic.Nop, &Nop);
        t.Add(Mnemonic.Pause, &Nop);

        // Hint NOPs (0F 18-1F): CET's ENDBR32 appears in a CET-enabled libgcc and must run as a NOP on an i686.
        t.Add(Mnemonic.Endbr32, &Nop);
        t.Add(Mnemonic.Endbr64, &Nop);
        t.Add(Mnemonic.Reservednop, &Nop);
        t.Add(Mnemonic.Cbw, &Cbw);
        t.Add(Mnemonic.Cwde, &Cwde);
        t.Add(Mnemonic.Cwd, &Cwd);
        t.Add(Mnemonic.Cdq, &Cdq);
        t.Add(Mnemonic.Bswap, &Bswap);
        t.Add(Mnemonic.Lahf, &Lahf);
        t.Add(Mnemonic.Sahf, &Sahf);
        t.Add(Mnemonic.Xlatb, &Xlat);
        t.Add(Mnemonic.Cmpxchg, &Cmpxchg);
        t.Add(Mnemonic.Xadd, &Xadd);
        t.Add(Mnemonic.Cmpxchg8b, &Cmpxchg8b);
        foreach (Mnemonic m in ConditionalMnemonics("Cmov"))
        {
            t.Add(m, &Cmov);
        }

        foreach (Mnemonic m in ConditionalMnemonics("Set"))
        {
            t.Add(m, &Set);
        }
    }

    /// <summary>The 16 condition-code forms of a family (Jo..Jg, Seto..Setg, Cmovo..Cmovg).</summary>
    internal static IEnumerable<Mnemonic> ConditionalMnemonics(string prefix)
    {
        string[] suffixes = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
        foreach (string suffix in suffixes)
        {
            yield return Enum.Parse<Mnemonic>(prefix + suffix, ignoreCase: true);
        }
    }

    public static void Mov(X86Cpu c, ref DecodedOp op)
    {
        switch (op.K0)
        {
            case OperandKind.Segment:
                InstSystem.MoveToSegment(c, ref op);
                return;
            case OperandKind.Control:
            case OperandKind.Debug:
                InstSystem.MoveToControlOrDebug(c, ref op);
                return;
        }

        switch (op.K1)
        {
            case OperandKind.Segment:
                // MOV r32, Sreg zero-extends; MOV m16, Sreg stores 16 bits.
                uint selector = c.Selectors[op.R1];
                if (op.K0 == OperandKind.Gpr)
                {
                    WriteGpr(c, op.R0, op.Bits, selector);
                }
                else
                {
                    c.Mmu.Write16(EffectiveAddress(c, ref op), (ushort)selector);
                }

                return;
            case OperandKind.Control:
            case OperandKind.Debug:
                InstSystem.MoveFromControlOrDebug(c, ref op);
                return;
        }

        Write0(c, ref op, op.K1 == OperandKind.Immediate ? op.Immediate : Read1(c, ref op));
    }

    public static void Movzx(X86Cpu c, ref DecodedOp op) => WriteGpr(c, op.R0, op.Bits, Read1(c, ref op));

    public static void Movsx(X86Cpu c, ref DecodedOp op) => WriteGpr(c, op.R0, op.Bits, SignExtend(Read1(c, ref op), op.SrcBits));

    public static void Lea(X86Cpu c, ref DecodedOp op) => WriteGpr(c, op.R0, op.Bits, EffectiveAddress(c, ref op));

    public static void Xchg(X86Cpu c, ref DecodedOp op)
    {
        uint a = Read0(c, ref op);
        uint b = Read1(c, ref op);
        if (op.K0 == OperandKind.Memory)
        {
            Write0(c, ref op, b);
            WriteGpr(c, op.R1, op.Bits, a);
        }
        else
        {
            // Register first: a memory second operand faults before any register changes.
            if (op.K1 == OperandKind.Memory)
            {
                WriteMemory(c, EffectiveAddress(c, ref op), op.Bits, a);
            }
            else
            {
                WriteGpr(c, op.R1, op.Bits, a);
            }

            WriteGpr(c, op.R0, op.Bits, b);
        }
    }

    public static void Nop(X86Cpu c, ref DecodedOp op)
    {
    }

    public static void Cbw(X86Cpu c, ref DecodedOp op) => c.WriteReg16(X86Cpu.EAX, (ushort)(sbyte)c.Reg(X86Cpu.EAX));

    public static void Cwde(X86Cpu c, ref DecodedOp op) => c.Reg(X86Cpu.EAX) = (uint)(short)c.Reg(X86Cpu.EAX);

    public static void Cwd(X86Cpu c, ref DecodedOp op) =>
        c.WriteReg16(X86Cpu.EDX, (short)c.Reg(X86Cpu.EAX) < 0 ? (ushort)0xFFFF : (ushort)0);

    public static void Cdq(X86Cpu c, ref DecodedOp op) =>
        c.Reg(X86Cpu.EDX) = (int)c.Reg(X86Cpu.EAX) < 0 ? 0xFFFF_FFFFu : 0;

    public static void Bswap(X86Cpu c, ref DecodedOp op)
    {
        if (op.Bits == 16)
        {
            c.WriteReg16(op.R0, 0); // BSWAP r16 is undefined; hardware and QEMU clear the low word
            return;
        }

        c.Reg(op.R0) = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(c.Reg(op.R0));
    }

    public static void Lahf(X86Cpu c, ref DecodedOp op)
    {
        uint flags = c.EFlagsValue & 0xD5 | 0x02;
        c.WriteReg8(4, (byte)flags);
    }

    public static void Sahf(X86Cpu c, ref DecodedOp op)
    {
        uint ah = c.ReadReg8(4);
        uint mask = (uint)(EFlags.SF | EFlags.ZF | EFlags.AF | EFlags.PF | EFlags.CF);
        c.MaterializeFlags();
        c.SetStatusFlags((c.FlagBits & ~mask) | (ah & mask));
    }

    public static void Xlat(X86Cpu c, ref DecodedOp op)
    {
        // Iced gives XLAT's operand as [EBX+AL]; the decoder's EA recipe has no 8-bit index, so add AL here.
        uint address = c.Reg(op.Base) + c.ReadReg8(X86Cpu.EAX);
        c.WriteReg8(X86Cpu.EAX, c.Mmu.Read8(op.AddressSize16 ? address & 0xFFFF : address));
    }

    public static void Cmov(X86Cpu c, ref DecodedOp op)
    {
        // The source is read (and may fault) whether or not the condition holds; a 32-bit destination is written
        // (zero-extended) either way, as on hardware.
        uint value = Read1(c, ref op);
        if (c.Condition(op.Condition))
        {
            WriteGpr(c, op.R0, op.Bits, value);
        }
    }

    public static void Set(X86Cpu c, ref DecodedOp op) => Write0(c, ref op, c.Condition(op.Condition) ? 1u : 0u);

    public static void Cmpxchg(X86Cpu c, ref DecodedOp op)
    {
        uint dest = Read0(c, ref op);
        uint accumulator = ReadGpr(c, X86Cpu.EAX, op.Bits);
        c.SetLazy(FlagOp.Sub, op.Bits, accumulator, dest, accumulator - dest);
        if (accumulator == dest)
        {
            Write0(c, ref op, ReadGpr(c, op.R1, op.Bits));
        }
        else
        {
            // The destination is always written (with its old value) by a locked compare-exchange.
            if (op.K0 == OperandKind.Memory)
            {
                Write0(c, ref op, dest);
            }

            WriteGpr(c, X86Cpu.EAX, op.Bits, dest);
        }
    }

    public static void Xadd(X86Cpu c, ref DecodedOp op)
    {
        uint dest = Read0(c, ref op), src = ReadGpr(c, op.R1, op.Bits), sum = dest + src;
        if (op.K0 == OperandKind.Memory)
        {
            Write0(c, ref op, sum);
            WriteGpr(c, op.R1, op.Bits, dest);
        }
        else
        {
            WriteGpr(c, op.R1, op.Bits, dest);
            WriteGpr(c, op.R0, op.Bits, sum);
        }

        c.SetLazy(FlagOp.Add, op.Bits, dest, src, sum);
    }

    public static void Cmpxchg8b(X86Cpu c, ref DecodedOp op)
    {
        if (op.K0 != OperandKind.Memory)
        {
            throw c.InvalidOpcode();
        }

        uint address = EffectiveAddress(c, ref op);
        uint low = c.Mmu.Read32(address), high = c.Mmu.Read32(address + 4);
        bool equal = low == c.Reg(X86Cpu.EAX) && high == c.Reg(X86Cpu.EDX);
        c.Mmu.ProbeWrite(address, 8, c.Cpl == 3);
        if (equal)
        {
            c.Mmu.Write32(address, c.Reg(X86Cpu.EBX));
            c.Mmu.Write32(address + 4, c.Reg(X86Cpu.ECX));
        }
        else
        {
            c.Mmu.Write32(address, low);
            c.Mmu.Write32(address + 4, high);
            c.Reg(X86Cpu.EAX) = low;
            c.Reg(X86Cpu.EDX) = high;
        }

        c.SetFlag(EFlags.ZF, equal);
    }
}
