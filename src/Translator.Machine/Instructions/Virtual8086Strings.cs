using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>
/// MOVS, STOS, LODS, CMPS, SCAS, INS and OUTS in v86 mode: the source is DS:SI (segment overridable), the
/// destination ES:DI, each element checked against the 64 KiB limit; with a 16-bit address size SI, DI and the REP
/// count CX wrap at 16 bits. INS and OUTS are checked against the TSS's I/O permission bitmap whatever IOPL is
/// (SDM 20.2.8.1), once per execution before the count, as in protected mode; under VMX they exit per the I/O
/// controls after that check. A long REP stops after <see cref="MaxIterations"/> elements with EIP still at the instruction, as
/// hardware lets an interrupt in between iterations, so one instruction never holds the interpreter for long.
/// </summary>
internal static class Virtual8086Strings
{
    private const int MaxIterations = 4096;

    public static bool Is(in Instruction i) => i.Mnemonic is Mnemonic.Movsb or Mnemonic.Movsw or Mnemonic.Movsd
        or Mnemonic.Stosb or Mnemonic.Stosw or Mnemonic.Stosd or Mnemonic.Lodsb or Mnemonic.Lodsw or Mnemonic.Lodsd
        or Mnemonic.Cmpsb or Mnemonic.Cmpsw or Mnemonic.Cmpsd or Mnemonic.Scasb or Mnemonic.Scasw or Mnemonic.Scasd
        or Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd or Mnemonic.Outsb or Mnemonic.Outsw or Mnemonic.Outsd
        && IsStringForm(in i);

    /// <summary>MOVSD and CMPSD are also SSE mnemonics: only the forms with string operands are string instructions.</summary>
    private static bool IsStringForm(in Instruction i)
    {
        for (int n = 0; n < i.OpCount; n++)
        {
            if (i.GetOpKind(n) is OpKind.MemorySegSI or OpKind.MemorySegESI or OpKind.MemoryESDI or OpKind.MemoryESEDI)
            {
                return true;
            }
        }

        return false;
    }

    public static void Execute(X86Cpu c, in Instruction i)
    {
        bool wide = false;
        for (int n = 0; n < i.OpCount; n++)
        {
            wide |= i.GetOpKind(n) is OpKind.MemorySegESI or OpKind.MemoryESEDI;
        }

        uint addressMask = wide ? 0xFFFF_FFFFu : 0xFFFF;
        int size = i.MemorySize.GetSize();
        int bits = size * 8;
        var source = (SegmentRegister)(i.MemorySegment - Register.ES);
        bool repeat = i.HasRepPrefix || i.HasRepePrefix || i.HasRepnePrefix;
        bool compares = i.Mnemonic is Mnemonic.Cmpsb or Mnemonic.Cmpsw or Mnemonic.Cmpsd or Mnemonic.Scasb or Mnemonic.Scasw or Mnemonic.Scasd;
        uint step = c.DF ? unchecked((uint)-size) : (uint)size;
        bool input = i.Mnemonic is Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd;
        ushort port = (ushort)c.Reg(X86Cpu.EDX);
        if ((input || i.Mnemonic is Mnemonic.Outsb or Mnemonic.Outsw or Mnemonic.Outsd) && !PortAccessProceeds(c, in i, port, size, input, repeat))
        {
            return;
        }

        for (int done = 0; ; done++)
        {
            if (repeat && (c.Reg(X86Cpu.ECX) & addressMask) == 0)
            {
                return;
            }

            if (done == MaxIterations)
            {
                c.Eip = (uint)i.IP & 0xFFFF; // resumes where it stopped, after any pending interrupt
                c.StopBlock = true;
                return;
            }

            uint si = c.Reg(X86Cpu.ESI) & addressMask, di = c.Reg(X86Cpu.EDI) & addressMask;
            switch (i.Mnemonic)
            {
                case Mnemonic.Movsb: case Mnemonic.Movsw: case Mnemonic.Movsd:
                    uint value = ReadMemory(c, InstVirtual8086.Linear(c, source, si, size), bits);
                    WriteMemory(c, InstVirtual8086.Linear(c, SegmentRegister.ES, di, size), bits, value);
                    Advance(c, X86Cpu.ESI, step, addressMask);
                    Advance(c, X86Cpu.EDI, step, addressMask);
                    break;
                case Mnemonic.Stosb: case Mnemonic.Stosw: case Mnemonic.Stosd:
                    WriteMemory(c, InstVirtual8086.Linear(c, SegmentRegister.ES, di, size), bits, ReadGpr(c, X86Cpu.EAX, bits));
                    Advance(c, X86Cpu.EDI, step, addressMask);
                    break;
                case Mnemonic.Lodsb: case Mnemonic.Lodsw: case Mnemonic.Lodsd:
                    WriteGpr(c, X86Cpu.EAX, bits, ReadMemory(c, InstVirtual8086.Linear(c, source, si, size), bits));
                    Advance(c, X86Cpu.ESI, step, addressMask);
                    break;
                case Mnemonic.Cmpsb: case Mnemonic.Cmpsw: case Mnemonic.Cmpsd:
                    uint left = ReadMemory(c, InstVirtual8086.Linear(c, source, si, size), bits);
                    uint right = ReadMemory(c, InstVirtual8086.Linear(c, SegmentRegister.ES, di, size), bits);
                    c.SetLazy(FlagOp.Sub, bits, left, right, left - right);
                    Advance(c, X86Cpu.ESI, step, addressMask);
                    Advance(c, X86Cpu.EDI, step, addressMask);
                    break;
                case Mnemonic.Insb: case Mnemonic.Insw: case Mnemonic.Insd:
                    uint destination = InstVirtual8086.Linear(c, SegmentRegister.ES, di, size);
                    c.Mmu.ProbeWrite(destination, size, user: true); // writable before the port is read (side effects)
                    WriteMemory(c, destination, bits, c.Io.Read(port, size));
                    Advance(c, X86Cpu.EDI, step, addressMask);
                    break;
                case Mnemonic.Outsb: case Mnemonic.Outsw: case Mnemonic.Outsd:
                    c.Io.Write(port, size, ReadMemory(c, InstVirtual8086.Linear(c, source, si, size), bits));
                    Advance(c, X86Cpu.ESI, step, addressMask);
                    break;
                default: // SCAS
                    uint accumulator = ReadGpr(c, X86Cpu.EAX, bits);
                    uint scanned = ReadMemory(c, InstVirtual8086.Linear(c, SegmentRegister.ES, di, size), bits);
                    c.SetLazy(FlagOp.Sub, bits, accumulator, scanned, accumulator - scanned);
                    Advance(c, X86Cpu.EDI, step, addressMask);
                    break;
            }

            if (!repeat)
            {
                return;
            }

            Advance(c, X86Cpu.ECX, 0xFFFF_FFFF, addressMask);
            if (compares && (i.HasRepePrefix ? !c.ZF : c.ZF))
            {
                return; // REPE stops at the first difference, REPNE at the first match
            }
        }
    }

    /// <summary>
    /// INS/OUTS: #GP(0) unless the TSS's bitmap allows every port of the access; under VMX, false when the
    /// instruction exits instead (the VMM then performs it, element addresses from the segment bases).
    /// </summary>
    private static bool PortAccessProceeds(X86Cpu c, in Instruction i, ushort port, int size, bool input, bool repeat)
    {
        c.CheckIoPermission(port, size);
        if (c.Vmx is null)
        {
            return true;
        }

        DecodedOp op = BlockDecoder.Resolve(in i);
        return !c.ExitsOnIo(ref op, port, size, input, isString: true, rep: repeat, immediate: false);
    }

    /// <summary>Adds <paramref name="step"/> to the part of the register the address size uses.</summary>
    private static void Advance(X86Cpu c, int register, uint step, uint mask)
    {
        ref uint r = ref c.Reg(register);
        r = (r & ~mask) | ((r + step) & mask);
    }
}
