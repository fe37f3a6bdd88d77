using Iced.Intel;

namespace Translator.Fuzz;

/// <summary>Draws one unit: a random integer instruction form with its setup, a string operation, a branch or a loop.</summary>
internal sealed class UnitFactory(SeededRandom random, FuzzOptions options)
{
    private readonly OperandFactory _operands = new(random, options);
    private readonly Code[] _forms = InstructionForms.All.Where(c => options.Faults || !InstructionForms.AlwaysFaulting.Contains(c.Mnemonic())).ToArray();

    public FuzzUnit Next(int id)
    {
        _operands.Reserved.Clear();
        int roll = random.Below(100);
        return roll switch
        {
            < 70 => Generic(id),
            < 80 => StringOperation(id),
            < 92 => ForwardBranch(id),
            _ => BackwardLoop(id),
        };
    }

    private FuzzUnit Generic(int id)
    {
        var instructions = new List<Instruction>();
        instructions.AddRange(GenericInstruction());
        return new FuzzUnit(id, "op", instructions);
    }

    /// <summary>One random form with random operands, preceded by whatever loads its address and count registers.</summary>
    private List<Instruction> GenericInstruction()
    {
        Code code = random.Pick(_forms);
        Mnemonic mnemonic = code.Mnemonic();
        if (mnemonic is Mnemonic.Div or Mnemonic.Idiv && !options.Faults)
        {
            return SafeDivision(code);
        }

        OpCodeInfo info = code.ToOpCode();
        var setup = new List<Instruction>();
        Instruction instruction = default;
        instruction.Code = code;
        int size = info.OperandSize == 16 ? 16 : 32;
        for (int i = 0; i < info.OpCount; i++)
        {
            OpCodeOperandKind kind = info.GetOpKind(i);
            switch (kind)
            {
                case OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r32_or_mem when random.Chance(50):
                case OpCodeOperandKind.mem:
                    instruction.SetOpKind(i, OpKind.Memory);
                    setup.AddRange(_operands.Memory(ref instruction));
                    break;
                case OpCodeOperandKind.mem_offs:
                    instruction.SetOpKind(i, OpKind.Memory);
                    instruction.MemoryDisplacement32 = _operands.DataAddress();
                    instruction.MemoryDisplSize = 4;
                    instruction.SegmentPrefix = _operands.SegmentPrefix();
                    break;
                case OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode:
                    SetRegister(ref instruction, i, _operands.Register8());
                    break;
                case OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_opcode:
                    SetRegister(ref instruction, i, _operands.Register16());
                    break;
                case OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_opcode:
                    SetRegister(ref instruction, i, _operands.Register32());
                    break;
                case OpCodeOperandKind.al: SetRegister(ref instruction, i, Register.AL); break;
                case OpCodeOperandKind.cl:
                    SetRegister(ref instruction, i, Register.CL);
                    setup.Add(Instruction.Create(Code.Mov_r8_imm8, Register.CL, Count(mnemonic, code, info)));
                    break;
                case OpCodeOperandKind.ax: SetRegister(ref instruction, i, Register.AX); break;
                case OpCodeOperandKind.eax: SetRegister(ref instruction, i, Register.EAX); break;
                case OpCodeOperandKind.imm8_const_1:
                    instruction.SetOpKind(i, OpKind.Immediate8);
                    instruction.Immediate8 = 1;
                    break;
                case OpCodeOperandKind.imm8:
                    instruction.SetOpKind(i, OpKind.Immediate8);
                    instruction.Immediate8 = IsShift(mnemonic) ? Count(mnemonic, code, info)
                        : mnemonic is Mnemonic.Aam && !options.Faults ? (byte)(1 + random.Below(255)) : (byte)random.Interesting();
                    break;
                case OpCodeOperandKind.imm8sex16:
                    instruction.SetOpKind(i, OpKind.Immediate8to16);
                    instruction.Immediate8to16 = (sbyte)random.Interesting();
                    break;
                case OpCodeOperandKind.imm8sex32:
                    instruction.SetOpKind(i, OpKind.Immediate8to32);
                    instruction.Immediate8to32 = (sbyte)random.Interesting();
                    break;
                case OpCodeOperandKind.imm16:
                    instruction.SetOpKind(i, OpKind.Immediate16);
                    instruction.Immediate16 = (ushort)random.Interesting();
                    break;
                case OpCodeOperandKind.imm32:
                    instruction.SetOpKind(i, OpKind.Immediate32);
                    instruction.Immediate32 = random.Interesting();
                    break;
            }
        }

        // BT's register bit offset reaches beyond the operand in memory: keep it near the data.
        if (mnemonic is Mnemonic.Bt or Mnemonic.Bts or Mnemonic.Btr or Mnemonic.Btc && instruction.Op0Kind == OpKind.Memory && instruction.Op1Kind == OpKind.Register)
        {
            setup.Add(Instruction.Create(Code.Mov_r32_imm32, instruction.Op1Register.GetFullRegister32(), (uint)random.Below(256)));
        }

        Prefixes(ref instruction, info);
        setup.Add(instruction);
        return setup;
    }

    private static void SetRegister(ref Instruction instruction, int operand, Register register)
    {
        instruction.SetOpKind(operand, OpKind.Register);
        instruction.SetOpRegister(operand, register);
    }

    private static bool IsShift(Mnemonic m) => m is Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr or Mnemonic.Sar or Mnemonic.Rol
        or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr or Mnemonic.Shld or Mnemonic.Shrd;

    /// <summary>A shift count that is never 0 mod 32 (flags unchanged), below the operand size for SHL/SHR of
    /// 8 and 16 bits (CF undefined otherwise) and for 16-bit SHLD/SHRD (result undefined otherwise).</summary>
    private byte Count(Mnemonic mnemonic, Code code, OpCodeInfo info)
    {
        int bits = code.ToOpCode().OperandSize == 16 ? 16 : InstructionHasByteOperand(info) ? 8 : 32;
        int limit = mnemonic is Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr or Mnemonic.Shld or Mnemonic.Shrd ? Math.Min(bits, 32) : 32;
        return (byte)(1 + random.Below(limit - 1) + (random.Chance(10) ? 32 : 0));
    }

    private static bool InstructionHasByteOperand(OpCodeInfo info) =>
        Enumerable.Range(0, info.OpCount).Any(i => info.GetOpKind(i) is OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r8_reg or OpCodeOperandKind.al);

    /// <summary>LOCK on forms that take it (memory destination); in fault programs sometimes where it is #UD, and
    /// REP/REPNE on one-byte-opcode forms, where the processor ignores them.</summary>
    private void Prefixes(ref Instruction instruction, OpCodeInfo info)
    {
        bool lockable = info.CanUseLockPrefix && instruction.Op0Kind == OpKind.Memory;
        if ((lockable && random.Chance(30)) || (options.Faults && random.Chance(2)))
        {
            instruction.HasLockPrefix = true;
            return;
        }

        if (info.Table == OpCodeTableKind.Normal && info.Mnemonic is not Mnemonic.Nop and not Mnemonic.Xchg && random.Chance(4))
        {
            if (random.Chance(50)) instruction.HasRepePrefix = true;
            else instruction.HasRepnePrefix = true;
        }
    }

    /// <summary>DIV/IDIV that cannot fault: high half zero, dividend below 2^30, divisor in a register and ≥ 2 in magnitude.</summary>
    private List<Instruction> SafeDivision(Code code)
    {
        OpCodeInfo info = code.ToOpCode();
        bool isByte = InstructionHasByteOperand(info);
        Register divisor = isByte ? random.Pick(new[] { Register.BL, Register.CL, Register.BH, Register.CH })
            : random.Pick(new[] { Register.EBX, Register.ECX, Register.ESI, Register.EDI });
        if (info.OperandSize == 16)
        {
            divisor = divisor.GetFullRegister32() - Register.EAX + Register.AX;
        }

        uint value = (uint)(2 + random.Below(1000));
        if (code.Mnemonic() == Mnemonic.Idiv && random.Chance(50))
        {
            value = (uint)-(int)value;
        }

        var list = new List<Instruction>
        {
            Instruction.Create(Code.Mov_r32_imm32, Register.EAX, random.Next32() & (isByte ? 0xFFu : 0x3FFF_FFFF) & (info.OperandSize == 16 ? 0x3FFFu : ~0u)),
            Instruction.Create(Code.Mov_r32_imm32, Register.EDX, 0),
        };
        if (isByte)
        {
            list.Add(Instruction.Create(Code.Mov_r8_imm8, divisor, (byte)Math.Max(2, value & 0x7F)));
        }
        else
        {
            list.Add(Instruction.Create(Code.Mov_r32_imm32, divisor.GetFullRegister32(), value));
        }

        list.Add(Instruction.Create(code, divisor));
        return list;
    }

    private FuzzUnit StringOperation(int id)
    {
        int addressSize = random.Chance(35) ? 16 : 32;
        RepPrefixKind rep = random.Below(3) switch { 0 => RepPrefixKind.None, 1 => RepPrefixKind.Repe, _ => RepPrefixKind.Repne };
        Register segment = _operands.SegmentPrefix();
        int kind = random.Below(15);
        Instruction operation = kind switch
        {
            0 => Instruction.CreateMovsb(addressSize, segment, rep),
            1 => Instruction.CreateMovsw(addressSize, segment, rep),
            2 => Instruction.CreateMovsd(addressSize, segment, rep),
            3 => Instruction.CreateCmpsb(addressSize, segment, rep),
            4 => Instruction.CreateCmpsw(addressSize, segment, rep),
            5 => Instruction.CreateCmpsd(addressSize, segment, rep),
            6 => Instruction.CreateStosb(addressSize, rep),
            7 => Instruction.CreateStosw(addressSize, rep),
            8 => Instruction.CreateStosd(addressSize, rep),
            9 => Instruction.CreateLodsb(addressSize, segment, rep),
            10 => Instruction.CreateLodsw(addressSize, segment, rep),
            11 => Instruction.CreateLodsd(addressSize, segment, rep),
            12 => Instruction.CreateScasb(addressSize, rep),
            13 => Instruction.CreateScasw(addressSize, rep),
            _ => Instruction.CreateScasd(addressSize, rep),
        };
        uint count = (uint)random.Below(25);
        uint Upper() => addressSize == 16 ? random.Next32() << 16 : 0;
        uint Middle() => options.Paging && !options.Faults ? 0x4100u + (uint)random.Below(0xD00) : GuestLayout.DataStart + 0x100u + (uint)random.Below(0x2D00);
        var list = new List<Instruction>
        {
            Instruction.Create(random.Chance(50) ? Code.Cld : Code.Std),
            Instruction.Create(Code.Mov_r32_imm32, Register.ESI, Upper() | Middle()),
            Instruction.Create(Code.Mov_r32_imm32, Register.EDI, Upper() | Middle()),
            Instruction.Create(Code.Mov_r32_imm32, Register.ECX, Upper() | count),
            operation,
        };
        return new FuzzUnit(id, "string", list);
    }

    private static readonly Code[] Conditional =
    [
        Code.Jo_rel32_32, Code.Jno_rel32_32, Code.Jb_rel32_32, Code.Jae_rel32_32, Code.Je_rel32_32, Code.Jne_rel32_32,
        Code.Jbe_rel32_32, Code.Ja_rel32_32, Code.Js_rel32_32, Code.Jns_rel32_32, Code.Jp_rel32_32, Code.Jnp_rel32_32,
        Code.Jl_rel32_32, Code.Jge_rel32_32, Code.Jle_rel32_32, Code.Jg_rel32_32,
    ];

    /// <summary>The CX/ECX-counting branches in both address sizes (0x67 selects CX), the ones the LOOP bug hid in.</summary>
    private static readonly Code[] Counting =
    [
        Code.Loop_rel8_32_ECX, Code.Loop_rel8_32_CX, Code.Loope_rel8_32_ECX, Code.Loope_rel8_32_CX,
        Code.Loopne_rel8_32_ECX, Code.Loopne_rel8_32_CX, Code.Jecxz_rel8_32, Code.Jcxz_rel8_32,
    ];

    private FuzzUnit ForwardBranch(int id)
    {
        var list = new List<Instruction>();
        int roll = random.Below(10);
        Code code = roll switch
        {
            < 5 => random.Pick(Conditional),
            < 8 => random.Pick(Counting),
            8 => Code.Jmp_rel32_32,
            _ => Code.Call_rel32_32,
        };
        if (roll is >= 5 and < 8)
        {
            uint[] counts = [0, 1, 2, 0x1_0000, 0x1_0001, 0xFFFF_0000, 0xFFFF_0001, 0x0001_FFFF];
            list.Add(Instruction.Create(Code.Mov_r32_imm32, Register.ECX, random.Chance(70) ? random.Pick(counts) : random.Next32()));
        }

        list.Add(Instruction.CreateBranch(code, 0));
        var unit = new FuzzUnit(id, "branch", list);
        unit.Targets[^1] = id + 1 + random.Below(code == Code.Jmp_rel32_32 ? 3 : 6);
        return unit;
    }

    /// <summary>A short loop counted by LOOP/LOOPE/LOOPNE in CX (upper half random, which it must not touch) or ECX.</summary>
    private FuzzUnit BackwardLoop(int id)
    {
        Code code = random.Pick(Counting[..6]);
        bool cx = code.ToString().EndsWith("_CX", StringComparison.Ordinal);
        uint iterations = (uint)(1 + random.Below(6));
        var list = new List<Instruction> { Instruction.Create(Code.Mov_r32_imm32, Register.ECX, (cx ? random.Next32() << 16 : 0) | iterations) };
        _operands.Reserved.Add(Register.ECX);
        List<Instruction> body;
        do
        {
            body = GenericInstruction();
        }
        while (body.Any(WritesCounter));

        list.AddRange(body);
        list.Add(Instruction.CreateBranch(code, 0));
        var unit = new FuzzUnit(id, "loop", list);
        unit.Targets[^1] = -1 - 1;
        return unit;
    }

    private static bool WritesCounter(Instruction i) =>
        i.Mnemonic is Mnemonic.Popad or Mnemonic.Popa or Mnemonic.Cmpxchg8b or Mnemonic.Div or Mnemonic.Idiv
        || (i.Code == Code.Mov_r8_imm8 && i.Op0Register == Register.CL) || InstructionForms.AlwaysFaulting.Contains(i.Mnemonic);
}
