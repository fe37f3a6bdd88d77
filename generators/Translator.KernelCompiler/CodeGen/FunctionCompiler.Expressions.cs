using System.Collections.Generic;
using Iced.Intel;
using Translator.KernelCompiler.Intrinsics;
using Translator.KernelCompiler.Model;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.KernelCompiler.CodeGen;

internal sealed partial class FunctionCompiler
{
    private static readonly AssemblerRegister32[] ArgumentRegisters = { eax, ecx, edx, ebx };

    /// <summary>Evaluates <paramref name="expression"/> into EAX, or EDX:EAX if it is 64-bit.</summary>
    private void Evaluate(Expr expression)
    {
        switch (expression)
        {
            case ConstantExpr constant:
                LoadConstant(expression.Type, constant.Value);
                break;
            case { Type.IsStruct: true } when IsPlace(expression):
                EvaluateAddress(expression);
                break;
            case MemoryExpr memory:
                EvaluateMemory(memory);
                break;
            case AddressOfExpr address:
                EvaluateAddress(address.Target);
                break;
            case StructInitExpr init:
                InitStruct(init);
                break;
            case LocalExpr local when local.Type.StorageSize < 4 && IsAddressTaken(local.Slot):
                LoadNarrowLocal(local);
                break;
            case LocalExpr local:
                _a.mov(eax, Slot(local.Slot));
                if (local.Type.IsWide)
                {
                    _a.mov(edx, Slot(local.Slot, 4));
                }

                break;
            case FieldExpr field:
                LoadField(field);
                break;
            case StringLiteralExpr literal:
                _code.MovAddress(eax, _symbols.String(literal.Value));
                break;
            case ElementExpr element:
                ElementAddress(element);
                LoadIndexed(element.Type);
                break;
            case LengthExpr length:
                Evaluate(length.Array);
                _a.mov(eax, __dword_ptr[eax - 4]);
                break;
            case UnaryExpr unary:
                EvaluateUnary(unary);
                break;
            case BinaryExpr binary:
                EvaluateBinary(binary);
                break;
            case ConvertExpr conversion:
                Evaluate(conversion.Operand);
                Convert(conversion.Operand.Type, conversion.Type);
                break;
            case AssignExpr assignment:
                Assign(assignment);
                break;
            case CompoundAssignExpr compound:
                CompoundAssign(compound);
                break;
            case IncrementExpr increment:
                Increment(increment);
                break;
            case CallExpr call:
                Call(call);
                break;
            case IntrinsicExpr intrinsic:
                CallIntrinsic(intrinsic);
                break;
            case HypercallExpr hypercall:
                CallHypercall(hypercall);
                break;
            case ConditionalExpr conditional:
                Label otherwise = _code.NewLabel();
                Label end = _code.NewLabel();
                BranchOn(conditional.Condition, otherwise, jumpIf: false);
                Evaluate(conditional.WhenTrue);
                _a.jmp(end);
                _code.Bind(otherwise);
                Evaluate(conditional.WhenFalse);
                _code.Bind(end);
                break;
            case FunctionAddressExpr address:
                _code.MovCodeAddress(eax, _symbols.Function(address.Function));
                break;
            case LetExpr let:
                EvaluateLet(let);
                break;
            case BitCountExpr bits:
                EvaluateBitCount(bits);
                break;
        }
    }

    private void LoadConstant(GuestType type, ulong value)
    {
        uint low = (uint)value;
        if (low == 0)
        {
            _a.xor(eax, eax);
        }
        else
        {
            _a.mov(eax, low);
        }

        if (type.IsWide)
        {
            _a.mov(edx, (uint)(value >> 32));
        }
    }

    /// <summary>Whether an operand can be loaded into any register without disturbing the others.</summary>
    private bool IsSimple(Expr expression)
        => expression is ConstantExpr || (expression is LocalExpr local && local.Type.Kind is not ValueKind.Struct
            && !(local.Type.StorageSize < 4 && IsAddressTaken(local.Slot)));

    private void LoadSimple(AssemblerRegister32 register, Expr expression, int half = 0)
    {
        if (expression is ConstantExpr constant)
        {
            _a.mov(register, (uint)(constant.Value >> (32 * half)));
        }
        else
        {
            _a.mov(register, Slot(((LocalExpr)expression).Slot, 4 * half));
        }
    }

    private void LoadField(FieldExpr field)
    {
        GuestField definition = _symbols.Field(field.Field);
        DataAddress address = _symbols.FieldAddress(field.Field);
        if (definition.Storage != FieldStorage.Scalar)
        {
            if (_symbols.TryGetPointerCell(field.Field, out DataAddress cell))
            {
                _a.mov(eax, __dword_ptr[CodeBuffer.Placeholder(cell)]);
                _code.RelocateLast(cell, displacement: true);
            }
            else
            {
                _code.MovAddress(eax, address);
            }

            return;
        }

        uint placeholder = CodeBuffer.Placeholder(address);
        switch (field.Type.StorageSize)
        {
            case 1:
                if (field.Type.IsSigned)
                {
                    _a.movsx(eax, __byte_ptr[placeholder]);
                }
                else
                {
                    _a.movzx(eax, __byte_ptr[placeholder]);
                }

                break;
            case 2:
                if (field.Type.IsSigned)
                {
                    _a.movsx(eax, __word_ptr[placeholder]);
                }
                else
                {
                    _a.movzx(eax, __word_ptr[placeholder]);
                }

                break;
            default:
                _a.mov(eax, __dword_ptr[placeholder]);
                break;
        }

        _code.RelocateLast(address, displacement: true);
        if (field.Type.IsWide)
        {
            DataAddress high = address with { Offset = address.Offset + 4 };
            _a.mov(edx, __dword_ptr[CodeBuffer.Placeholder(high)]);
            _code.RelocateLast(high, displacement: true);
        }
    }

    private void StoreField(FieldExpr field)
    {
        GuestField definition = _symbols.Field(field.Field);
        DataAddress address = definition.Storage == FieldStorage.Scalar
            ? _symbols.FieldAddress(field.Field)
            : _symbols.TryGetPointerCell(field.Field, out DataAddress cell) ? cell : _symbols.FieldAddress(field.Field);
        uint placeholder = CodeBuffer.Placeholder(address);
        switch (definition.Storage == FieldStorage.Scalar ? field.Type.StorageSize : 4)
        {
            case 1:
                _a.mov(__byte_ptr[placeholder], al);
                break;
            case 2:
                _a.mov(__word_ptr[placeholder], ax);
                break;
            default:
                _a.mov(__dword_ptr[placeholder], eax);
                break;
        }

        _code.RelocateLast(address, displacement: true);
        if (field.Type.IsWide)
        {
            DataAddress high = address with { Offset = address.Offset + 4 };
            _a.mov(__dword_ptr[CodeBuffer.Placeholder(high)], edx);
            _code.RelocateLast(high, displacement: true);
        }
    }

    /// <summary>Leaves a bounds-checked element's array in EBX and its index in ECX.</summary>
    private void ElementAddress(ElementExpr element)
    {
        if (IsSimple(element.Index))
        {
            Evaluate(element.Array);
            _a.mov(ebx, eax);
            LoadSimple(ecx, element.Index);
        }
        else
        {
            Evaluate(element.Array);
            _a.push(eax);
            Evaluate(element.Index);
            _a.mov(ecx, eax);
            _a.pop(ebx);
        }

        _a.cmp(ecx, __dword_ptr[ebx - 4]);
        _a.jae(_symbols.BoundsFailure);
    }

    private static int Scale(GuestType type) => type.StorageSize;

    /// <summary>Loads the element at EBX + ECX * size into EAX (EDX:EAX), extended as its type says.</summary>
    private void LoadIndexed(GuestType type)
    {
        switch (type.StorageSize)
        {
            case 1:
                if (type.IsSigned)
                {
                    _a.movsx(eax, __byte_ptr[ebx + ecx]);
                }
                else
                {
                    _a.movzx(eax, __byte_ptr[ebx + ecx]);
                }

                break;
            case 2:
                if (type.IsSigned)
                {
                    _a.movsx(eax, __word_ptr[ebx + ecx * 2]);
                }
                else
                {
                    _a.movzx(eax, __word_ptr[ebx + ecx * 2]);
                }

                break;
            case 4:
                _a.mov(eax, __dword_ptr[ebx + ecx * 4]);
                break;
            default:
                _a.mov(eax, __dword_ptr[ebx + ecx * 8]);
                _a.mov(edx, __dword_ptr[ebx + ecx * 8 + 4]);
                break;
        }
    }

    /// <summary>Narrows or widens the value in EAX (EDX:EAX) from one integer type to another, as C# does.</summary>
    private void Convert(GuestType from, GuestType to)
    {
        if (to.IsWide)
        {
            if (!from.IsWide)
            {
                if (from.IsSigned)
                {
                    _a.cdq();
                }
                else
                {
                    _a.xor(edx, edx);
                }
            }

            return;
        }

        Normalize(to);
    }

    /// <summary>Re-extends EAX after arithmetic so that it holds a valid value of a narrow type.</summary>
    private void Normalize(GuestType type)
    {
        switch (type.Kind)
        {
            case ValueKind.Byte:
            case ValueKind.Bool:
                _a.movzx(eax, al);
                break;
            case ValueKind.SByte:
                _a.movsx(eax, al);
                break;
            case ValueKind.Int16:
                _a.movsx(eax, ax);
                break;
            case ValueKind.UInt16:
            case ValueKind.Char:
                _a.movzx(eax, ax);
                break;
        }
    }

    private void EvaluateUnary(UnaryExpr unary)
    {
        Evaluate(unary.Operand);
        switch (unary.Op)
        {
            case UnaryOp.Negate when unary.Type.IsWide:
                Negate64(eax, edx);
                break;
            case UnaryOp.Negate:
                _a.neg(eax);
                break;
            case UnaryOp.Complement:
                _a.not(eax);
                if (unary.Type.IsWide)
                {
                    _a.not(edx);
                }

                break;
            case UnaryOp.Not:
                _a.xor(eax, 1);
                break;
        }
    }

    private void Negate64(AssemblerRegister32 low, AssemblerRegister32 high)
    {
        _a.neg(low);
        _a.adc(high, 0);
        _a.neg(high);
    }

    private void Call(CallExpr call)
    {
        for (int i = call.Arguments.Count - 1; i >= 0; i--)
        {
            Evaluate(call.Arguments[i]);
            if (call.Arguments[i].Type.IsStruct)
            {
                PushStruct(call.Arguments[i].Type);
                continue;
            }

            if (call.Arguments[i].Type.IsWide)
            {
                _a.push(edx);
            }

            _a.push(eax);
        }

        _a.call(_symbols.Function(call.Function));
    }

    private static readonly AssemblerRegister32[] HypercallRegisters = { ebx, ecx, edx, esi, edi };

    /// <summary>Arguments to EBX, ECX, EDX, ESI, EDI, <c>call hypercall_page + 32 * n</c>; the result is EAX.</summary>
    private void CallHypercall(HypercallExpr hypercall)
    {
        for (int i = hypercall.Arguments.Count - 1; i >= 0; i--)
        {
            Evaluate(hypercall.Arguments[i]);
            _a.push(eax);
        }

        for (int i = 0; i < hypercall.Arguments.Count; i++)
        {
            _a.pop(HypercallRegisters[i]);
        }

        PvLowering.Hypercall(_code, _symbols, hypercall.Number);
    }

    /// <summary>Evaluates an intrinsic's non-constant arguments into EAX, ECX, EDX, EBX and applies its bare-metal lowering.</summary>
    private void CallIntrinsic(IntrinsicExpr intrinsic)
    {
        IntrinsicDefinition definition = IntrinsicTable.Get(intrinsic.Intrinsic);
        var constants = new List<ulong?>();
        var values = new List<Expr>();
        for (int i = 0; i < intrinsic.Arguments.Count; i++)
        {
            bool constant = (definition.ConstantArguments & (1 << i)) != 0;
            constants.Add(constant && intrinsic.Arguments[i] is ConstantExpr c ? c.Value : null);
            if (!constant)
            {
                values.Add(intrinsic.Arguments[i]);
            }
        }

        if (values.Count == 1 && !values[0].Type.IsWide)
        {
            Evaluate(values[0]);
        }
        else if (values.Count > 0)
        {
            int words = 0;
            for (int i = values.Count - 1; i >= 0; i--)
            {
                Evaluate(values[i]);
                if (values[i].Type.IsWide)
                {
                    _a.push(edx);
                    words++;
                }

                _a.push(eax);
                words++;
            }

            for (int i = 0; i < words; i++)
            {
                _a.pop(ArgumentRegisters[i]);
            }
        }

        IntrinsicTable.Lowering(definition, _symbols.Paravirtual)(new IntrinsicContext(_code, constants, _symbols));
    }
}
