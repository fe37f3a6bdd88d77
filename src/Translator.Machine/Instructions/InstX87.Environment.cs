using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Cpu.X87;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>
/// The control instructions: FNINIT, FNCLEX, FNSTSW, FNSTCW, FLDCW and the environment and state images of FNSTENV,
/// FLDENV, FNSAVE and FRSTOR in their 32-bit (28-byte environment) and 16-bit (14-byte) protected-mode layouts (SDM
/// Vol. 1 figures 8-9 to 8-12). The waiting forms (FINIT, FCLEX, FSTSW, ...) check for a pending exception first.
/// </summary>
internal static unsafe partial class InstX87
{
    private static void RegisterEnvironment(InstructionTableBuilder t)
    {
        t.Add(Mnemonic.Fninit, &Finit);
        t.Add(Mnemonic.Finit, &Finit);
        t.Add(Mnemonic.Fnclex, &Fclex);
        t.Add(Mnemonic.Fclex, &Fclex);
        t.Add(Mnemonic.Fnstsw, &Fstsw);
        t.Add(Mnemonic.Fstsw, &Fstsw);
        t.Add(Mnemonic.Fnstcw, &Fstcw);
        t.Add(Mnemonic.Fstcw, &Fstcw);
        t.Add(Mnemonic.Fldcw, &Fldcw);
        t.Add(Mnemonic.Fnstenv, &Fstenv);
        t.Add(Mnemonic.Fstenv, &Fstenv);
        t.Add(Mnemonic.Fldenv, &Fldenv);
        t.Add(Mnemonic.Fnsave, &Fsave);
        t.Add(Mnemonic.Fsave, &Fsave);
        t.Add(Mnemonic.Frstor, &Frstor);

        // The 8087/287 mode instructions are no-operations from the 387 on.
        t.Add(Mnemonic.Fneni, &ControlNop);
        t.Add(Mnemonic.Fndisi, &ControlNop);
        t.Add(Mnemonic.Fnsetpm, &ControlNop);
    }

    /// <summary>The FN* forms do not wait; their F* twins (9B prefix folded in by the decoder) do.</summary>
    private static bool Waits(Mnemonic m) => m is Mnemonic.Finit or Mnemonic.Fclex or Mnemonic.Fstsw or Mnemonic.Fstcw
        or Mnemonic.Fstenv or Mnemonic.Fsave or Mnemonic.Fldcw or Mnemonic.Fldenv or Mnemonic.Frstor;

    private static X87Fpu EnterControl(X86Cpu c, ref DecodedOp op) => Enter(c, ref op, Waits(op.Instruction.Mnemonic));

    public static void ControlNop(X86Cpu c, ref DecodedOp op) => EnterControl(c, ref op);

    public static void Finit(X86Cpu c, ref DecodedOp op) => EnterControl(c, ref op).Initialize();

    public static void Fclex(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterControl(c, ref op);
        f.Status &= 0x7F00; // the exception flags, SF, ES and B
    }

    public static void Fstsw(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterControl(c, ref op);
        if (op.Instruction.Op0Kind == OpKind.Memory)
        {
            c.Mmu.Write16(Operands.EffectiveAddress(c, ref op), f.StatusWord);
        }
        else
        {
            c.WriteReg16(X86Cpu.EAX, f.StatusWord);
        }
    }

    public static void Fstcw(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterControl(c, ref op);
        c.Mmu.Write16(Operands.EffectiveAddress(c, ref op), f.Control);
    }

    /// <summary>FLDCW: unmasking a flag that is set makes its exception pending for the next waiting instruction.</summary>
    public static void Fldcw(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterControl(c, ref op);
        ushort control = c.Mmu.Read16(Operands.EffectiveAddress(c, ref op));
        f.Control = ValidControl(control);
        f.UpdateSummary();
    }

    /// <summary>FCW's reserved bits 7 and 13-15 read as zero, bit 6 as one.</summary>
    internal static ushort ValidControl(ushort control) => (ushort)((control & 0x1F7F) | 0x0040);

    private static bool Is16Bit(in Instruction i) => i.MemorySize is MemorySize.FpuEnv14 or MemorySize.FpuState94;

    private static int EnvironmentSize(bool small) => small ? 14 : 28;

    private static void StoreEnvironment(X86Cpu c, X87Fpu f, uint address, bool small)
    {
        if (small)
        {
            ushort[] words = [f.Control, f.StatusWord, f.TagWord, (ushort)f.InstructionPointer, f.InstructionSelector,
                (ushort)f.DataPointer, f.DataSelector];
            for (int n = 0; n < words.Length; n++)
            {
                c.Mmu.Write16(address + (uint)(2 * n), words[n]);
            }

            return;
        }

        uint[] dwords = [0xFFFF_0000u | f.Control, 0xFFFF_0000u | f.StatusWord, 0xFFFF_0000u | f.TagWord, f.InstructionPointer,
            f.InstructionSelector | (uint)(f.Opcode & 0x7FF) << 16, f.DataPointer, 0xFFFF_0000u | f.DataSelector];
        for (int n = 0; n < dwords.Length; n++)
        {
            c.Mmu.Write32(address + (uint)(4 * n), dwords[n]);
        }
    }

    /// <summary>Reads an environment image without changing anything (so a fault midway leaves the FPU as it was).</summary>
    private static (ushort Control, ushort Status, ushort Tags, uint Ip, ushort Cs, ushort Fop, uint Dp, ushort Ds) ReadEnvironment(X86Cpu c, uint address, bool small)
    {
        if (small)
        {
            ushort W(int n) => c.Mmu.Read16(address + (uint)(2 * n));
            return (W(0), W(1), W(2), W(3), W(4), 0, W(5), W(6));
        }

        uint D(int n) => c.Mmu.Read32(address + (uint)(4 * n));
        uint selectorAndOpcode = D(4);
        return ((ushort)D(0), (ushort)D(1), (ushort)D(2), D(3), (ushort)selectorAndOpcode, (ushort)((selectorAndOpcode >> 16) & 0x7FF), D(5), (ushort)D(6));
    }

    private static void LoadEnvironment(X87Fpu f, (ushort Control, ushort Status, ushort Tags, uint Ip, ushort Cs, ushort Fop, uint Dp, ushort Ds) e)
    {
        f.Control = ValidControl(e.Control);
        f.Status = e.Status;
        f.TagWord = e.Tags;
        f.InstructionPointer = e.Ip;
        f.InstructionSelector = e.Cs;
        f.Opcode = e.Fop;
        f.DataPointer = e.Dp;
        f.DataSelector = e.Ds;
        f.UpdateSummary();
    }

    /// <summary>FNSTENV: the environment, then every exception masked.</summary>
    public static void Fstenv(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterControl(c, ref op);
        bool small = Is16Bit(in op.Instruction);
        uint address = Operands.EffectiveAddress(c, ref op);
        c.Mmu.ProbeWrite(address, EnvironmentSize(small), c.Cpl == 3);
        StoreEnvironment(c, f, address, small);
        f.Control |= 0x3F;
    }

    public static void Fldenv(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterControl(c, ref op);
        bool small = Is16Bit(in op.Instruction);
        LoadEnvironment(f, ReadEnvironment(c, Operands.EffectiveAddress(c, ref op), small));
    }

    /// <summary>FNSAVE: the environment and ST(0)-ST(7) in stack order, then FNINIT.</summary>
    public static void Fsave(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterControl(c, ref op);
        bool small = Is16Bit(in op.Instruction);
        uint address = Operands.EffectiveAddress(c, ref op);
        int environment = EnvironmentSize(small);
        c.Mmu.ProbeWrite(address, environment + 80, c.Cpl == 3);
        StoreEnvironment(c, f, address, small);
        for (int i = 0; i < 8; i++)
        {
            Write80(c, address + (uint)(environment + 10 * i), f.St(i));
        }

        f.Initialize();
    }

    public static void Frstor(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterControl(c, ref op);
        bool small = Is16Bit(in op.Instruction);
        uint address = Operands.EffectiveAddress(c, ref op);
        int environment = EnvironmentSize(small);
        var image = ReadEnvironment(c, address, small);
        var registers = new Float80[8];
        for (int i = 0; i < 8; i++)
        {
            uint at = address + (uint)(environment + 10 * i);
            registers[i] = new Float80(c.Mmu.Read16(at + 8), Read64(c, at));
        }

        LoadEnvironment(f, image);
        for (int i = 0; i < 8; i++)
        {
            f.Registers[f.Physical(i)] = registers[i];
        }
    }
}
