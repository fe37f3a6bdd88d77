using Iced.Intel;
using Translator.KernelCompiler.Model;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.KernelCompiler.CodeGen;

/// <summary>Assignments: simple, compound and ++/--, on locals, static fields, frame fields and array elements.</summary>
internal sealed partial class FunctionCompiler
{
    private void Assign(AssignExpr assignment)
    {
        if (assignment.Type.IsStruct)
        {
            AssignStruct(assignment);
            return;
        }

        if (assignment.Target is MemoryExpr)
        {
            AssignMemory(assignment);
            return;
        }

        if (assignment.Target is ElementExpr element)
        {
            if (IsSimple(assignment.Value))
            {
                ElementAddress(element);
                LoadSimple(eax, assignment.Value);
                if (assignment.Value.Type.IsWide)
                {
                    LoadSimple(edx, assignment.Value, 1);
                }

                _a.lea(ebx, __[ebx + ecx * Scale(element.Type)]);
            }
            else
            {
                ElementAddress(element);
                _a.lea(ebx, __[ebx + ecx * Scale(element.Type)]);
                _a.push(ebx);
                Evaluate(assignment.Value);
                _a.pop(ebx);
            }

            StoreAt(element.Type);
            return;
        }

        Evaluate(assignment.Value);
        Store(assignment.Target, keepAddress: false);
    }

    /// <summary>Stores EAX (EDX:EAX) at [EBX] with the type's width.</summary>
    private void StoreAt(GuestType type)
    {
        switch (type.StorageSize)
        {
            case 1:
                _a.mov(__byte_ptr[ebx], al);
                break;
            case 2:
                _a.mov(__word_ptr[ebx], ax);
                break;
            case 4:
                _a.mov(__dword_ptr[ebx], eax);
                break;
            default:
                _a.mov(__dword_ptr[ebx], eax);
                _a.mov(__dword_ptr[ebx + 4], edx);
                break;
        }
    }

    /// <summary>Computes an element target's address and pushes it (other targets need nothing).</summary>
    private void PrepareTarget(Expr target)
    {
        if (target is ElementExpr element)
        {
            ElementAddress(element);
            _a.lea(ebx, __[ebx + ecx * Scale(element.Type)]);
            _a.push(ebx);
        }
        else if (target is MemoryExpr)
        {
            EvaluateAddress(target);
            _a.push(eax);
        }
    }

    private void LoadTarget(Expr target)
    {
        if (target is ElementExpr element)
        {
            _a.mov(ebx, __dword_ptr[esp]);
            _a.xor(ecx, ecx);
            LoadIndexed(element.Type);
            return;
        }

        if (target is MemoryExpr)
        {
            _a.mov(ebx, __dword_ptr[esp]);
            LoadAt(target.Type, 0);
            return;
        }

        Evaluate(target);
    }

    /// <summary>Stores EAX (EDX:EAX) into a target; an element's address is the dword on top of the stack.</summary>
    private void Store(Expr target, bool keepAddress)
    {
        switch (target)
        {
            case LocalExpr local:
                _a.mov(Slot(local.Slot), eax);
                if (local.Type.IsWide)
                {
                    _a.mov(Slot(local.Slot, 4), edx);
                }

                break;
            case FieldExpr field:
                StoreField(field);
                break;
            case ElementExpr or MemoryExpr:
                _a.mov(ebx, __dword_ptr[esp]);
                StoreAt(target.Type);
                if (!keepAddress)
                {
                    _a.add(esp, 4);
                }

                break;
        }
    }

    private void CompoundAssign(CompoundAssignExpr compound)
    {
        PrepareTarget(compound.Target);
        LoadTarget(compound.Target);
        Convert(compound.Target.Type, compound.OperandType);
        bool shift = compound.Op is BinaryOp.ShiftLeft or BinaryOp.ShiftRight or BinaryOp.ShiftRightUnsigned;
        bool wide = compound.OperandType.IsWide;

        if (IsSimple(compound.Value))
        {
            LoadSimple(shift || !wide ? ecx : ebx, compound.Value);
            if (wide && !shift)
            {
                LoadSimple(ecx, compound.Value, 1);
            }
        }
        else
        {
            if (wide)
            {
                _a.push(edx);
            }

            _a.push(eax);
            Evaluate(compound.Value);
            if (wide && !shift)
            {
                _a.mov(ebx, eax);
                _a.mov(ecx, edx);
            }
            else
            {
                _a.mov(ecx, eax);
            }

            _a.pop(eax);
            if (wide)
            {
                _a.pop(edx);
            }
        }

        if (wide)
        {
            Apply64(compound.Op, compound.OperandType);
        }
        else
        {
            Apply32(compound.Op, compound.OperandType);
        }

        Convert(compound.OperandType, compound.Type);
        Store(compound.Target, keepAddress: false);
    }

    /// <summary>++/--: the new value is stored; a postfix result is recomputed from it (adding one is invertible).</summary>
    private void Increment(IncrementExpr increment)
    {
        PrepareTarget(increment.Target);
        LoadTarget(increment.Target);
        Step(increment.Type, increment.Increment);
        Store(increment.Target, keepAddress: false);
        if (increment.Postfix)
        {
            Step(increment.Type, !increment.Increment);
        }
    }

    private void Step(GuestType type, bool up)
    {
        if (type.IsWide)
        {
            if (up)
            {
                _a.add(eax, 1);
                _a.adc(edx, 0);
            }
            else
            {
                _a.sub(eax, 1);
                _a.sbb(edx, 0);
            }

            return;
        }

        if (up)
        {
            _a.inc(eax);
        }
        else
        {
            _a.dec(eax);
        }

        Normalize(type);
    }
}
