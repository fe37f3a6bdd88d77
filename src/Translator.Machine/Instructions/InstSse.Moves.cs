using Iced.Intel;
using Reg = Iced.Intel.Register;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>SSE/SSE2 moves, MXCSR access, and the instructions that do not touch the SSE state (fences, hints, MOVNTI).</summary>
internal static unsafe partial class InstSse
{
    private static void RegisterMoves(Dictionary<Mnemonic, nint> t)
    {
        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Movaps, Mnemonic.Movapd, Mnemonic.Movdqa, Mnemonic.Movups, Mnemonic.Movupd,
                     Mnemonic.Movdqu, Mnemonic.Movntps, Mnemonic.Movntpd, Mnemonic.Movntdq])
        {
            t[m] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&Move128;
        }

        t[Mnemonic.Movss] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MoveScalarSingle;
        t[Mnemonic.Movsd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MoveScalarDouble;
        t[Mnemonic.Movlps] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MoveLow;
        t[Mnemonic.Movlpd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MoveLow;
        t[Mnemonic.Movhps] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MoveHigh;
        t[Mnemonic.Movhpd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MoveHigh;
        t[Mnemonic.Movhlps] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MoveHighToLow;
        t[Mnemonic.Movlhps] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MoveLowToHigh;
        t[Mnemonic.Movd] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MoveDoubleword;
        t[Mnemonic.Movq] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MoveQuadword;
        t[Mnemonic.Maskmovdqu] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MaskedMove;
        t[Mnemonic.Movnti] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&MoveNonTemporalInteger;
        t[Mnemonic.Ldmxcsr] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&LoadMxcsr;
        t[Mnemonic.Stmxcsr] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&StoreMxcsr;
        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Sfence, Mnemonic.Lfence, Mnemonic.Mfence, Mnemonic.Prefetchnta,
                     Mnemonic.Prefetcht0, Mnemonic.Prefetcht1, Mnemonic.Prefetcht2])
        {
            // One processor, in order, no caches to model: ordering and prefetch hints have nothing to do (a
            // prefetch never faults, even on an unmapped address).
            t[m] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&EnterWithoutState;
        }

        t[Mnemonic.Clflush] = (nint)(delegate*<X86Cpu, ref DecodedOp, void>)&CacheLineFlush;
    }

    private static void Move128(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        if (IsMemory(ref op, 0))
        {
            Write128(c, Address128(c, ref op), c.Xmm[XmmOf(ref op, 1)]);
        }
        else
        {
            c.Xmm[XmmOf(ref op, 0)] = Source128(c, ref op, 1);
        }
    }

    private const ulong Low32 = 0xFFFF_FFFF;

    private static readonly UInt128 High64 = UInt128.MaxValue << 64;

    /// <summary>MOVSS: register to register moves the low lane only; a load zeroes the other three.</summary>
    private static void MoveScalarSingle(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        if (IsMemory(ref op, 0))
        {
            c.Mmu.Write32(Operands.EffectiveAddress(c, ref op), (uint)c.Xmm[XmmOf(ref op, 1)]);
        }
        else if (IsMemory(ref op, 1))
        {
            c.Xmm[XmmOf(ref op, 0)] = Source32(c, ref op, 1);
        }
        else
        {
            ref UInt128 d = ref c.Xmm[XmmOf(ref op, 0)];
            d = (d & ~(UInt128)Low32) | (c.Xmm[XmmOf(ref op, 1)] & Low32);
        }
    }

    /// <summary>MOVSD (SSE2): as MOVSS with the low 64 bits.</summary>
    private static void MoveScalarDouble(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        if (IsMemory(ref op, 0))
        {
            Write64(c, Operands.EffectiveAddress(c, ref op), (ulong)c.Xmm[XmmOf(ref op, 1)]);
        }
        else if (IsMemory(ref op, 1))
        {
            c.Xmm[XmmOf(ref op, 0)] = Source64(c, ref op, 1);
        }
        else
        {
            ref UInt128 d = ref c.Xmm[XmmOf(ref op, 0)];
            d = (d & High64) | (ulong)c.Xmm[XmmOf(ref op, 1)];
        }
    }

    /// <summary>MOVLPS/MOVLPD: the low 64 bits from or to memory; the high half stays.</summary>
    private static void MoveLow(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        if (IsMemory(ref op, 0))
        {
            Write64(c, Operands.EffectiveAddress(c, ref op), (ulong)c.Xmm[XmmOf(ref op, 1)]);
            return;
        }

        ulong value = Source64(c, ref op, 1);
        ref UInt128 d = ref c.Xmm[XmmOf(ref op, 0)];
        d = (d & High64) | value;
    }

    /// <summary>MOVHPS/MOVHPD: the high 64 bits from or to memory; the low half stays.</summary>
    private static void MoveHigh(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        if (IsMemory(ref op, 0))
        {
            Write64(c, Operands.EffectiveAddress(c, ref op), (ulong)(c.Xmm[XmmOf(ref op, 1)] >> 64));
            return;
        }

        ulong value = Source64(c, ref op, 1);
        ref UInt128 d = ref c.Xmm[XmmOf(ref op, 0)];
        d = (d & ulong.MaxValue) | ((UInt128)value << 64);
    }

    private static void MoveHighToLow(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        ulong value = (ulong)(c.Xmm[XmmOf(ref op, 1)] >> 64);
        ref UInt128 d = ref c.Xmm[XmmOf(ref op, 0)];
        d = (d & High64) | value;
    }

    private static void MoveLowToHigh(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        ulong value = (ulong)c.Xmm[XmmOf(ref op, 1)];
        ref UInt128 d = ref c.Xmm[XmmOf(ref op, 0)];
        d = (d & ulong.MaxValue) | ((UInt128)value << 64);
    }

    /// <summary>MOVD: a doubleword to an XMM register (zero-extended) or its low doubleword out.</summary>
    private static void MoveDoubleword(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        if (op.Instruction.Op0Register.IsXMM())
        {
            c.Xmm[XmmOf(ref op, 0)] = Source32(c, ref op, 1);
            return;
        }

        uint value = (uint)c.Xmm[XmmOf(ref op, 1)];
        if (IsMemory(ref op, 0))
        {
            c.Mmu.Write32(Operands.EffectiveAddress(c, ref op), value);
        }
        else
        {
            c.Reg(op.Instruction.Op0Register - Reg.EAX) = value;
        }
    }

    /// <summary>MOVQ: 64 bits to an XMM register (the high half zeroed) or its low 64 bits to memory.</summary>
    private static void MoveQuadword(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        if (IsMemory(ref op, 0))
        {
            Write64(c, Operands.EffectiveAddress(c, ref op), (ulong)c.Xmm[XmmOf(ref op, 1)]);
        }
        else
        {
            c.Xmm[XmmOf(ref op, 0)] = Source64(c, ref op, 1);
        }
    }

    /// <summary>
    /// MASKMOVDQU: the bytes of the first register whose mask byte (second register) has its top bit set, to DS:EDI.
    /// The whole 16 bytes are checked first, so a fault writes nothing (the SDM allows a fault even with a zero mask).
    /// </summary>
    private static void MaskedMove(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        uint address = MaskedMoveAddress(c, ref op);
        UInt128 data = c.Xmm[XmmOf(ref op, 1)], mask = c.Xmm[XmmOf(ref op, 2)];
        ProbeWrite(c, address, 16);
        for (int i = 0; i < 16; i++)
        {
            if (((mask >> (8 * i + 7)) & 1) != 0)
            {
                c.Mmu.Write8(address + (uint)i, (byte)(data >> (8 * i)));
            }
        }
    }

    /// <summary>MASKMOVDQU's and MASKMOVQ's implicit destination, DS:(E)DI (or the override's segment).</summary>
    private static uint MaskedMoveAddress(X86Cpu c, ref DecodedOp op)
    {
        uint address = op.Instruction.MemoryBase == Reg.DI ? (ushort)c.Reg(X86Cpu.EDI) : c.Reg(X86Cpu.EDI);
        return address + (op.Instruction.MemorySegment is Reg.FS or Reg.GS ? c.SegmentBases[op.Instruction.MemorySegment - Reg.ES] : 0);
    }

    private static void MoveNonTemporalInteger(X86Cpu c, ref DecodedOp op)
    {
        EnterWithoutState(c, ref op);
        c.Mmu.Write32(Operands.EffectiveAddress(c, ref op), c.Reg(op.Instruction.Op1Register - Reg.EAX));
    }

    /// <summary>LDMXCSR: #GP(0) for a bit outside MXCSR_MASK.</summary>
    private static void LoadMxcsr(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        uint value = c.Mmu.Read32(Operands.EffectiveAddress(c, ref op));
        if ((value & ~X86Cpu.MxcsrMask) != 0)
        {
            throw c.GeneralProtection();
        }

        c.Mxcsr = value;
    }

    private static void StoreMxcsr(X86Cpu c, ref DecodedOp op)
    {
        Enter(c, ref op);
        c.Mmu.Write32(Operands.EffectiveAddress(c, ref op), c.Mxcsr);
    }

    /// <summary>CLFLUSH: no cache to flush, but the line's address must translate as a byte read would (#PF otherwise).</summary>
    private static void CacheLineFlush(X86Cpu c, ref DecodedOp op)
    {
        EnterWithoutState(c, ref op);
        c.Mmu.Translate(Operands.EffectiveAddress(c, ref op), write: false, c.Mmu.State.User);
    }
}
