using System.Runtime.CompilerServices;
using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>
/// Operand-specialised forms of the instructions that dominate compiled code (32-bit register/immediate/memory
/// forms of MOV, the ALU group, INC/DEC, LEA, PUSH/POP, Jcc, CALL/RET). The decoder swaps one in when an
/// instruction's operands match, so the hot path skips the generic operand-kind and width dispatch. Each must
/// behave exactly like the generic handler it replaces; the conformance suites run through both.
/// </summary>
internal static unsafe class InstFastPaths
{
    /// <summary>Returns the specialised handler for <paramref name="op"/>, or null to keep the generic one.</summary>
    public static delegate*<X86Cpu, ref DecodedOp, void> Select(ref DecodedOp op)
    {
        Mnemonic mnemonic = op.Instruction.Mnemonic;
        if (op.Instruction.ConditionCode != ConditionCode.None && op.Instruction.FlowControl == FlowControl.ConditionalBranch)
        {
            return mnemonic is Mnemonic.Jo or Mnemonic.Jno or Mnemonic.Jb or Mnemonic.Jae or Mnemonic.Je or Mnemonic.Jne
                or Mnemonic.Jbe or Mnemonic.Ja or Mnemonic.Js or Mnemonic.Jns or Mnemonic.Jp or Mnemonic.Jnp
                or Mnemonic.Jl or Mnemonic.Jge or Mnemonic.Jle or Mnemonic.Jg
                ? SelectJcc(op.Condition)
                : null;
        }

        if (op.Instruction.HasLockPrefix)
        {
            return null;
        }

        if (op.Bits == 8 && mnemonic == Mnemonic.Mov)
        {
            return SelectMov8(ref op);
        }

        if (op.Bits != 32)
        {
            return null;
        }

        OperandKind k0 = op.K0, k1 = op.K1;
        bool rr = k0 == OperandKind.Gpr && k1 == OperandKind.Gpr && op.SrcBits == 32;
        bool ri = k0 == OperandKind.Gpr && k1 == OperandKind.Immediate;
        bool rm = k0 == OperandKind.Gpr && k1 == OperandKind.Memory && op.SrcBits == 32;
        bool mr = k0 == OperandKind.Memory && k1 == OperandKind.Gpr && op.SrcBits == 32;
        bool mi = k0 == OperandKind.Memory && k1 == OperandKind.Immediate;
        int count = op.Instruction.OpCount;
        switch (mnemonic)
        {
            case Mnemonic.Mov:
                return rr ? &MovRR : ri ? &MovRI : rm ? &MovRM : mr ? &MovMR : mi ? &MovMI : null;
            case Mnemonic.Add:
                return rr ? &AddRR : ri ? &AddRI : rm ? &AddRM : mr ? &AddMR : mi ? &AddMI : null;
            case Mnemonic.Sub:
                return rr ? &SubRR : ri ? &SubRI : rm ? &SubRM : mr ? &SubMR : mi ? &SubMI : null;
            case Mnemonic.Cmp:
                return rr ? &CmpRR : ri ? &CmpRI : rm ? &CmpRM : mr ? &CmpMR : mi ? &CmpMI : null;
            case Mnemonic.And:
                return rr ? &AndRR : ri ? &AndRI : rm ? &AndRM : null;
            case Mnemonic.Or:
                return rr ? &OrRR : ri ? &OrRI : rm ? &OrRM : null;
            case Mnemonic.Xor:
                return rr ? &XorRR : ri ? &XorRI : rm ? &XorRM : null;
            case Mnemonic.Test:
                return rr ? &TestRR : ri ? &TestRI : null;
            case Mnemonic.Inc:
                return count == 1 && k0 == OperandKind.Gpr ? &IncR : null;
            case Mnemonic.Dec:
                return count == 1 && k0 == OperandKind.Gpr ? &DecR : null;
            case Mnemonic.Lea:
                return op.AddressSize16 ? null : op.Base == X86Cpu.ZeroRegister ? &LeaIndexOnly : op.Index == X86Cpu.ZeroRegister ? &LeaBaseOnly : &Lea;
            case Mnemonic.Push:
                return op.Instruction.Code == Code.Push_r32 ? &PushR : op.Instruction.Code is Code.Pushd_imm32 or Code.Pushd_imm8 ? &PushI : null;
            case Mnemonic.Pop:
                return op.Instruction.Code == Code.Pop_r32 ? &PopR : null;
            case Mnemonic.Shl:
            case Mnemonic.Sal:
            case Mnemonic.Shr:
            case Mnemonic.Sar:
                if (k0 != OperandKind.Gpr || k1 != OperandKind.Immediate || (op.Immediate & 31) == 0)
                {
                    return null;
                }

                return mnemonic == Mnemonic.Shr ? &ShrRI : mnemonic == Mnemonic.Sar ? &SarRI : &ShlRI;
            case Mnemonic.Movzx:
                return k1 == OperandKind.Memory ? (op.SrcBits == 8 ? &MovzxRM8 : &MovzxRM16) : null;
            case Mnemonic.Call:
                return op.Instruction.Code == Code.Call_rel32_32 ? &CallRel : null;
            case Mnemonic.Ret:
                return op.Instruction.Code == Code.Retnd ? &Ret : null;
            case Mnemonic.Jmp:
                return op.Instruction.Code is Code.Jmp_rel32_32 or Code.Jmp_rel8_32 ? &JmpRel : null;
            default:
                return null;
        }
    }

    private static delegate*<X86Cpu, ref DecodedOp, void> SelectMov8(ref DecodedOp op) => (op.K0, op.K1) switch
    {
        (OperandKind.Gpr, OperandKind.Memory) => &MovRM8,
        (OperandKind.Memory, OperandKind.Gpr) => &MovMR8,
        (OperandKind.Memory, OperandKind.Immediate) => &MovMI8,
        (OperandKind.Gpr, OperandKind.Gpr) => &MovRR8,
        (OperandKind.Gpr, OperandKind.Immediate) => &MovRI8,
        _ => null,
    };

    private static delegate*<X86Cpu, ref DecodedOp, void> SelectJcc(int cc) => cc switch
    {
        4 => &Je,
        5 => &Jne,
        2 => &Jb,
        3 => &Jae,
        12 => &Jl,
        13 => &Jge,
        14 => &Jle,
        15 => &Jg,
        _ => &InstFlow.Jcc,
    };

    // ---- MOV ----------------------------------------------------------------------------------------------------
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MovRR(X86Cpu c, ref DecodedOp op) => c.Reg(op.R0) = c.Reg(op.R1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MovRI(X86Cpu c, ref DecodedOp op) => c.Reg(op.R0) = op.Immediate;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MovRM(X86Cpu c, ref DecodedOp op) => c.Reg(op.R0) = c.Mmu.Read32(EffectiveAddress(c, ref op));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MovMR(X86Cpu c, ref DecodedOp op) => c.Mmu.Write32(EffectiveAddress(c, ref op), c.Reg(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MovMI(X86Cpu c, ref DecodedOp op) => c.Mmu.Write32(EffectiveAddress(c, ref op), op.Immediate);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MovRM8(X86Cpu c, ref DecodedOp op) => c.WriteReg8(op.R0, c.Mmu.Read8(EffectiveAddress(c, ref op)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MovMR8(X86Cpu c, ref DecodedOp op) => c.Mmu.Write8(EffectiveAddress(c, ref op), c.ReadReg8(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MovMI8(X86Cpu c, ref DecodedOp op) => c.Mmu.Write8(EffectiveAddress(c, ref op), (byte)op.Immediate);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MovRR8(X86Cpu c, ref DecodedOp op) => c.WriteReg8(op.R0, c.ReadReg8(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MovRI8(X86Cpu c, ref DecodedOp op) => c.WriteReg8(op.R0, (byte)op.Immediate);

    // ---- ADD / SUB / CMP ----------------------------------------------------------------------------------------
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRR(X86Cpu c, ref DecodedOp op) => Add(c, ref c.Reg(op.R0), c.Reg(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRI(X86Cpu c, ref DecodedOp op) => Add(c, ref c.Reg(op.R0), op.Immediate);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRM(X86Cpu c, ref DecodedOp op) => Add(c, ref c.Reg(op.R0), c.Mmu.Read32(EffectiveAddress(c, ref op)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddMR(X86Cpu c, ref DecodedOp op) => AddMemory(c, ref op, c.Reg(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddMI(X86Cpu c, ref DecodedOp op) => AddMemory(c, ref op, op.Immediate);

    private static void Add(X86Cpu c, ref uint dest, uint b)
    {
        uint a = dest, r = a + b;
        dest = r;
        c.SetLazy32(FlagOp.Add, a, b, r);
    }

    private static void AddMemory(X86Cpu c, ref DecodedOp op, uint b)
    {
        uint address = EffectiveAddress(c, ref op);
        uint a = c.Mmu.Read32(address), r = a + b;
        c.Mmu.Write32(address, r);
        c.SetLazy32(FlagOp.Add, a, b, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SubRR(X86Cpu c, ref DecodedOp op) => Sub(c, ref c.Reg(op.R0), c.Reg(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SubRI(X86Cpu c, ref DecodedOp op) => Sub(c, ref c.Reg(op.R0), op.Immediate);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SubRM(X86Cpu c, ref DecodedOp op) => Sub(c, ref c.Reg(op.R0), c.Mmu.Read32(EffectiveAddress(c, ref op)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SubMR(X86Cpu c, ref DecodedOp op) => SubMemory(c, ref op, c.Reg(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SubMI(X86Cpu c, ref DecodedOp op) => SubMemory(c, ref op, op.Immediate);

    private static void Sub(X86Cpu c, ref uint dest, uint b)
    {
        uint a = dest, r = a - b;
        dest = r;
        c.SetLazy32(FlagOp.Sub, a, b, r);
    }

    private static void SubMemory(X86Cpu c, ref DecodedOp op, uint b)
    {
        uint address = EffectiveAddress(c, ref op);
        uint a = c.Mmu.Read32(address), r = a - b;
        c.Mmu.Write32(address, r);
        c.SetLazy32(FlagOp.Sub, a, b, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CmpRR(X86Cpu c, ref DecodedOp op) => Compare(c, c.Reg(op.R0), c.Reg(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CmpRI(X86Cpu c, ref DecodedOp op) => Compare(c, c.Reg(op.R0), op.Immediate);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CmpRM(X86Cpu c, ref DecodedOp op) => Compare(c, c.Reg(op.R0), c.Mmu.Read32(EffectiveAddress(c, ref op)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CmpMR(X86Cpu c, ref DecodedOp op) => Compare(c, c.Mmu.Read32(EffectiveAddress(c, ref op)), c.Reg(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CmpMI(X86Cpu c, ref DecodedOp op) => Compare(c, c.Mmu.Read32(EffectiveAddress(c, ref op)), op.Immediate);

    private static void Compare(X86Cpu c, uint a, uint b) => c.SetLazy32(FlagOp.Sub, a, b, a - b);

    // ---- logic ----------------------------------------------------------------------------------------------------
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AndRR(X86Cpu c, ref DecodedOp op) => Logic(c, ref c.Reg(op.R0), c.Reg(op.R0) & c.Reg(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AndRI(X86Cpu c, ref DecodedOp op) => Logic(c, ref c.Reg(op.R0), c.Reg(op.R0) & op.Immediate);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AndRM(X86Cpu c, ref DecodedOp op) => Logic(c, ref c.Reg(op.R0), c.Reg(op.R0) & c.Mmu.Read32(EffectiveAddress(c, ref op)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OrRR(X86Cpu c, ref DecodedOp op) => Logic(c, ref c.Reg(op.R0), c.Reg(op.R0) | c.Reg(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OrRI(X86Cpu c, ref DecodedOp op) => Logic(c, ref c.Reg(op.R0), c.Reg(op.R0) | op.Immediate);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OrRM(X86Cpu c, ref DecodedOp op) => Logic(c, ref c.Reg(op.R0), c.Reg(op.R0) | c.Mmu.Read32(EffectiveAddress(c, ref op)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorRR(X86Cpu c, ref DecodedOp op) => Logic(c, ref c.Reg(op.R0), c.Reg(op.R0) ^ c.Reg(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorRI(X86Cpu c, ref DecodedOp op) => Logic(c, ref c.Reg(op.R0), c.Reg(op.R0) ^ op.Immediate);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorRM(X86Cpu c, ref DecodedOp op) => Logic(c, ref c.Reg(op.R0), c.Reg(op.R0) ^ c.Mmu.Read32(EffectiveAddress(c, ref op)));

    private static void Logic(X86Cpu c, ref uint dest, uint result)
    {
        dest = result;
        c.SetLazy32(FlagOp.Logic, 0, 0, result);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TestRR(X86Cpu c, ref DecodedOp op) => c.SetLazy32(FlagOp.Logic, 0, 0, c.Reg(op.R0) & c.Reg(op.R1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TestRI(X86Cpu c, ref DecodedOp op) => c.SetLazy32(FlagOp.Logic, 0, 0, c.Reg(op.R0) & op.Immediate);

    // ---- INC / DEC (keep CF) --------------------------------------------------------------------------------------
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IncR(X86Cpu c, ref DecodedOp op)
    {
        uint carry = c.CF ? 1u : 0u;
        ref uint r = ref c.Reg(op.R0);
        uint a = r;
        r = a + 1;
        c.SetLazy32(FlagOp.Inc, a, 1, a + 1);
        c.LazyCarryIn = carry;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DecR(X86Cpu c, ref DecodedOp op)
    {
        uint carry = c.CF ? 1u : 0u;
        ref uint r = ref c.Reg(op.R0);
        uint a = r;
        r = a - 1;
        c.SetLazy32(FlagOp.Dec, a, 1, a - 1);
        c.LazyCarryIn = carry;
    }

    // ---- shifts by a nonzero immediate (the count is known at decode time) ----------------------------------------
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShlRI(X86Cpu c, ref DecodedOp op)
    {
        ref uint reg = ref c.Reg(op.R0);
        uint last = reg << (int)((op.Immediate & 31) - 1);
        uint r = last << 1;
        reg = r;
        uint cf = last >> 31;
        InstShift.SetShiftFlags(c, 32, r, cf, cf ^ (r >> 31));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShrRI(X86Cpu c, ref DecodedOp op)
    {
        ref uint reg = ref c.Reg(op.R0);
        uint last = reg >> (int)((op.Immediate & 31) - 1);
        uint r = last >> 1;
        reg = r;
        InstShift.SetShiftFlags(c, 32, r, last & 1, ((last ^ r) >> 31) & 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SarRI(X86Cpu c, ref DecodedOp op)
    {
        ref uint reg = ref c.Reg(op.R0);
        int last = (int)reg >> (int)((op.Immediate & 31) - 1);
        uint r = (uint)(last >> 1);
        reg = r;
        InstShift.SetShiftFlags(c, 32, r, (uint)last & 1, 0);
    }

    // ---- LEA --------------------------------------------------------------------------------------------------------
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lea(X86Cpu c, ref DecodedOp op) => c.Reg(op.R0) = c.Reg(op.Base) + (c.Reg(op.Index) << op.Scale) + op.Displacement;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LeaBaseOnly(X86Cpu c, ref DecodedOp op) => c.Reg(op.R0) = c.Reg(op.Base) + op.Displacement;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LeaIndexOnly(X86Cpu c, ref DecodedOp op) => c.Reg(op.R0) = (c.Reg(op.Index) << op.Scale) + op.Displacement;

    // ---- stack and calls ------------------------------------------------------------------------------------------
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PushR(X86Cpu c, ref DecodedOp op) => c.Push32(c.Reg(op.R0));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PushI(X86Cpu c, ref DecodedOp op) => c.Push32(op.Immediate);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PopR(X86Cpu c, ref DecodedOp op)
    {
        uint value = c.Mmu.Read32(c.Reg(X86Cpu.ESP));
        c.Reg(X86Cpu.ESP) += 4;
        c.Reg(op.R0) = value; // POP ESP loads the popped value, after the increment
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MovzxRM8(X86Cpu c, ref DecodedOp op) => c.Reg(op.R0) = c.Mmu.Read8(EffectiveAddress(c, ref op));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MovzxRM16(X86Cpu c, ref DecodedOp op) => c.Reg(op.R0) = c.Mmu.Read16(EffectiveAddress(c, ref op));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CallRel(X86Cpu c, ref DecodedOp op)
    {
        c.Push32(op.NextIp);
        c.Eip = op.Immediate;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Ret(X86Cpu c, ref DecodedOp op) => c.Eip = c.Pop32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void JmpRel(X86Cpu c, ref DecodedOp op) => c.Eip = op.Immediate;

    // ---- Jcc ------------------------------------------------------------------------------------------------------
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Je(X86Cpu c, ref DecodedOp op)
    {
        if (c.ZF) c.Eip = op.Immediate;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Jne(X86Cpu c, ref DecodedOp op)
    {
        if (!c.ZF) c.Eip = op.Immediate;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Jb(X86Cpu c, ref DecodedOp op)
    {
        if (c.CF) c.Eip = op.Immediate;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Jae(X86Cpu c, ref DecodedOp op)
    {
        if (!c.CF) c.Eip = op.Immediate;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Jl(X86Cpu c, ref DecodedOp op)
    {
        if (c.SF != c.OF) c.Eip = op.Immediate;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Jge(X86Cpu c, ref DecodedOp op)
    {
        if (c.SF == c.OF) c.Eip = op.Immediate;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Jle(X86Cpu c, ref DecodedOp op)
    {
        if (c.ZF || c.SF != c.OF) c.Eip = op.Immediate;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Jg(X86Cpu c, ref DecodedOp op)
    {
        if (!c.ZF && c.SF == c.OF) c.Eip = op.Immediate;
    }
}
