using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using Translator.Machine.Memory;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>
/// String instructions (MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS) with REP/REPE/REPNE, DF and both address sizes
/// (a 0x67 prefix selects SI/DI/CX). Every element commits ESI/EDI/ECX, so a fault part-way leaves the registers
/// describing the work left and the instruction restarts where it stopped. A repeated instruction does at most
/// <see cref="MaxChunk"/> elements per execution and then re-executes itself (EIP stays on it and the block ends),
/// so interrupts and the instruction budget are honoured during long copies.
/// </summary>
internal static unsafe class InstString
{
    private const uint MaxChunk = 4096;

    /// <summary>Below this many elements in a page a bulk copy is not worth its translations.</summary>
    private const uint BulkMinimum = 16;

    public static void Register(InstructionTableBuilder t)
    {
        // By code, not mnemonic: MOVSD and CMPSD are also SSE2 mnemonics, which must stay #UD.
        t.Add(Code.Movsb_m8_m8, &Movsb);
        t.Add(Code.Movsw_m16_m16, &Movsw);
        t.Add(Code.Movsd_m32_m32, &Movsd);
        t.Add(Code.Stosb_m8_AL, &Stosb);
        t.Add(Code.Stosw_m16_AX, &Stosw);
        t.Add(Code.Stosd_m32_EAX, &Stosd);
        t.Add(Code.Lodsb_AL_m8, &Lodsb);
        t.Add(Code.Lodsw_AX_m16, &Lodsw);
        t.Add(Code.Lodsd_EAX_m32, &Lodsd);
        t.Add(Code.Cmpsb_m8_m8, &Cmpsb);
        t.Add(Code.Cmpsw_m16_m16, &Cmpsw);
        t.Add(Code.Cmpsd_m32_m32, &Cmpsd);
        t.Add(Code.Scasb_AL_m8, &Scasb);
        t.Add(Code.Scasw_AX_m16, &Scasw);
        t.Add(Code.Scasd_EAX_m32, &Scasd);
        t.Add(Code.Insb_m8_DX, &Insb);
        t.Add(Code.Insw_m16_DX, &Insw);
        t.Add(Code.Insd_m32_DX, &Insd);
        t.Add(Code.Outsb_DX_m8, &Outsb);
        t.Add(Code.Outsw_DX_m16, &Outsw);
        t.Add(Code.Outsd_DX_m32, &Outsd);
    }

    public static void Movsb(X86Cpu c, ref DecodedOp op) => Movs(c, ref op, 1);

    public static void Movsw(X86Cpu c, ref DecodedOp op) => Movs(c, ref op, 2);

    public static void Movsd(X86Cpu c, ref DecodedOp op) => Movs(c, ref op, 4);

    public static void Stosb(X86Cpu c, ref DecodedOp op) => Stos(c, ref op, 1);

    public static void Stosw(X86Cpu c, ref DecodedOp op) => Stos(c, ref op, 2);

    public static void Stosd(X86Cpu c, ref DecodedOp op) => Stos(c, ref op, 4);

    public static void Lodsb(X86Cpu c, ref DecodedOp op) => Lods(c, ref op, 1);

    public static void Lodsw(X86Cpu c, ref DecodedOp op) => Lods(c, ref op, 2);

    public static void Lodsd(X86Cpu c, ref DecodedOp op) => Lods(c, ref op, 4);

    public static void Cmpsb(X86Cpu c, ref DecodedOp op) => Cmps(c, ref op, 1);

    public static void Cmpsw(X86Cpu c, ref DecodedOp op) => Cmps(c, ref op, 2);

    public static void Cmpsd(X86Cpu c, ref DecodedOp op) => Cmps(c, ref op, 4);

    public static void Scasb(X86Cpu c, ref DecodedOp op) => Scas(c, ref op, 1);

    public static void Scasw(X86Cpu c, ref DecodedOp op) => Scas(c, ref op, 2);

    public static void Scasd(X86Cpu c, ref DecodedOp op) => Scas(c, ref op, 4);

    public static void Insb(X86Cpu c, ref DecodedOp op) => Ins(c, ref op, 1);

    public static void Insw(X86Cpu c, ref DecodedOp op) => Ins(c, ref op, 2);

    public static void Insd(X86Cpu c, ref DecodedOp op) => Ins(c, ref op, 4);

    public static void Outsb(X86Cpu c, ref DecodedOp op) => Outs(c, ref op, 1);

    public static void Outsw(X86Cpu c, ref DecodedOp op) => Outs(c, ref op, 2);

    public static void Outsd(X86Cpu c, ref DecodedOp op) => Outs(c, ref op, 4);

    // ---- shared plumbing ----

    /// <summary>0xFFFF when a 0x67 prefix makes SI/DI/CX the string registers, else all ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint AddressMask(ref DecodedOp op)
    {
        OpKind k0 = op.Instruction.Op0Kind, k1 = op.Instruction.Op1Kind;
        return k0 is OpKind.MemoryESDI or OpKind.MemorySegSI || k1 is OpKind.MemoryESDI or OpKind.MemorySegSI
            ? 0xFFFFu
            : 0xFFFF_FFFFu;
    }

    /// <summary>F3 and F2 both repeat the instructions that do not compare.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsRep(ref DecodedOp op) => op.Instruction.HasRepPrefix || op.Instruction.HasRepnePrefix;

    /// <summary>The per-element step: +size, or -size when DF is set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Delta(X86Cpu c, int size) => c.DF ? (uint)-size : (uint)size;

    /// <summary>Advances an index register within the address size (the upper half of ESI/EDI stays for 16 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(ref uint register, uint delta, uint mask) => register = (register & ~mask) | ((register + delta) & mask);

    /// <summary>
    /// How many elements this execution does: up to the next multiple of <see cref="MaxChunk"/> in the count register
    /// (a whole chunk when it is on one). Chunk ends depend on the count alone, not on where an execution last
    /// stopped, so a restart after a fault the guest never sees (an EPT violation, a shadow page fill) ends its chunk
    /// where bare metal does, and a long copy retires the same number of executions under every backend.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ChunkOf(X86Cpu c, uint mask)
    {
        uint count = c.Reg(X86Cpu.ECX) & mask;
        uint partial = count & (MaxChunk - 1);
        return partial != 0 ? partial : Math.Min(count, MaxChunk);
    }

    /// <summary>After a chunk: if elements remain, run this instruction again (after pending interrupts).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ContinueIfLeft(X86Cpu c, ref DecodedOp op, uint mask)
    {
        if ((c.Reg(X86Cpu.ECX) & mask) != 0)
        {
            c.Eip = op.Ip;
            c.StopBlock = true;
        }
    }

    // ---- MOVS / STOS: element by element, or a bulk copy inside a page when DF = 0 ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Movs(X86Cpu c, ref DecodedOp op, int size)
    {
        uint mask = AddressMask(ref op), delta = Delta(c, size);
        if (!IsRep(ref op))
        {
            MoveOne(c, size, delta, mask);
            return;
        }

        uint left = ChunkOf(c, mask);
        if (left == 0)
        {
            return;
        }

        bool bulk = mask == 0xFFFF_FFFFu && delta == (uint)size;
        while (left > 0)
        {
            uint run = left;
            if (bulk)
            {
                uint esi = c.Reg(X86Cpu.ESI), edi = c.Reg(X86Cpu.EDI);
                uint room = Math.Min(0x1000 - (esi & 0xFFF), 0x1000 - (edi & 0xFFF)) / (uint)size;
                run = Math.Max(Math.Min(left, room), 1); // one element at a time where it straddles a page
                if (run >= BulkMinimum && TryCopy(c, esi, edi, run * (uint)size))
                {
                    uint bytes = run * (uint)size;
                    c.Reg(X86Cpu.ESI) = esi + bytes;
                    c.Reg(X86Cpu.EDI) = edi + bytes;
                    c.Reg(X86Cpu.ECX) -= run;
                    left -= run;
                    continue;
                }
            }

            left -= run;
            for (; run > 0; run--)
            {
                MoveOne(c, size, delta, mask);
                Step(ref c.Reg(X86Cpu.ECX), 0xFFFF_FFFFu, mask);
            }
        }

        ContinueIfLeft(c, ref op, mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MoveOne(X86Cpu c, int size, uint delta, uint mask)
    {
        ref uint esi = ref c.Reg(X86Cpu.ESI);
        ref uint edi = ref c.Reg(X86Cpu.EDI);
        uint value = ReadMemory(c, esi & mask, size * 8);
        WriteMemory(c, edi & mask, size * 8, value);
        Step(ref esi, delta, mask);
        Step(ref edi, delta, mask);
    }

    /// <summary>
    /// Copies <paramref name="bytes"/> (inside one source and one destination page) straight between physical
    /// pages after translating both through the MMU (faults, accessed/dirty bits). Declines a destination that
    /// holds decoded code (the element path notifies the code cache), unbacked memory, and a forward overlap
    /// (element-wise copying then replicates a pattern, which a block move would not).
    /// </summary>
    private static bool TryCopy(X86Cpu c, uint source, uint destination, uint bytes)
    {
        Mmu mmu = c.Mmu;
        if (mmu.Watching)
        {
            return false; // element by element, so the data breakpoints see each access
        }

        bool user = c.Cpl == 3;
        uint from = mmu.Translate(source, write: false, user);
        uint to = mmu.Translate(destination, write: true, user);
        PhysicalMemory memory = mmu.Physical;
        if (!memory.IsBacked(from, (int)bytes) || !memory.IsBacked(to, (int)bytes) || mmu.IsCodePage(to) ||
            (to > from && to < from + bytes))
        {
            return false;
        }

        byte[] ram = memory.Ram;
        Buffer.BlockCopy(ram, (int)from, ram, (int)to, (int)bytes);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Stos(X86Cpu c, ref DecodedOp op, int size)
    {
        uint mask = AddressMask(ref op), delta = Delta(c, size);
        uint value = ReadGpr(c, X86Cpu.EAX, size * 8);
        if (!IsRep(ref op))
        {
            StoreOne(c, size, value, delta, mask);
            return;
        }

        uint left = ChunkOf(c, mask);
        if (left == 0)
        {
            return;
        }

        bool bulk = mask == 0xFFFF_FFFFu && delta == (uint)size;
        while (left > 0)
        {
            uint run = left;
            if (bulk)
            {
                uint edi = c.Reg(X86Cpu.EDI);
                run = Math.Max(Math.Min(left, (0x1000 - (edi & 0xFFF)) / (uint)size), 1);
                if (run >= BulkMinimum && TryFill(c, edi, run, size, value))
                {
                    c.Reg(X86Cpu.EDI) = edi + run * (uint)size;
                    c.Reg(X86Cpu.ECX) -= run;
                    left -= run;
                    continue;
                }
            }

            left -= run;
            for (; run > 0; run--)
            {
                StoreOne(c, size, value, delta, mask);
                Step(ref c.Reg(X86Cpu.ECX), 0xFFFF_FFFFu, mask);
            }
        }

        ContinueIfLeft(c, ref op, mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreOne(X86Cpu c, int size, uint value, uint delta, uint mask)
    {
        ref uint edi = ref c.Reg(X86Cpu.EDI);
        WriteMemory(c, edi & mask, size * 8, value);
        Step(ref edi, delta, mask);
    }

    /// <summary>Fills <paramref name="count"/> elements inside one page after an MMU translation (see <see cref="TryCopy"/>).</summary>
    private static bool TryFill(X86Cpu c, uint destination, uint count, int size, uint value)
    {
        Mmu mmu = c.Mmu;
        if (mmu.Watching)
        {
            return false;
        }

        uint to = mmu.Translate(destination, write: true, c.Cpl == 3);
        int bytes = (int)count * size;
        if (!mmu.Physical.IsBacked(to, bytes) || mmu.IsCodePage(to))
        {
            return false;
        }

        Span<byte> target = mmu.Physical.Ram.AsSpan((int)to, bytes);
        switch (size)
        {
            case 1: target.Fill((byte)value); break;
            case 2: MemoryMarshal.Cast<byte, ushort>(target).Fill((ushort)value); break;
            default: MemoryMarshal.Cast<byte, uint>(target).Fill(value); break;
        }

        return true;
    }

    // ---- LODS, CMPS, SCAS ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lods(X86Cpu c, ref DecodedOp op, int size)
    {
        uint mask = AddressMask(ref op), delta = Delta(c, size);
        uint n = 1;
        bool rep = IsRep(ref op);
        if (rep && (n = ChunkOf(c, mask)) == 0)
        {
            return;
        }

        for (; n > 0; n--)
        {
            ref uint esi = ref c.Reg(X86Cpu.ESI);
            WriteGpr(c, X86Cpu.EAX, size * 8, ReadMemory(c, esi & mask, size * 8));
            Step(ref esi, delta, mask);
            if (rep)
            {
                Step(ref c.Reg(X86Cpu.ECX), 0xFFFF_FFFFu, mask);
            }
        }

        if (rep)
        {
            ContinueIfLeft(c, ref op, mask);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Cmps(X86Cpu c, ref DecodedOp op, int size)
    {
        uint mask = AddressMask(ref op), delta = Delta(c, size);
        int bits = size * 8;
        bool repe = op.Instruction.HasRepePrefix, repne = op.Instruction.HasRepnePrefix, rep = repe || repne;
        uint n = 1;
        if (rep && (n = ChunkOf(c, mask)) == 0)
        {
            return;
        }

        for (; n > 0; n--)
        {
            ref uint esi = ref c.Reg(X86Cpu.ESI);
            ref uint edi = ref c.Reg(X86Cpu.EDI);
            uint a = ReadMemory(c, esi & mask, bits), b = ReadMemory(c, edi & mask, bits);
            Step(ref esi, delta, mask);
            Step(ref edi, delta, mask);
            c.SetLazy(FlagOp.Sub, bits, a, b, a - b);
            if (rep)
            {
                Step(ref c.Reg(X86Cpu.ECX), 0xFFFF_FFFFu, mask);
                if ((a == b) != repe)
                {
                    return; // REPE stops on a difference, REPNE on a match
                }
            }
        }

        if (rep)
        {
            ContinueIfLeft(c, ref op, mask);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scas(X86Cpu c, ref DecodedOp op, int size)
    {
        uint mask = AddressMask(ref op), delta = Delta(c, size);
        int bits = size * 8;
        uint a = ReadGpr(c, X86Cpu.EAX, bits);
        bool repe = op.Instruction.HasRepePrefix, repne = op.Instruction.HasRepnePrefix, rep = repe || repne;
        uint n = 1;
        if (rep && (n = ChunkOf(c, mask)) == 0)
        {
            return;
        }

        for (; n > 0; n--)
        {
            ref uint edi = ref c.Reg(X86Cpu.EDI);
            uint b = ReadMemory(c, edi & mask, bits);
            Step(ref edi, delta, mask);
            c.SetLazy(FlagOp.Sub, bits, a, b, a - b);
            if (rep)
            {
                Step(ref c.Reg(X86Cpu.ECX), 0xFFFF_FFFFu, mask);
                if ((a == b) != repe)
                {
                    return;
                }
            }
        }

        if (rep)
        {
            ContinueIfLeft(c, ref op, mask);
        }
    }

    // ---- INS / OUTS: port DX, permission checked once per execution (before the count, as QEMU) ----

    private static void Ins(X86Cpu c, ref DecodedOp op, int size)
    {
        ushort port = (ushort)c.Reg(X86Cpu.EDX);
        c.CheckIoPermission(port, size);
        if (c.Vmx is not null && c.ExitsOnIo(ref op, port, size, input: true, isString: true, rep: IsRep(ref op), immediate: false))
        {
            return;
        }

        uint mask = AddressMask(ref op), delta = Delta(c, size);
        bool rep = IsRep(ref op), user = c.Cpl == 3;
        uint n = 1;
        if (rep && (n = ChunkOf(c, mask)) == 0)
        {
            return;
        }

        for (; n > 0; n--)
        {
            ref uint edi = ref c.Reg(X86Cpu.EDI);
            uint address = edi & mask;

            // The destination must be writable before the port is read: a device read can have side effects.
            c.Mmu.ProbeWrite(address, size, user);
            WriteMemory(c, address, size * 8, c.Io.Read(port, size));
            Step(ref edi, delta, mask);
            if (rep)
            {
                Step(ref c.Reg(X86Cpu.ECX), 0xFFFF_FFFFu, mask);
            }
        }

        if (rep)
        {
            ContinueIfLeft(c, ref op, mask);
        }
    }

    private static void Outs(X86Cpu c, ref DecodedOp op, int size)
    {
        ushort port = (ushort)c.Reg(X86Cpu.EDX);
        c.CheckIoPermission(port, size);
        if (c.Vmx is not null && c.ExitsOnIo(ref op, port, size, input: false, isString: true, rep: IsRep(ref op), immediate: false))
        {
            return;
        }

        uint mask = AddressMask(ref op), delta = Delta(c, size);
        bool rep = IsRep(ref op);
        uint n = 1;
        if (rep && (n = ChunkOf(c, mask)) == 0)
        {
            return;
        }

        for (; n > 0; n--)
        {
            ref uint esi = ref c.Reg(X86Cpu.ESI);
            c.Io.Write(port, size, ReadMemory(c, esi & mask, size * 8));
            Step(ref esi, delta, mask);
            if (rep)
            {
                Step(ref c.Reg(X86Cpu.ECX), 0xFFFF_FFFFu, mask);
            }
        }

        if (rep)
        {
            ContinueIfLeft(c, ref op, mask);
        }
    }
}
