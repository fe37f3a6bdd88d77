using Iced.Intel;

namespace Translator.Fuzz;

/// <summary>
/// The part of a program the host CPU can run in 64-bit mode with the same results and flags: units whose every
/// instruction is ring-3 and mode-neutral (8/16/32-bit operands, 32-bit addressing, which a 64-bit encoding gets with
/// 0x67). Left out, unit by unit: the stack (PUSH/POP/PUSHA/CALL and anything naming ESP: the host's stack is not the
/// guest's), 16-bit addressing and the CX-counted LOOP/JCXZ (no 16-bit address size in 64-bit mode), BCD and the other
/// forms 64-bit mode lacks (AAA…AAD, DAA/DAS, BOUND, INTO, ARPL, LDS/LES, SALC), segment registers as operands,
/// anything not allowed at CPL 3 or ending in an exception (INT n, UD2, I/O, CLI/STI, HLT), and CPU-model or
/// trap-visible units. Kept but re-encoded: INC/DEC 0x40–0x4F as FF /0 and FF /1, branches as their 64-bit forms
/// (LOOP and JECXZ with 0x67, counting ECX), and segment overrides dropped (every guest segment is flat, and 64-bit
/// mode would add FS's and GS's bases).
/// </summary>
public static class ModeNeutralProgram
{
    /// <summary>The program without what the host cannot run like the guest; null when nothing is left.</summary>
    public static FuzzProgram? Filter(FuzzProgram program)
    {
        var drop = new HashSet<int>();
        for (int p = 0; p < program.Units.Count; p++)
        {
            FuzzUnit unit = program.Units[p];
            if (unit.TrapVisible || unit.ModelSpecific || !unit.Instructions.All(IsModeNeutral))
            {
                drop.Add(p);
            }
        }

        FuzzProgram kept = program.Without(drop);

        // A flag reader whose setter was left out would read an undefined flag: leave the reader's unit out too.
        for (int round = 0; round < 1000 && kept.Units.Count > 0; round++)
        {
            int invalid = FlagAnalysis.Analyse(kept.FlatBody(HarnessImage.DumpAddress), HarnessImage.DumpAddress).FirstInvalidRead;
            if (invalid < 0)
            {
                return kept;
            }

            kept = kept.Without(new HashSet<int> { ProgramGenerator.Locate(kept, invalid).Position });
        }

        return null;
    }

    public static bool IsModeNeutral(Instruction instruction)
    {
        if (instruction.FlowControl is not (FlowControl.Next or FlowControl.UnconditionalBranch or FlowControl.ConditionalBranch)
            || instruction.StackPointerIncrement != 0 || instruction.Mnemonic is Mnemonic.In or Mnemonic.Out or Mnemonic.Insb
                or Mnemonic.Insw or Mnemonic.Insd or Mnemonic.Outsb or Mnemonic.Outsw or Mnemonic.Outsd or Mnemonic.Cli
                or Mnemonic.Sti or Mnemonic.Hlt or Mnemonic.Cpuid or Mnemonic.Rdtsc or Mnemonic.Rdtscp)
        {
            return false;
        }

        if (instruction.SegmentPrefix == Register.CS)
        {
            return false; // a write through CS is #GP in the guest, an ordinary store on the host
        }

        OpCodeInfo info = instruction.Code.ToOpCode();
        if (!info.Cpl3 || info.MayRequireCpl0 || (!info.Mode64 && Reencoded(instruction) is null))
        {
            return false;
        }

        for (int i = 0; i < instruction.OpCount; i++)
        {
            switch (instruction.GetOpKind(i))
            {
                case OpKind.Register when instruction.GetOpRegister(i).IsSegmentRegister() || instruction.GetOpRegister(i).GetFullRegister32() == Register.ESP:
                case OpKind.MemorySegSI or OpKind.MemorySegDI or OpKind.MemoryESDI:
                    return false;
                case OpKind.Memory when SixteenBitAddress(instruction):
                    return false;
            }
        }

        var info2 = new InstructionInfoFactory().GetInfo(instruction);
        return !info2.GetUsedRegisters().Any(r => r.Register.GetFullRegister32() == Register.ESP);
    }

    private static bool SixteenBitAddress(Instruction instruction) =>
        instruction.MemoryBase.IsGPR16() || instruction.MemoryIndex.IsGPR16()
        || (instruction.MemoryBase == Register.None && instruction.MemoryIndex == Register.None && instruction.MemoryDisplSize == 2);

    /// <summary>The 64-bit-mode instruction that does what <paramref name="instruction"/> does in 32-bit mode.</summary>
    public static Instruction? Reencoded(Instruction instruction)
    {
        Instruction result = instruction;
        switch (instruction.Code)
        {
            case Code.Inc_r16: result = Instruction.Create(Code.Inc_rm16, instruction.Op0Register); break;
            case Code.Inc_r32: result = Instruction.Create(Code.Inc_rm32, instruction.Op0Register); break;
            case Code.Dec_r16: result = Instruction.Create(Code.Dec_rm16, instruction.Op0Register); break;
            case Code.Dec_r32: result = Instruction.Create(Code.Dec_rm32, instruction.Op0Register); break;
            default:
                if (instruction.Op0Kind is OpKind.NearBranch16 or OpKind.FarBranch16 or OpKind.FarBranch32)
                {
                    return null; // 16-bit IP truncation (0x66) has no 64-bit-mode equivalent
                }

                if (instruction.Op0Kind == OpKind.NearBranch32 && instruction.OpCount == 1)
                {
                    // Jcc/JMP rel, LOOPcc and JECXZ counting ECX: the same opcode's 64-bit form (LOOP/JECXZ with 0x67).
                    string name = instruction.Code.ToString().Replace("_32", "_64");
                    if (!Enum.TryParse(name, out Code code) || !code.ToOpCode().Mode64)
                    {
                        return null;
                    }

                    result = Instruction.CreateBranch(code, instruction.NearBranch32);
                }
                else if (!instruction.Code.ToOpCode().Mode64)
                {
                    return null;
                }

                break;
        }

        result.IP = instruction.IP;
        result.SegmentPrefix = Register.None;
        result.HasLockPrefix = instruction.HasLockPrefix;
        result.HasRepePrefix = instruction.HasRepePrefix;
        result.HasRepnePrefix = instruction.HasRepnePrefix;
        if (result.Op0Kind == OpKind.Memory || result.Op1Kind == OpKind.Memory || instruction.OpCount > 2 && result.Op2Kind == OpKind.Memory)
        {
            if (result.MemoryBase == Register.None && result.MemoryIndex == Register.None)
            {
                result.MemoryDisplSize = 4; // an absolute address: addr32, never RIP-relative or sign-extended
            }
        }

        return result;
    }

    /// <summary>The body as 64-bit code: each instruction re-encoded, and the jump to the dump a return.</summary>
    public static byte[] Encode64(FuzzProgram program)
    {
        List<Instruction> body = program.FlatBody(HarnessImage.DumpAddress);
        var code = new List<Instruction>(body.Count + 1);
        foreach (Instruction instruction in body)
        {
            code.Add(Reencoded(instruction) ?? throw new InvalidOperationException($"seed {program.Seed}: {instruction} has no 64-bit form"));
        }

        Instruction end = Instruction.Create(Code.Retnq);
        end.IP = HarnessImage.DumpAddress;
        code.Add(end);
        var writer = new HarnessImage.ByteWriter();
        if (!BlockEncoder.TryEncode(64, new InstructionBlock(writer, code, 0x7000_0000), out string? error, out _))
        {
            throw new InvalidOperationException($"seed {program.Seed}: {error}");
        }

        return writer.ToArray();
    }
}
