using Iced.Intel;
using Translator.Translation.Discovery;

namespace Translator.Translation.Emission;

/// <summary>Data movement, the stack, SETcc/CMOVcc, and the dispatch of inline forms to their emitters.</summary>
internal sealed partial class RegionEmitter
{
    private void EmitInline(Node node)
    {
        Instruction i = node.D.Instruction;
        switch (i.Mnemonic)
        {
            case Mnemonic.Add:
            case Mnemonic.Sub:
            case Mnemonic.Adc:
            case Mnemonic.Sbb:
            case Mnemonic.And:
            case Mnemonic.Or:
            case Mnemonic.Xor:
            case Mnemonic.Cmp:
            case Mnemonic.Test:
                EmitBinary(node);
                return;
            case Mnemonic.Inc:
            case Mnemonic.Dec:
            case Mnemonic.Neg:
            case Mnemonic.Not:
                EmitUnary(node);
                return;
            case Mnemonic.Mul:
            case Mnemonic.Imul:
                EmitMultiply(node);
                return;
            case Mnemonic.Div:
            case Mnemonic.Idiv:
                EmitDivide(node);
                return;
            case Mnemonic.Shl:
            case Mnemonic.Shr:
            case Mnemonic.Sar:
                EmitShift(node);
                return;
            case Mnemonic.Rol:
            case Mnemonic.Ror:
                EmitRotate(node);
                return;
            case Mnemonic.Mov:
            case Mnemonic.Movzx:
            case Mnemonic.Movsx:
                EmitMove(node);
                return;
            case Mnemonic.Lea:
                WriteRegister(i.Op0Register, Address(in i));
                Retire();
                FallThrough(node);
                return;
            case Mnemonic.Xchg:
                EmitExchange(node);
                return;
            case Mnemonic.Bswap:
                WriteRegister(i.Op0Register, $"System.Buffers.Binary.BinaryPrimitives.ReverseEndianness({ReadRegister(i.Op0Register)})");
                Retire();
                FallThrough(node);
                return;
            case Mnemonic.Cdq:
                WriteRegister(Register.EDX, $"(uint)((int){ReadRegister(Register.EAX)} >> 31)");
                Retire();
                FallThrough(node);
                return;
            case Mnemonic.Cwde:
                WriteRegister(Register.EAX, $"(uint)(int)(short){ReadRegister(Register.EAX)}");
                Retire();
                FallThrough(node);
                return;
            case Mnemonic.Bsr:
            case Mnemonic.Bsf:
                EmitBitScan(node);
                return;
            case Mnemonic.Shld:
            case Mnemonic.Shrd:
                EmitDoubleShift(node);
                return;
            case Mnemonic.Nop:
            case Mnemonic.Endbr32:
            case Mnemonic.Bt: // only inline while CF is dead: nothing else changes
                Retire();
                FallThrough(node);
                return;
            case Mnemonic.Push:
            case Mnemonic.Pop:
            case Mnemonic.Leave:
                EmitStack(node);
                return;
            case Mnemonic.Call:
            case Mnemonic.Ret:
            case Mnemonic.Jmp:
                EmitTransfer(node);
                return;
            default:
                if (i.IsJccShortOrNear)
                {
                    EmitConditionalBranch(node);
                }
                else if (node.D.Condition >= 0 && i.Mnemonic.ToString().StartsWith("Set", System.StringComparison.Ordinal))
                {
                    EmitSetCondition(node);
                }
                else
                {
                    EmitConditionalMove(node);
                }

                return;
        }
    }

    /// <summary>MOV, MOVZX, MOVSX between registers, memory and immediates.</summary>
    private void EmitMove(Node node)
    {
        Instruction i = node.D.Instruction;
        int bits = InstructionFacts.OperandBits(in i);
        int sourceBits = i.Op1Kind == OpKind.Register ? InstructionFacts.RegisterBits(i.Op1Register)
            : i.Op1Kind == OpKind.Memory ? MemoryBits(in i) : bits;
        W.Line("{");
        W.Indent();

        Load(node, 1, sourceBits, "v");
        string value = i.Mnemonic switch
        {
            Mnemonic.Movzx => "v",
            Mnemonic.Movsx => Masked(sourceBits == 8 ? "(uint)(int)(sbyte)v" : "(uint)(int)(short)v", bits),
            _ => "v",
        };
        if (i.Op0Kind == OpKind.Register)
        {
            WriteRegister(i.Op0Register, value);
        }
        else
        {
            W.Line($"uint m = {Address(in i)};");
            WriteMemoryFrom(node, "m", value, bits, "");
        }

        Retire();

        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    private void EmitExchange(Node node)
    {
        Instruction i = node.D.Instruction;
        W.Line("{");
        W.Indent();
        if (i.Op0Kind == OpKind.Register && i.Op1Kind == OpKind.Register)
        {
            W.Line($"uint x = {ReadRegister(i.Op0Register)}; uint y = {ReadRegister(i.Op1Register)};");
            WriteRegister(i.Op0Register, "y");
            WriteRegister(i.Op1Register, "x");
            Retire();
        }
        else
        {
            Register register = i.Op0Kind == OpKind.Register ? i.Op0Register : i.Op1Register;
            W.Line($"uint m = {Address(in i)};");
            ReadMemoryInto(node, "x", "m", 32);
            WriteMemoryFrom(node, "m", ReadRegister(register), 32, RegisterAssignment(register, "x"));
            WriteRegister(register, "x");
            Retire();
        }

        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    private void EmitSetCondition(Node node)
    {
        Instruction i = node.D.Instruction;
        W.Line("{");
        W.Indent();
        string condition = ConditionAt(node, node.D.Condition);
        W.Line($"uint v = {condition} ? 1u : 0u;");
        if (i.Op0Kind == OpKind.Register)
        {
            WriteRegister(i.Op0Register, "v");
            Retire();
        }
        else
        {
            W.Line($"uint m = {Address(in i)};");
            WriteMemoryFrom(node, "m", "v", 8, "");
            Retire();
        }

        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    /// <summary>CMOVcc: the source is read (and may fault) whatever the condition, as the handler does.</summary>
    private void EmitConditionalMove(Node node)
    {
        Instruction i = node.D.Instruction;
        W.Line("{");
        W.Indent();

        Load(node, 1, 32, "v");
        string condition = ConditionAt(node, node.D.Condition);
        W.Line($"if ({condition})");
        W.Line("{");
        W.Indent();
        WriteRegister(i.Op0Register, "v");
        W.Outdent();
        W.Line("}");
        Retire();
        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    /// <summary>PUSH/POP/LEAVE: memory first, ESP after, so a fault leaves ESP as it was.</summary>
    private void EmitStack(Node node)
    {
        Instruction i = node.D.Instruction;
        _used[4] = true;
        W.Line("{");
        W.Indent();
        switch (i.Mnemonic)
        {
            case Mnemonic.Push:
                if (i.Op0Kind == OpKind.Register)
                {
                    W.Line($"uint v = {ReadRegister(i.Op0Register)};");
                }
                else if (i.Op0Kind == OpKind.Memory)
                {
                    W.Line($"uint at = {Address(in i)};");
                    ReadMemoryInto(node, "v", "at", 32);
                }
                else
                {
                    W.Line($"uint v = {Immediate(in i, 0, 32)};");
                }

                W.Line("uint sp = esp - 4u;");
                WriteMemoryFrom(node, "sp", "v", 32, RegisterAssignment(Register.ESP, "sp"));
                WriteRegister(Register.ESP, "esp - 4u");
                Retire();
                break;
            case Mnemonic.Pop:
                ReadMemoryInto(node, "v", "esp", 32);
                WriteRegister(Register.ESP, "esp + 4u");
                WriteRegister(i.Op0Register, "v");
                Retire();
                break;
            default:
                ReadMemoryInto(node, "v", ReadRegister(Register.EBP), 32);
                WriteRegister(Register.ESP, "ebp + 4u");
                WriteRegister(Register.EBP, "v");
                Retire();
                break;
        }

        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }
}
