using System.Collections.Generic;
using Iced.Intel;
using Translator.KernelCompiler.Model;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.KernelCompiler.CodeGen;

/// <summary>
/// Memory at computed addresses: loads and stores through <see cref="MemoryExpr"/>, addresses of places, and struct
/// values, which are always handled by address (a struct expression leaves its address in EAX; assigning one is a
/// block copy, passing one by value pushes a copy, <c>new S()</c> zeroes its storage).
/// </summary>
internal sealed partial class FunctionCompiler
{
    /// <summary>Block copies up to this size are unrolled into dword moves; larger ones use <c>rep movsb</c>.</summary>
    private const int UnrolledBlockBytes = 64;

    private HashSet<int>? _addressTakenSlots;

    /// <summary>
    /// Narrow locals whose address is taken: a store through a pointer writes only their low bytes, so a read must
    /// extend from memory rather than trust the dword slot to hold an extended value.
    /// </summary>
    private bool IsAddressTaken(int slot)
    {
        if (_addressTakenSlots is null)
        {
            _addressTakenSlots = new HashSet<int>();
            CollectAddressTaken(_function.Body);
        }

        return _addressTakenSlots.Contains(slot);
    }

    private void CollectAddressTaken(Stmt body)
    {
        var walker = new Linking.IrWalker();
        walker.AddressTaken = expression =>
        {
            Expr target = expression.Target is AssignExpr assignment ? assignment.Target : expression.Target;
            if (target is LocalExpr local)
            {
                _addressTakenSlots!.Add(local.Slot);
            }
        };
        walker.Visit(body);
    }

    private static bool IsPlace(Expr expression) => expression is LocalExpr or FieldExpr or ElementExpr or MemoryExpr;

    /// <summary>Loads a narrow local whose address was taken, extended from its bytes in the slot.</summary>
    private void LoadNarrowLocal(LocalExpr local)
    {
        _a.lea(ebx, Slot(local.Slot));
        LoadAt(local.Type, 0);
    }

    private void EvaluateMemory(MemoryExpr memory)
    {
        Evaluate(memory.Address);
        if (memory.Type.IsStruct)
        {
            if (memory.Offset != 0)
            {
                _a.lea(eax, __[eax + memory.Offset]);
            }

            return;
        }

        _a.mov(ebx, eax);
        LoadAt(memory.Type, memory.Offset);
    }

    /// <summary>Loads the value at [EBX + offset] into EAX (EDX:EAX), extended as its type says.</summary>
    private void LoadAt(GuestType type, int offset)
    {
        switch (type.StorageSize)
        {
            case 1:
                if (type.IsSigned)
                {
                    _a.movsx(eax, __byte_ptr[ebx + offset]);
                }
                else
                {
                    _a.movzx(eax, __byte_ptr[ebx + offset]);
                }

                break;
            case 2:
                if (type.IsSigned)
                {
                    _a.movsx(eax, __word_ptr[ebx + offset]);
                }
                else
                {
                    _a.movzx(eax, __word_ptr[ebx + offset]);
                }

                break;
            case 4:
                _a.mov(eax, __dword_ptr[ebx + offset]);
                break;
            default:
                _a.mov(eax, __dword_ptr[ebx + offset]);
                _a.mov(edx, __dword_ptr[ebx + offset + 4]);
                break;
        }
    }

    /// <summary>Leaves the address of a place (or of a struct value's storage) in EAX.</summary>
    private void EvaluateAddress(Expr target)
    {
        switch (target)
        {
            case LocalExpr local:
                _a.lea(eax, Slot(local.Slot));
                break;
            case FieldExpr field:
                _code.MovAddress(eax, _symbols.FieldAddress(field.Field));
                break;
            case ElementExpr element:
                ElementAddress(element);
                int size = element.Type.StorageSize;
                if (size is 1 or 2 or 4 or 8)
                {
                    _a.lea(eax, __[ebx + ecx * size]);
                }
                else
                {
                    _a.imul(ecx, ecx, size);
                    _a.lea(eax, __[ebx + ecx]);
                }

                break;
            case MemoryExpr memory:
                Evaluate(memory.Address);
                if (memory.Offset != 0)
                {
                    _a.lea(eax, __[eax + memory.Offset]);
                }

                break;
            case AssignExpr assignment:
                // An rvalue passed by reference: stored in its temporary first.
                Evaluate(assignment);
                EvaluateAddress(assignment.Target);
                break;
            default:
                // A struct rvalue (a call's result, new S()) evaluates to its storage's address.
                Evaluate(target);
                break;
        }
    }

    /// <summary>Stores EAX (EDX:EAX) at a place given by address: <c>*p = v</c>, <c>s.f = v</c>.</summary>
    private void AssignMemory(AssignExpr assignment)
    {
        EvaluateAddress(assignment.Target);
        if (IsSimple(assignment.Value))
        {
            _a.mov(ebx, eax);
            LoadSimple(eax, assignment.Value);
            if (assignment.Value.Type.IsWide)
            {
                LoadSimple(edx, assignment.Value, 1);
            }
        }
        else
        {
            _a.push(eax);
            Evaluate(assignment.Value);
            _a.pop(ebx);
        }

        StoreAt(assignment.Type);
    }

    /// <summary>Struct assignment: a block copy from the value's address to the target's; EAX is the target after.</summary>
    private void AssignStruct(AssignExpr assignment)
    {
        EvaluateAddress(assignment.Target);
        _a.push(eax);
        Evaluate(assignment.Value);
        _a.mov(esi, eax);
        _a.mov(edi, __dword_ptr[esp]);
        CopyBlock(assignment.Type.StorageSize);
        _a.pop(eax);
    }

    /// <summary>Pushes a copy of the struct whose address is in EAX (a by-value argument), in its slot's size.</summary>
    private void PushStruct(GuestType type)
    {
        _a.mov(esi, eax);
        _a.sub(esp, type.SlotSize);
        _a.mov(edi, esp);
        CopyBlock(type.StorageSize);
    }

    /// <summary><c>new S { ... }</c>: zeroes the storage, runs the initializers, leaves the storage's address in EAX.</summary>
    private void InitStruct(StructInitExpr init)
    {
        EvaluateAddress(init.Storage);
        _a.mov(edi, eax);
        ZeroBlock(init.Type.StorageSize);
        foreach (Expr initializer in init.Initializers)
        {
            Evaluate(initializer);
        }

        EvaluateAddress(init.Storage);
    }

    /// <summary>Copies <paramref name="size"/> bytes from [ESI] to [EDI] (the two may not overlap partially; C# copies whole values).</summary>
    private void CopyBlock(int size)
    {
        if (size > UnrolledBlockBytes)
        {
            _a.mov(ecx, size);
            _a.cld();
            _a.rep.movsb();
            return;
        }

        int offset = 0;
        for (; offset + 4 <= size; offset += 4)
        {
            _a.mov(ecx, __dword_ptr[esi + offset]);
            _a.mov(__dword_ptr[edi + offset], ecx);
        }

        if (offset + 2 <= size)
        {
            _a.mov(cx, __word_ptr[esi + offset]);
            _a.mov(__word_ptr[edi + offset], cx);
            offset += 2;
        }

        if (offset < size)
        {
            _a.mov(cl, __byte_ptr[esi + offset]);
            _a.mov(__byte_ptr[edi + offset], cl);
        }
    }

    /// <summary>Zeroes <paramref name="size"/> bytes at [EDI].</summary>
    private void ZeroBlock(int size)
    {
        _a.xor(eax, eax);
        if (size > UnrolledBlockBytes)
        {
            _a.mov(ecx, size);
            _a.cld();
            _a.rep.stosb();
            return;
        }

        int offset = 0;
        for (; offset + 4 <= size; offset += 4)
        {
            _a.mov(__dword_ptr[edi + offset], eax);
        }

        if (offset + 2 <= size)
        {
            _a.mov(__word_ptr[edi + offset], ax);
            offset += 2;
        }

        if (offset < size)
        {
            _a.mov(__byte_ptr[edi + offset], al);
        }
    }
}
