using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Cpu.X87;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>
/// The x87 FPU's instructions (SDM Vol. 1 chapter 8, Vol. 2), present when <see cref="CpuFeatures.Fpu"/> is in the
/// processor's feature set; without it each raises what the integer core raises (#NM under CR0.EM/TS, else #UD).
/// Every handler checks, in the SDM's order, #NM, then a pending unmasked exception (#MF, or FERR# with CR0.NE = 0)
/// unless it is one of the non-waiting FN* control instructions, then reads its operands (which may fault) before it
/// changes any state.
/// </summary>
internal static unsafe partial class InstX87
{
    private const uint Cr0Em = 4, Cr0Ts = 8, Cr0Ne = 0x20;

    public static void Register(InstructionTableBuilder t)
    {
        t.Add(Mnemonic.Fld, &Fld);
        t.Add(Mnemonic.Fild, &Fld);
        t.Add(Mnemonic.Fbld, &Fld);
        t.Add(Mnemonic.Fst, &Fst);
        t.Add(Mnemonic.Fstp, &Fst);
        t.Add(Mnemonic.Fist, &Fist);
        t.Add(Mnemonic.Fistp, &Fist);
        t.Add(Mnemonic.Fbstp, &Fbstp);
        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Fld1, Mnemonic.Fldz, Mnemonic.Fldpi, Mnemonic.Fldl2e, Mnemonic.Fldl2t, Mnemonic.Fldlg2, Mnemonic.Fldln2])
        {
            t.Add(m, &LoadConstant);
        }

        t.Add(Mnemonic.Fxch, &Fxch);
        t.Add(Mnemonic.Ffree, &Ffree);
        t.Add(Mnemonic.Fincstp, &Fincstp);
        t.Add(Mnemonic.Fdecstp, &Fdecstp);
        t.Add(Mnemonic.Fnop, &Fnop);
        foreach (Mnemonic m in (Mnemonic[])[Mnemonic.Fcmovb, Mnemonic.Fcmove, Mnemonic.Fcmovbe, Mnemonic.Fcmovu,
                     Mnemonic.Fcmovnb, Mnemonic.Fcmovne, Mnemonic.Fcmovnbe, Mnemonic.Fcmovnu])
        {
            t.Add(m, &Fcmov);
        }

        RegisterArithmetic(t);
        RegisterTranscendental(t);
        RegisterEnvironment(t);
    }

    // ---- entry checks ----------------------------------------------------------------------------------------------

    /// <summary>The checks every x87 instruction makes first; returns the FPU.</summary>
    internal static X87Fpu Enter(X86Cpu c, ref DecodedOp op, bool waiting = true)
    {
        if ((c.Features & CpuFeatures.Fpu) == 0)
        {
            InstSystem.Undefined(c, ref op); // throws: the integer core's #NM or #UD
        }

        if ((c.Cr0 & (Cr0Em | Cr0Ts)) != 0)
        {
            throw c.Exception(ExceptionVector.DeviceNotAvailable);
        }

        if (waiting && c.Fpu.ExceptionPending)
        {
            SignalPendingError(c);
        }

        return c.Fpu;
    }

    /// <summary>
    /// A waiting instruction found an unmasked exception pending: #MF with CR0.NE = 1; with NE = 0 the PC's FERR#
    /// raises IRQ 13 once (until the IGNNE# write to port 0xF0) and the instruction goes on, as QEMU models it.
    /// </summary>
    internal static void SignalPendingError(X86Cpu c)
    {
        if ((c.Cr0 & Cr0Ne) != 0)
        {
            throw c.Exception(ExceptionVector.MathFault);
        }

        if (!c.Fpu.ErrorSignalled)
        {
            c.Fpu.ErrorSignalled = true;
            c.FloatingPointError?.Invoke(true);
            c.StopBlock = true; // IRQ 13 may be deliverable at once: look before the next instruction
        }
    }

    /// <summary>FOP, FIP and FCS of a non-control instruction, and FDP/FDS when it has a memory operand.</summary>
    internal static void RecordPointers(X86Cpu c, X87Fpu f, ref DecodedOp op, uint address, bool memory)
    {
        f.Opcode = OpcodeOf(c, ref op);
        f.InstructionPointer = op.Ip;
        f.InstructionSelector = c.Selectors[(int)SegmentRegister.CS];
        if (memory)
        {
            f.DataPointer = address;
            f.DataSelector = c.Selectors[op.Instruction.MemorySegment - Iced.Intel.Register.ES];
        }
    }

    /// <summary>
    /// The 11-bit FOP: the low three bits of the escape byte (D8-DF) and the ModRM byte (SDM Vol. 1 8.1.9), read back
    /// from the instruction's bytes, which were just fetched (Iced does not keep the ModRM byte).
    /// </summary>
    private static ushort OpcodeOf(X86Cpu c, ref DecodedOp op)
    {
        uint ip = op.Ip;
        int length = (int)(op.NextIp - op.Ip);
        for (int n = 0; n < length - 1; n++)
        {
            byte b = c.Mmu.Read8(ip + (uint)n);
            if (b is >= 0xD8 and <= 0xDF)
            {
                return (ushort)(((b & 7) << 8) | c.Mmu.Read8(ip + (uint)n + 1));
            }
        }

        return 0;
    }
}
