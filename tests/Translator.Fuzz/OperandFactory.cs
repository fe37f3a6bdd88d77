using Iced.Intel;

namespace Translator.Fuzz;

/// <summary>
/// Random operands for one unit: registers (never ESP), immediates biased to edge values, and memory references into
/// the data pages. A memory reference's base and index registers are loaded by setup instructions in the same unit,
/// so its address is known whatever ran before; 16-bit addressing gets random upper register halves it must ignore.
/// </summary>
internal sealed class OperandFactory(SeededRandom random, FuzzOptions options)
{
    private static readonly Register[] Gpr32 = [Register.EAX, Register.ECX, Register.EDX, Register.EBX, Register.EBP, Register.ESI, Register.EDI];
    private static readonly Register[] Gpr16 = [Register.AX, Register.CX, Register.DX, Register.BX, Register.BP, Register.SI, Register.DI];
    private static readonly Register[] Gpr8 = [Register.AL, Register.CL, Register.DL, Register.BL, Register.AH, Register.CH, Register.DH, Register.BH];
    private static readonly Register[] Segments = [Register.ES, Register.CS, Register.SS, Register.DS, Register.FS, Register.GS];

    /// <summary>Registers the current unit must leave alone (a loop's counter, a frame pointer).</summary>
    public HashSet<Register> Reserved { get; } = [];

    public Register Register32() => PickFree(Gpr32);

    public Register Register16() => PickFree(Gpr16);

    public Register Register8() => PickFree(Gpr8);

    private Register PickFree(Register[] from)
    {
        Register[] free = from.Where(r => !Reserved.Contains(r.GetFullRegister32())).ToArray();
        return random.Pick(free);
    }

    /// <summary>An address in the data pages for an access of up to 16 bytes: in fault programs with paging, it may
    /// hit the read-only or the absent page (and straddle page boundaries); otherwise it stays where every access works.</summary>
    public uint DataAddress(int span = 16)
    {
        if (options.Paging && !options.Faults)
        {
            return GuestLayout.DataStart + (uint)random.Below(0x1000 - span);
        }

        if (random.Chance(15))
        {
            uint boundary = random.Pick(new uint[] { 0x5000, 0x6000 });
            return boundary - (uint)random.Below(8);
        }

        return GuestLayout.DataStart + (uint)random.Below((int)(GuestLayout.DataEnd - GuestLayout.DataStart) - span);
    }

    /// <summary>Fills the instruction's memory operand and returns the instructions that load its registers.</summary>
    public List<Instruction> Memory(ref Instruction instruction, bool allowSixteenBit = true, int span = 16)
    {
        uint address = DataAddress(span);
        var setup = new List<Instruction>();
        instruction.SegmentPrefix = SegmentPrefix();
        if (allowSixteenBit && random.Chance(20))
        {
            Memory16(ref instruction, address, setup);
            return setup;
        }

        int mode = random.Below(4);
        if (mode == 0)
        {
            instruction.MemoryBase = Register.None;
            instruction.MemoryIndex = Register.None;
            instruction.MemoryDisplacement32 = address;
            instruction.MemoryDisplSize = 4;
            return setup;
        }

        Register baseRegister = Register32();
        uint displacement = random.Below(3) switch { 0 => 0u, 1 => (uint)(sbyte)random.Below(256), _ => random.Next32() };
        int displSize = displacement == 0 ? 0 : (displacement + 128 < 256 ? 1 : 4);
        uint rest = address - displacement;
        instruction.MemoryBase = baseRegister;
        instruction.MemoryIndex = Register.None;
        if (mode == 3)
        {
            Register index = Register32();
            int scale = 1 << random.Below(4);
            uint indexValue = (uint)random.Below(16);
            if (index == baseRegister)
            {
                indexValue = 0; // [r + r*s]: both see the same value; 0 keeps the address where it was aimed
            }

            setup.Add(Instruction.Create(Code.Mov_r32_imm32, index, indexValue));
            rest -= indexValue * (uint)scale;
            instruction.MemoryIndex = index;
            instruction.MemoryIndexScale = scale;
        }

        setup.Add(Instruction.Create(Code.Mov_r32_imm32, baseRegister, rest));
        instruction.MemoryDisplacement32 = displacement;
        instruction.MemoryDisplSize = displSize;
        return setup;
    }

    private void Memory16(ref Instruction instruction, uint address, List<Instruction> setup)
    {
        (Register Base, Register Index)[] forms =
        [
            (Register.BX, Register.SI), (Register.BX, Register.DI), (Register.BP, Register.SI), (Register.BP, Register.DI),
            (Register.SI, Register.None), (Register.DI, Register.None), (Register.BP, Register.None), (Register.BX, Register.None),
            (Register.None, Register.None),
        ];
        (Register b, Register x) = random.Pick(forms.Where(f => !Reserved.Contains(f.Base.GetFullRegister32()) && !Reserved.Contains(f.Index.GetFullRegister32())).ToArray());
        ushort displacement = b == Register.None ? (ushort)address : (ushort)(random.Below(3) switch { 0 => 0, 1 => (int)(sbyte)random.Below(256), _ => (int)random.Next32() });
        ushort rest = (ushort)(address - displacement);
        if (x != Register.None)
        {
            ushort indexValue = (ushort)random.Next32();
            setup.Add(Instruction.Create(Code.Mov_r32_imm32, x.GetFullRegister32(), (random.Next32() << 16) | indexValue));
            rest = (ushort)(rest - indexValue);
        }

        if (b != Register.None)
        {
            setup.Add(Instruction.Create(Code.Mov_r32_imm32, b.GetFullRegister32(), (random.Next32() << 16) | rest));
        }

        instruction.MemoryBase = b;
        instruction.MemoryIndex = x;
        instruction.MemoryIndexScale = 1;
        instruction.MemoryDisplacement32 = displacement;
        instruction.MemoryDisplSize = b == Register.None ? 2 : displacement == 0 && b != Register.BP ? 0 : ((short)displacement is >= -128 and < 128 ? 1 : 2);
    }

    /// <summary>Usually none; otherwise any segment (all are flat). CS is read-only, so only fault programs get it.</summary>
    public Register SegmentPrefix()
    {
        if (!random.Chance(25))
        {
            return Register.None;
        }

        Register segment = random.Pick(Segments);
        return segment == Register.CS && !options.Faults ? Register.DS : segment;
    }
}
