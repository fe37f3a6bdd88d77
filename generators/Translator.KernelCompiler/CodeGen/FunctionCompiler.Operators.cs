using Iced.Intel;
using Translator.KernelCompiler.Model;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.KernelCompiler.CodeGen;

internal sealed partial class FunctionCompiler
{
    private static bool IsComparison(BinaryOp op) => op is >= BinaryOp.Equal and <= BinaryOp.GreaterOrEqual;

    private void EvaluateBinary(BinaryExpr binary)
    {
        if (IsComparison(binary.Op) || binary.Op is BinaryOp.AndAlso or BinaryOp.OrElse)
        {
            if (!binary.OperandType.IsWide && IsComparison(binary.Op))
            {
                Operands32(binary.Left, binary.Right);
                _a.cmp(eax, ecx);
                SetCondition(binary.Op, binary.OperandType.IsSigned);
                _a.movzx(eax, al);
                return;
            }

            Label isTrue = _code.NewLabel();
            Label end = _code.NewLabel();
            BranchOn(binary, isTrue, jumpIf: true);
            _a.xor(eax, eax);
            _a.jmp(end);
            _code.Bind(isTrue);
            _a.mov(eax, 1);
            _code.Bind(end);
            return;
        }

        if (binary.OperandType.IsWide)
        {
            EvaluateBinary64(binary);
            return;
        }

        if (binary.Right is ConstantExpr constant && TryImmediate(binary.Op, (uint)constant.Value))
        {
            Evaluate(binary.Left);
            ApplyImmediate(binary.Op, binary.OperandType, (uint)constant.Value);
        }
        else
        {
            Operands32(binary.Left, binary.Right);
            Apply32(binary.Op, binary.OperandType);
        }

        Normalize(binary.Type);
    }

    /// <summary>Left operand into EAX, right into ECX.</summary>
    private void Operands32(Expr left, Expr right)
    {
        if (IsSimple(right))
        {
            Evaluate(left);
            LoadSimple(ecx, right);
            return;
        }

        Evaluate(left);
        _a.push(eax);
        Evaluate(right);
        _a.mov(ecx, eax);
        _a.pop(eax);
    }

    private static bool TryImmediate(BinaryOp op, uint value)
        => op is BinaryOp.Add or BinaryOp.Subtract or BinaryOp.And or BinaryOp.Or or BinaryOp.Xor
            or BinaryOp.ShiftLeft or BinaryOp.ShiftRight or BinaryOp.ShiftRightUnsigned
            || (op == BinaryOp.Multiply && value != 0);

    private void ApplyImmediate(BinaryOp op, GuestType type, uint value)
    {
        int imm = unchecked((int)value);
        switch (op)
        {
            case BinaryOp.Add:
                _a.add(eax, imm);
                break;
            case BinaryOp.Subtract:
                _a.sub(eax, imm);
                break;
            case BinaryOp.And:
                _a.and(eax, imm);
                break;
            case BinaryOp.Or:
                _a.or(eax, imm);
                break;
            case BinaryOp.Xor:
                _a.xor(eax, imm);
                break;
            case BinaryOp.Multiply:
                _a.imul(eax, eax, imm);
                break;
            case BinaryOp.ShiftLeft:
                _a.shl(eax, (byte)(value & 31));
                break;
            case BinaryOp.ShiftRight when type.IsSigned:
                _a.sar(eax, (byte)(value & 31));
                break;
            case BinaryOp.ShiftRight:
            case BinaryOp.ShiftRightUnsigned:
                _a.shr(eax, (byte)(value & 31));
                break;
        }
    }

    /// <summary>EAX = EAX op ECX for a 32-bit (or bool) operand type.</summary>
    private void Apply32(BinaryOp op, GuestType type)
    {
        switch (op)
        {
            case BinaryOp.Add:
                _a.add(eax, ecx);
                break;
            case BinaryOp.Subtract:
                _a.sub(eax, ecx);
                break;
            case BinaryOp.Multiply:
                _a.imul(eax, ecx);
                break;
            case BinaryOp.Divide:
            case BinaryOp.Remainder:
                if (type.IsSigned)
                {
                    _a.cdq();
                    _a.idiv(ecx);
                }
                else
                {
                    _a.xor(edx, edx);
                    _a.div(ecx);
                }

                if (op == BinaryOp.Remainder)
                {
                    _a.mov(eax, edx);
                }

                break;
            case BinaryOp.And:
                _a.and(eax, ecx);
                break;
            case BinaryOp.Or:
                _a.or(eax, ecx);
                break;
            case BinaryOp.Xor:
                _a.xor(eax, ecx);
                break;
            case BinaryOp.ShiftLeft:
                _a.shl(eax, cl);
                break;
            case BinaryOp.ShiftRight when type.IsSigned:
                _a.sar(eax, cl);
                break;
            case BinaryOp.ShiftRight:
            case BinaryOp.ShiftRightUnsigned:
                _a.shr(eax, cl);
                break;
        }
    }

    private void SetCondition(BinaryOp op, bool signed)
    {
        switch (op)
        {
            case BinaryOp.Equal: _a.sete(al); break;
            case BinaryOp.NotEqual: _a.setne(al); break;
            case BinaryOp.Less: if (signed) { _a.setl(al); } else { _a.setb(al); } break;
            case BinaryOp.LessOrEqual: if (signed) { _a.setle(al); } else { _a.setbe(al); } break;
            case BinaryOp.Greater: if (signed) { _a.setg(al); } else { _a.seta(al); } break;
            default: if (signed) { _a.setge(al); } else { _a.setae(al); } break;
        }
    }

    private void Jump(BinaryOp op, bool signed, Label target)
    {
        switch (op)
        {
            case BinaryOp.Equal: _a.je(target); break;
            case BinaryOp.NotEqual: _a.jne(target); break;
            case BinaryOp.Less: if (signed) { _a.jl(target); } else { _a.jb(target); } break;
            case BinaryOp.LessOrEqual: if (signed) { _a.jle(target); } else { _a.jbe(target); } break;
            case BinaryOp.Greater: if (signed) { _a.jg(target); } else { _a.ja(target); } break;
            default: if (signed) { _a.jge(target); } else { _a.jae(target); } break;
        }
    }

    private static BinaryOp Negate(BinaryOp op) => op switch
    {
        BinaryOp.Equal => BinaryOp.NotEqual,
        BinaryOp.NotEqual => BinaryOp.Equal,
        BinaryOp.Less => BinaryOp.GreaterOrEqual,
        BinaryOp.GreaterOrEqual => BinaryOp.Less,
        BinaryOp.LessOrEqual => BinaryOp.Greater,
        _ => BinaryOp.LessOrEqual,
    };

    /// <summary>Jumps to <paramref name="target"/> when <paramref name="condition"/> equals <paramref name="jumpIf"/>.</summary>
    private void BranchOn(Expr condition, Label target, bool jumpIf)
    {
        switch (condition)
        {
            case ConstantExpr constant:
                if ((constant.Value != 0) == jumpIf)
                {
                    _a.jmp(target);
                }

                return;
            case UnaryExpr { Op: UnaryOp.Not } not:
                BranchOn(not.Operand, target, !jumpIf);
                return;
            case BinaryExpr { Op: BinaryOp.AndAlso } and:
                if (jumpIf)
                {
                    Label skip = _code.NewLabel();
                    BranchOn(and.Left, skip, false);
                    BranchOn(and.Right, target, true);
                    _code.Bind(skip);
                }
                else
                {
                    BranchOn(and.Left, target, false);
                    BranchOn(and.Right, target, false);
                }

                return;
            case BinaryExpr { Op: BinaryOp.OrElse } or:
                if (jumpIf)
                {
                    BranchOn(or.Left, target, true);
                    BranchOn(or.Right, target, true);
                }
                else
                {
                    Label skip = _code.NewLabel();
                    BranchOn(or.Left, skip, true);
                    BranchOn(or.Right, target, false);
                    _code.Bind(skip);
                }

                return;
            case BinaryExpr comparison when IsComparison(comparison.Op):
                BinaryOp op = jumpIf ? comparison.Op : Negate(comparison.Op);
                if (comparison.OperandType.IsWide)
                {
                    Operands64(comparison.Left, comparison.Right);
                    Compare64(op, comparison.OperandType.IsSigned, target);
                    return;
                }

                if (comparison.Right is ConstantExpr right)
                {
                    Evaluate(comparison.Left);
                    _a.cmp(eax, unchecked((int)(uint)right.Value));
                }
                else
                {
                    Operands32(comparison.Left, comparison.Right);
                    _a.cmp(eax, ecx);
                }

                Jump(op, comparison.OperandType.IsSigned, target);
                return;
            default:
                Evaluate(condition);
                _a.test(eax, eax);
                if (jumpIf)
                {
                    _a.jne(target);
                }
                else
                {
                    _a.je(target);
                }

                return;
        }
    }
}
