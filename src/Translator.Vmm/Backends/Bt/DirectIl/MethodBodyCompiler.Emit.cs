using System.Reflection;
using System.Reflection.Emit;

namespace Translator.Vmm.Backends.Bt.DirectIl;

/// <summary>Expressions: the IL of bound expressions, assignments and conditions.</summary>
internal sealed partial class MethodBodyCompiler
{
    /// <summary>Emits <paramref name="e"/>'s value; returns its type.</summary>
    private Type EmitValue(Expr e)
    {
        Type type = Bind(e);
        switch (e)
        {
            case Literal literal:
                EmitLiteral(literal, type);
                break;
            case NameExpr:
            {
                var v = (Variable)_symbols[e];
                EmitLoadVariable(v);
                if (v.IsRef)
                {
                    NumericRules.EmitLoadIndirect(_il, v.Type);
                }

                break;
            }

            case MemberExpr member:
                switch (_symbols[member])
                {
                    case ConstantSlot slot:
                        _il.Emit(OpCodes.Ldarg_0);
                        _il.Emit(OpCodes.Ldc_I4, slot.Slot);
                        _il.Emit(OpCodes.Ldelem_Ref);
                        _il.Emit(OpCodes.Castclass, slot.Type);
                        break;
                    case ConstantValue constant:
                        NumericRules.EmitConstant(_il, constant.Bits, type);
                        break;
                    case FieldInfo field:
                        if (field.IsStatic)
                        {
                            _il.Emit(OpCodes.Ldsfld, field);
                        }
                        else
                        {
                            EmitReceiver(member.Target);
                            _il.Emit(OpCodes.Ldfld, field);
                        }

                        break;
                    case PropertyInfo property:
                        EmitCallTo(property.GetMethod ?? throw new DirectIlException($"{_syntax.Name}: {property.Name} cannot be read"), member.Target);
                        break;
                    case ByRef:
                        EmitAddress(member);
                        NumericRules.EmitLoadIndirect(_il, type);
                        break;
                }

                break;
            case CallExpr call:
                EmitCall(call);
                if (_symbols[call] is ByRef)
                {
                    NumericRules.EmitLoadIndirect(_il, type);
                }

                break;
            case IndexExpr index:
                if (Bind(index.Target).IsArray)
                {
                    EmitValue(index.Target);
                    EmitOperand(index.Index, typeof(int));
                    if (type.IsValueType)
                    {
                        _il.Emit(OpCodes.Ldelem, type);
                    }
                    else
                    {
                        _il.Emit(OpCodes.Ldelem_Ref);
                    }
                }
                else
                {
                    EmitAddress(index);
                    NumericRules.EmitLoadIndirect(_il, type);
                }

                break;
            case UnaryExpr unary:
                switch (unary.Op)
                {
                    case "!":
                        EmitValue(unary.Operand);
                        _il.Emit(OpCodes.Ldc_I4_0);
                        _il.Emit(OpCodes.Ceq);
                        break;
                    case "~":
                        EmitOperand(unary.Operand, type);
                        _il.Emit(OpCodes.Not);
                        break;
                    case "-":
                        EmitOperand(unary.Operand, type);
                        _il.Emit(OpCodes.Neg);
                        break;
                    case "*":
                        EmitValue(unary.Operand);
                        NumericRules.EmitLoadIndirect(_il, type);
                        break;
                }

                break;
            case CastExpr cast:
                EmitOperand(cast.Operand, type);
                break;
            case BinaryExpr binary:
                EmitBinary(binary, type);
                break;
            case ConditionalExpr conditional:
            {
                Label otherwise = _il.DefineLabel(), end = _il.DefineLabel();
                EmitBranch(conditional.Condition, otherwise, when: false);
                EmitConverted(conditional.WhenTrue, type);
                _il.Emit(OpCodes.Br, end);
                _il.MarkLabel(otherwise);
                EmitConverted(conditional.WhenFalse, type);
                _il.MarkLabel(end);
                break;
            }

            case NewExpr creation:
            {
                var ctor = (ConstructorInfo)_symbols[creation];
                ParameterInfo[] parameters = ctor.GetParameters();
                for (int i = 0; i < parameters.Length; i++)
                {
                    EmitArgument(creation.Arguments[i], parameters[i].ParameterType);
                }

                _il.Emit(OpCodes.Newobj, ctor);
                break;
            }

            default:
                throw new DirectIlException($"{_syntax.Name}: {e.GetType().Name} has no value here");
        }

        return type;
    }

    private void EmitLiteral(Literal literal, Type type)
    {
        switch (literal.Value)
        {
            case ulong bits:
                NumericRules.EmitConstant(_il, bits, type);
                break;
            case bool flag:
                _il.Emit(flag ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);
                break;
            case string text:
                _il.Emit(OpCodes.Ldstr, text);
                break;
            case null:
                _il.Emit(OpCodes.Ldnull);
                break;
        }
    }

    /// <summary>Emits <paramref name="e"/> converted to <paramref name="to"/> by an implicit conversion (an error otherwise).</summary>
    private void EmitConverted(Expr e, Type to)
    {
        if (!CanConvertImplicitly(e, to))
        {
            throw new DirectIlException($"{_syntax.Name}: cannot convert {NumericRules.Name(Bind(e))} to {NumericRules.Name(to)} implicitly");
        }

        if (e is Literal { Value: null } && to.IsPointer)
        {
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Conv_U);
            return;
        }

        EmitOperand(e, to);
    }

    /// <summary>Emits <paramref name="e"/> converted to <paramref name="to"/> (explicitly: an operand's promotion or a cast).</summary>
    private void EmitOperand(Expr e, Type to)
    {
        Type from = Bind(e);
        if (e is Literal { Value: ulong bits } && NumericRules.IsIntegral(to))
        {
            NumericRules.EmitConstant(_il, bits, to); // a constant is pushed in the type it converts to
            return;
        }

        EmitValue(e);
        NumericRules.EmitConversion(_il, from, to);
    }

    private void EmitArgument(Expr argument, Type parameter)
    {
        if (parameter.IsByRef)
        {
            EmitAddress(((RefExpr)argument).Operand);
        }
        else
        {
            EmitConverted(argument, parameter);
        }
    }

    private void EmitLoadVariable(Variable v)
    {
        if (v.Local is not null)
        {
            _il.Emit(OpCodes.Ldloc, v.Local);
        }
        else
        {
            _il.Emit(OpCodes.Ldarg, (short)v.Parameter);
        }
    }

    /// <summary>The object an instance member is used on (reference types only: the core uses no struct receivers).</summary>
    private void EmitReceiver(Expr target)
    {
        Type type = EmitValue(target);
        if (type.IsValueType)
        {
            throw new DirectIlException($"{_syntax.Name}: a member of the value type {type.Name}");
        }
    }

    private void EmitCallTo(MethodInfo method, Expr? receiver)
    {
        if (!method.IsStatic)
        {
            EmitReceiver(receiver!);
        }

        _il.Emit(method.IsStatic ? OpCodes.Call : OpCodes.Callvirt, method);
    }

    private void EmitCall(CallExpr call)
    {
        switch (_symbols[call])
        {
            case DynamicMethod callee:
            {
                Type[] parameters = _set.ParameterTypes(callee.Name);
                _il.Emit(OpCodes.Ldarg_0);
                for (int i = 0; i < parameters.Length; i++)
                {
                    EmitArgument(call.Arguments[i], parameters[i]);
                }

                _il.Emit(OpCodes.Call, callee);
                break;
            }

            case MethodInfo method:
                EmitInvocation(method, call);
                break;
            case ByRef { Member: MethodInfo method }:
                EmitInvocation(method, call);
                break;
        }
    }

    private void EmitInvocation(MethodInfo method, CallExpr call)
    {
        if (!method.IsStatic)
        {
            EmitReceiver(((MemberExpr)call.Target).Target);
        }

        ParameterInfo[] parameters = method.GetParameters();
        for (int i = 0; i < parameters.Length; i++)
        {
            EmitArgument(call.Arguments[i], parameters[i].ParameterType);
        }

        _il.Emit(method.IsStatic ? OpCodes.Call : OpCodes.Callvirt, method);
    }

    /// <summary>Emits the address of an lvalue (a managed or unmanaged pointer to it).</summary>
    private void EmitAddress(Expr e)
    {
        Type type = Bind(e);
        switch (e)
        {
            case NameExpr:
            {
                var v = (Variable)_symbols[e];
                if (v.IsRef)
                {
                    _il.Emit(OpCodes.Ldloc, v.Local!);
                }
                else if (v.Local is not null)
                {
                    _il.Emit(OpCodes.Ldloca, v.Local);
                }
                else
                {
                    _il.Emit(OpCodes.Ldarga, (short)v.Parameter);
                }

                return;
            }

            case MemberExpr member when _symbols[member] is ByRef { Member: PropertyInfo property }:
                EmitCallTo(property.GetMethod!, member.Target);
                return;
            case MemberExpr member when _symbols[member] is FieldInfo field:
                if (field.IsStatic)
                {
                    _il.Emit(OpCodes.Ldsflda, field);
                }
                else
                {
                    EmitReceiver(member.Target);
                    _il.Emit(OpCodes.Ldflda, field);
                }

                return;
            case CallExpr call when _symbols[call] is ByRef:
                EmitCall(call);
                return;
            case UnaryExpr { Op: "*" } deref:
                EmitValue(deref.Operand);
                return;
            case IndexExpr index when Bind(index.Target).IsPointer:
                EmitValue(index.Target);
                EmitPointerOffset(index.Index, type);
                _il.Emit(OpCodes.Add);
                return;
        }

        throw new DirectIlException($"{_syntax.Name}: {e.GetType().Name} is not a variable");
    }

    /// <summary>An integer scaled to bytes for a pointer to <paramref name="element"/>, as a native int.</summary>
    private void EmitPointerOffset(Expr offset, Type element)
    {
        Type type = EmitValue(offset);
        _il.Emit(NumericRules.IsSigned(type) ? OpCodes.Conv_I : OpCodes.Conv_U);
        int size = NumericRules.Size(element);
        if (size != 1)
        {
            _il.Emit(OpCodes.Ldc_I4, size);
            _il.Emit(OpCodes.Mul);
        }
    }

    private void EmitBinary(BinaryExpr binary, Type type)
    {
        string op = binary.Op;
        Type operands = binary.OperandType!;
        if (op is "&&" or "||")
        {
            Label no = _il.DefineLabel(), end = _il.DefineLabel();
            EmitBranch(binary, no, when: false);
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.Br, end);
            _il.MarkLabel(no);
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.MarkLabel(end);
            return;
        }

        if (op is "==" or "!=" or "<" or ">" or "<=" or ">=")
        {
            EmitOperand(binary.Left, operands);
            EmitOperand(binary.Right, operands);
            bool unsigned = !NumericRules.IsSigned(operands);
            switch (op)
            {
                case "==":
                    _il.Emit(OpCodes.Ceq);
                    break;
                case "!=":
                    _il.Emit(OpCodes.Ceq);
                    _il.Emit(OpCodes.Ldc_I4_0);
                    _il.Emit(OpCodes.Ceq);
                    break;
                case "<":
                    _il.Emit(unsigned ? OpCodes.Clt_Un : OpCodes.Clt);
                    break;
                case ">":
                    _il.Emit(unsigned ? OpCodes.Cgt_Un : OpCodes.Cgt);
                    break;
                case "<=":
                    _il.Emit(unsigned ? OpCodes.Cgt_Un : OpCodes.Cgt);
                    _il.Emit(OpCodes.Ldc_I4_0);
                    _il.Emit(OpCodes.Ceq);
                    break;
                case ">=":
                    _il.Emit(unsigned ? OpCodes.Clt_Un : OpCodes.Clt);
                    _il.Emit(OpCodes.Ldc_I4_0);
                    _il.Emit(OpCodes.Ceq);
                    break;
            }

            return;
        }

        if (type.IsPointer)
        {
            bool pointerLeft = Bind(binary.Left).IsPointer;
            Expr pointer = pointerLeft ? binary.Left : binary.Right, offset = pointerLeft ? binary.Right : binary.Left;
            EmitValue(pointer);
            EmitPointerOffset(offset, type.GetElementType()!);
            _il.Emit(op == "+" ? OpCodes.Add : OpCodes.Sub);
            return;
        }

        if (op is "<<" or ">>")
        {
            EmitOperand(binary.Left, operands);
            int mask = NumericRules.Size(operands) == 8 ? 63 : 31;
            if (binary.Right is Literal { Value: ulong count })
            {
                _il.Emit(OpCodes.Ldc_I4, (int)(count & (ulong)mask));
            }
            else
            {
                // C# masks the count (ECMA-334 §12.11); IL leaves a count past the width undefined.
                EmitOperand(binary.Right, typeof(int));
                _il.Emit(OpCodes.Ldc_I4, mask);
                _il.Emit(OpCodes.And);
            }

            _il.Emit(op == "<<" ? OpCodes.Shl : NumericRules.IsSigned(operands) ? OpCodes.Shr : OpCodes.Shr_Un);
            return;
        }

        EmitOperand(binary.Left, operands);
        EmitOperand(binary.Right, operands);
        bool signed = NumericRules.IsSigned(operands);
        _il.Emit(op switch
        {
            "+" => OpCodes.Add,
            "-" => OpCodes.Sub,
            "*" => OpCodes.Mul,
            "/" => signed ? OpCodes.Div : OpCodes.Div_Un,
            "%" => signed ? OpCodes.Rem : OpCodes.Rem_Un,
            "&" => OpCodes.And,
            "|" => OpCodes.Or,
            "^" => OpCodes.Xor,
            _ => throw new DirectIlException($"{_syntax.Name}: unsupported operator {op}"),
        });
    }

    /// <summary>Jumps to <paramref name="target"/> when <paramref name="condition"/> is <paramref name="when"/>; falls through otherwise.</summary>
    private void EmitBranch(Expr condition, Label target, bool when)
    {
        if (Bind(condition) != typeof(bool))
        {
            throw new DirectIlException($"{_syntax.Name}: a condition must be a bool");
        }

        switch (condition)
        {
            case UnaryExpr { Op: "!" } not:
                EmitBranch(not.Operand, target, !when);
                return;
            case BinaryExpr { Op: "&&" or "||" } logical:
            {
                // a && b jumps when both hold; a || b when either does; the other cases by De Morgan.
                bool and = logical.Op == "&&";
                if (and == when)
                {
                    Label skip = _il.DefineLabel();
                    EmitBranch(logical.Left, skip, !when);
                    EmitBranch(logical.Right, target, when);
                    _il.MarkLabel(skip);
                }
                else
                {
                    EmitBranch(logical.Left, target, when);
                    EmitBranch(logical.Right, target, when);
                }

                return;
            }

            case BinaryExpr { Op: "==" or "!=" or "<" or ">" or "<=" or ">=" } comparison:
            {
                Type operands = comparison.OperandType!;
                EmitOperand(comparison.Left, operands);
                EmitOperand(comparison.Right, operands);
                bool unsigned = !NumericRules.IsSigned(operands);
                // Integers have no unordered values, so "not less" is "greater or equal".
                string op = when ? comparison.Op : comparison.Op switch
                {
                    "==" => "!=", "!=" => "==", "<" => ">=", ">" => "<=", "<=" => ">", _ => "<",
                };
                _il.Emit(op switch
                {
                    "==" => OpCodes.Beq,
                    "!=" => OpCodes.Bne_Un,
                    "<" => unsigned ? OpCodes.Blt_Un : OpCodes.Blt,
                    ">" => unsigned ? OpCodes.Bgt_Un : OpCodes.Bgt,
                    "<=" => unsigned ? OpCodes.Ble_Un : OpCodes.Ble,
                    _ => unsigned ? OpCodes.Bge_Un : OpCodes.Bge,
                }, target);
                return;
            }

            case Literal { Value: bool constant }:
                if (constant == when)
                {
                    _il.Emit(OpCodes.Br, target);
                }

                return;
        }

        EmitValue(condition);
        _il.Emit(when ? OpCodes.Brtrue : OpCodes.Brfalse, target);
    }

    private void EmitAssignment(AssignExpr assign)
    {
        Expr target = assign.Target;
        Type type = Bind(target);
        Action value;
        if (assign.Op == "=")
        {
            value = () => EmitConverted(assign.Value, type);
        }
        else
        {
            if (target is not NameExpr)
            {
                throw new DirectIlException($"{_syntax.Name}: a compound assignment to anything but a local");
            }

            // x op= y is x = (T)(x op y), with x read once more (a local: no side effects to repeat).
            var combined = new BinaryExpr(assign.Op[..^1], target, assign.Value);
            Bind(combined);
            value = () =>
            {
                Type result = EmitValue(combined);
                NumericRules.EmitConversion(_il, result, type);
            };
        }

        switch (target)
        {
            case NameExpr:
            {
                var v = (Variable)_symbols[target];
                if (v.IsRef)
                {
                    _il.Emit(OpCodes.Ldloc, v.Local!);
                    value();
                    NumericRules.EmitStoreIndirect(_il, type);
                }
                else if (v.Local is not null)
                {
                    value();
                    _il.Emit(OpCodes.Stloc, v.Local);
                }
                else
                {
                    value();
                    _il.Emit(OpCodes.Starg, (short)v.Parameter);
                }

                return;
            }

            case MemberExpr member when _symbols[member] is PropertyInfo property:
            {
                MethodInfo setter = property.SetMethod ?? throw new DirectIlException($"{_syntax.Name}: {property.Name} cannot be assigned");
                if (!setter.IsStatic)
                {
                    EmitReceiver(member.Target);
                }

                value();
                _il.Emit(setter.IsStatic ? OpCodes.Call : OpCodes.Callvirt, setter);
                return;
            }

            case MemberExpr member when _symbols[member] is FieldInfo field:
                if (field.IsStatic)
                {
                    value();
                    _il.Emit(OpCodes.Stsfld, field);
                }
                else
                {
                    EmitReceiver(member.Target);
                    value();
                    _il.Emit(OpCodes.Stfld, field);
                }

                return;
            case IndexExpr index when Bind(index.Target).IsArray:
                EmitValue(index.Target);
                EmitOperand(index.Index, typeof(int));
                value();
                if (type.IsValueType)
                {
                    _il.Emit(OpCodes.Stelem, type);
                }
                else
                {
                    _il.Emit(OpCodes.Stelem_Ref);
                }

                return;
            default:
                EmitAddress(target); // a ref-returning member or call, a dereference, a pointer's element
                value();
                NumericRules.EmitStoreIndirect(_il, type);
                return;
        }
    }
}
