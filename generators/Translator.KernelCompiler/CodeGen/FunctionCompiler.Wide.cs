using Iced.Intel;
using Translator.KernelCompiler.Model;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.KernelCompiler.CodeGen;

/// <summary>64-bit arithmetic: values in EDX:EAX, the right operand in ECX:EBX, division in a runtime routine.</summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>Left operand into EDX:EAX, right into ECX:EBX.</summary>
    private void Operands64(Expr left, Expr right)
    {
        if (IsSimple(right))
        {
            Evaluate(left);
            LoadSimple(ebx, right, 0);
            LoadSimple(ecx, right, 1);
            return;
        }

        Evaluate(left);
        _a.push(edx);
        _a.push(eax);
        Evaluate(right);
        _a.mov(ebx, eax);
        _a.mov(ecx, edx);
        _a.pop(eax);
        _a.pop(edx);
    }

    private void EvaluateBinary64(BinaryExpr binary)
    {
        if (binary.Op is BinaryOp.ShiftLeft or BinaryOp.ShiftRight or BinaryOp.ShiftRightUnsigned)
        {
            if (IsSimple(binary.Right))
            {
                Evaluate(binary.Left);
                LoadSimple(ecx, binary.Right);
            }
            else
            {
                Evaluate(binary.Left);
                _a.push(edx);
                _a.push(eax);
                Evaluate(binary.Right);
                _a.mov(ecx, eax);
                _a.pop(eax);
                _a.pop(edx);
            }
        }
        else
        {
            Operands64(binary.Left, binary.Right);
        }

        Apply64(binary.Op, binary.OperandType);
    }

    /// <summary>EDX:EAX = EDX:EAX op ECX:EBX (for shifts, by CL).</summary>
    private void Apply64(BinaryOp op, GuestType type)
    {
        switch (op)
        {
            case BinaryOp.Add:
                _a.add(eax, ebx);
                _a.adc(edx, ecx);
                break;
            case BinaryOp.Subtract:
                _a.sub(eax, ebx);
                _a.sbb(edx, ecx);
                break;
            case BinaryOp.And:
                _a.and(eax, ebx);
                _a.and(edx, ecx);
                break;
            case BinaryOp.Or:
                _a.or(eax, ebx);
                _a.or(edx, ecx);
                break;
            case BinaryOp.Xor:
                _a.xor(eax, ebx);
                _a.xor(edx, ecx);
                break;
            case BinaryOp.Multiply:
                // (a.hi*b.lo + a.lo*b.hi) << 32 + a.lo*b.lo: the low 64 bits of the product, signed or not.
                _a.imul(edx, ebx);
                _a.imul(ecx, eax);
                _a.add(ecx, edx);
                _a.mul(ebx);
                _a.add(edx, ecx);
                break;
            case BinaryOp.Divide:
            case BinaryOp.Remainder:
                _symbols.UsesDivide64 = true;
                _a.call(type.IsSigned ? _symbols.SignedDivide64 : _symbols.UnsignedDivide64);
                if (op == BinaryOp.Remainder)
                {
                    _a.mov(eax, ebx);
                    _a.mov(edx, ecx);
                }

                break;
            case BinaryOp.ShiftLeft:
                ShiftLeft64();
                break;
            case BinaryOp.ShiftRight when type.IsSigned:
                ShiftRight64(arithmetic: true);
                break;
            case BinaryOp.ShiftRight:
            case BinaryOp.ShiftRightUnsigned:
                ShiftRight64(arithmetic: false);
                break;
        }
    }

    /// <summary>SHLD/SHL shift by CL mod 32; bit 5 of the count (C# masks it to 6 bits) moves a whole half.</summary>
    private void ShiftLeft64()
    {
        Label done = _code.NewLabel();
        _a.shld(edx, eax, cl);
        _a.shl(eax, cl);
        _a.test(cl, 32);
        _a.je(done);
        _a.mov(edx, eax);
        _a.xor(eax, eax);
        _code.Bind(done);
    }

    private void ShiftRight64(bool arithmetic)
    {
        Label done = _code.NewLabel();
        _a.shrd(eax, edx, cl);
        if (arithmetic)
        {
            _a.sar(edx, cl);
        }
        else
        {
            _a.shr(edx, cl);
        }

        _a.test(cl, 32);
        _a.je(done);
        _a.mov(eax, edx);
        if (arithmetic)
        {
            _a.sar(edx, 31);
        }
        else
        {
            _a.xor(edx, edx);
        }

        _code.Bind(done);
    }

    /// <summary>Compares EDX:EAX with ECX:EBX and jumps to <paramref name="target"/> if <paramref name="op"/> holds.</summary>
    private void Compare64(BinaryOp op, bool signed, Label target)
    {
        if (op is BinaryOp.Equal or BinaryOp.NotEqual)
        {
            Label decided = _code.NewLabel();
            _a.cmp(eax, ebx);
            _a.jne(decided);
            _a.cmp(edx, ecx);
            _code.Bind(decided);
            Jump(op, signed: false, target);
            return;
        }

        // The high halves decide (with the operand's signedness) unless equal; then the low halves, unsigned.
        BinaryOp strict = op is BinaryOp.Less or BinaryOp.LessOrEqual ? BinaryOp.Less : BinaryOp.Greater;
        BinaryOp opposite = strict == BinaryOp.Less ? BinaryOp.Greater : BinaryOp.Less;
        Label skip = _code.NewLabel();
        _a.cmp(edx, ecx);
        Jump(strict, signed, target);
        Jump(opposite, signed, skip);
        _a.cmp(eax, ebx);
        Jump(op, signed: false, target);
        _code.Bind(skip);
    }
}
