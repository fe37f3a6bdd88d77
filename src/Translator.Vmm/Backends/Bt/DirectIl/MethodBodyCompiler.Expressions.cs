using System.Reflection;
using System.Reflection.Emit;

namespace Translator.Vmm.Backends.Bt.DirectIl;

/// <summary>Expressions: binding (types, members, overloads) and their IL.</summary>
internal sealed partial class MethodBodyCompiler
{
    /// <summary>What a name, member or call was bound to.</summary>
    private readonly Dictionary<Expr, object> _symbols = new(ReferenceEqualityComparer.Instance);

    /// <summary>A named object of the set's constants, read from the hidden first argument.</summary>
    private sealed record ConstantSlot(int Slot, Type Type);

    /// <summary>A member or call that yields a managed reference (<c>ref uint</c>): an lvalue.</summary>
    private sealed record ByRef(object Member);

    /// <summary>A compile-time constant (a <c>const</c> field such as <c>long.MinValue</c>).</summary>
    private sealed record ConstantValue(ulong Bits);

    private const BindingFlags Members = BindingFlags.Public | BindingFlags.NonPublic;

    // ---- binding ------------------------------------------------------------------------------------------------------

    private Type Bind(Expr e)
    {
        if (e.Type is not null)
        {
            return e.Type;
        }

        e.Type = BindCore(e);
        return e.Type;
    }

    private Type BindCore(Expr e)
    {
        switch (e)
        {
            case Literal literal:
                return literal.LiteralType;
            case NameExpr name:
            {
                Variable v = Lookup(name.Name) ?? throw new DirectIlException($"{_syntax.Name}: unknown name {name.Name}");
                _symbols[e] = v;
                return v.Type;
            }

            case MemberExpr member:
                return BindMember(member);
            case CallExpr call:
                return BindCall(call);
            case IndexExpr index:
            {
                Type target = Bind(index.Target);
                Type at = NumericRules.Promote(Bind(index.Index));
                if (!NumericRules.IsIntegral(at))
                {
                    throw new DirectIlException($"{_syntax.Name}: an index must be an integer");
                }

                return target.IsPointer || target.IsArray ? target.GetElementType()! : throw new DirectIlException($"{_syntax.Name}: cannot index a {target.Name}");
            }

            case UnaryExpr unary:
            {
                Type operand = Bind(unary.Operand);
                switch (unary.Op)
                {
                    case "!" when operand == typeof(bool):
                        return typeof(bool);
                    case "~" when NumericRules.IsIntegral(operand):
                        return NumericRules.Promote(operand);
                    case "-" when NumericRules.IsIntegral(operand) && operand != typeof(ulong):
                        return NumericRules.Promote(operand) == typeof(uint) ? typeof(long) : NumericRules.Promote(operand);
                    case "*" when operand.IsPointer && operand.GetElementType() != typeof(void):
                        return operand.GetElementType()!;
                }

                throw new DirectIlException($"{_syntax.Name}: operator {unary.Op} on {NumericRules.Name(operand)}");
            }

            case CastExpr cast:
            {
                Type to = _set.ResolveType(cast.To);
                Type from = Bind(cast.Operand);
                bool numericOrPointer(Type t) => NumericRules.IsIntegral(t) || t.IsPointer;
                if (!(from == to || numericOrPointer(from) && numericOrPointer(to)))
                {
                    throw new DirectIlException($"{_syntax.Name}: no conversion from {NumericRules.Name(from)} to {NumericRules.Name(to)}");
                }

                return to;
            }

            case BinaryExpr binary:
                return BindBinary(binary);
            case ConditionalExpr conditional:
            {
                if (Bind(conditional.Condition) != typeof(bool))
                {
                    throw new DirectIlException($"{_syntax.Name}: a condition must be a bool");
                }

                Type a = Bind(conditional.WhenTrue), b = Bind(conditional.WhenFalse);
                return a == b ? a
                    : CanConvertImplicitly(conditional.WhenFalse, a) ? a
                    : CanConvertImplicitly(conditional.WhenTrue, b) ? b
                    : throw new DirectIlException($"{_syntax.Name}: ?: of {NumericRules.Name(a)} and {NumericRules.Name(b)}");
            }

            case RefExpr reference:
                return Bind(reference.Operand);
            case NewExpr creation:
            {
                Type type = _set.ResolveType(creation.NewType);
                ConstructorInfo ctor = ResolveOverload(type.GetConstructors(BindingFlags.Instance | Members), creation.Arguments, type.Name);
                _symbols[e] = ctor;
                return type;
            }

            case AssignExpr:
                throw new DirectIlException($"{_syntax.Name}: an assignment is only a statement here");
        }

        throw new DirectIlException($"{_syntax.Name}: unsupported expression {e.GetType().Name}");
    }

    /// <summary>The dotted name an expression spells (<c>System.Numerics.BitOperations</c>), or null.</summary>
    private static string? DottedName(Expr e) => e switch
    {
        NameExpr n => n.Name,
        MemberExpr m when DottedName(m.Target) is string prefix => prefix + "." + m.Name,
        _ => null,
    };

    /// <summary>Whether <paramref name="e"/> is a value (rather than a type's name); binds it if so.</summary>
    private bool IsValue(Expr e)
    {
        switch (e)
        {
            case NameExpr n:
                return Lookup(n.Name) is not null;
            case MemberExpr m:
                if (DottedName(m) is string dotted && (_set.ConstantNamed(dotted) is not null))
                {
                    return true;
                }

                if (IsValue(m.Target))
                {
                    return true;
                }

                // A static member of a type is a value; a member of a namespace is a type or a namespace.
                return DottedName(m.Target) is string path && _set.TryResolveTypeName(path) is not null;
            default:
                return true;
        }
    }

    /// <summary>The type a member access or call is made on: the receiver's type, or the named type for a static one.</summary>
    private (Type Type, bool Static) Receiver(Expr target)
    {
        if (IsValue(target))
        {
            return (Bind(target), false);
        }

        string name = DottedName(target)!;
        return (_set.TryResolveTypeName(name) ?? throw new DirectIlException($"{_syntax.Name}: unknown name {name}"), true);
    }

    private Type BindMember(MemberExpr member)
    {
        if (DottedName(member) is string dotted && _set.ConstantNamed(dotted) is (int slot, object value))
        {
            _symbols[member] = new ConstantSlot(slot, value.GetType());
            return value.GetType();
        }

        (Type type, bool isStatic) = Receiver(member.Target);
        BindingFlags flags = Members | (isStatic ? BindingFlags.Static | BindingFlags.FlattenHierarchy : BindingFlags.Instance);
        if (type.GetProperty(member.Name, flags) is PropertyInfo property)
        {
            if (property.PropertyType.IsByRef)
            {
                _symbols[member] = new ByRef(property);
                return property.PropertyType.GetElementType()!;
            }

            _symbols[member] = property;
            return property.PropertyType;
        }

        if (type.GetField(member.Name, flags) is FieldInfo field)
        {
            if (field.IsLiteral)
            {
                object raw = field.GetRawConstantValue()!;
                _symbols[member] = new ConstantValue(raw is ulong u ? u : unchecked((ulong)Convert.ToInt64(raw, System.Globalization.CultureInfo.InvariantCulture)));
                return field.FieldType;
            }

            _symbols[member] = field;
            return field.FieldType;
        }

        throw new DirectIlException($"{_syntax.Name}: {type.Name} has no field or property {member.Name}");
    }

    private Type BindCall(CallExpr call)
    {
        if (call.Target is NameExpr name && Lookup(name.Name) is null && _set.MethodNamed(name.Name) is DynamicMethod callee)
        {
            Type[] parameters = _set.ParameterTypes(name.Name);
            if (parameters.Length != call.Arguments.Count)
            {
                throw new DirectIlException($"{_syntax.Name}: {name.Name} takes {parameters.Length} arguments");
            }

            for (int i = 0; i < parameters.Length; i++)
            {
                if (!CanConvertImplicitly(call.Arguments[i], parameters[i]))
                {
                    throw new DirectIlException($"{_syntax.Name}: argument {i + 1} of {name.Name} is not a {NumericRules.Name(parameters[i])}");
                }
            }

            _symbols[call] = callee;
            return callee.ReturnType;
        }

        if (call.Target is not MemberExpr member)
        {
            throw new DirectIlException($"{_syntax.Name}: unsupported call");
        }

        (Type type, bool isStatic) = Receiver(member.Target);
        BindingFlags flags = Members | (isStatic ? BindingFlags.Static : BindingFlags.Instance);
        // By name: the runtime then caches the methods of that name only, not all of X86Cpu's.
        var candidates = type.GetMember(member.Name, MemberTypes.Method, flags).Cast<MethodInfo>().Select(m => Instantiate(m, call.Arguments)).OfType<MethodInfo>();
        MethodInfo method = ResolveOverload(candidates, call.Arguments, type.Name + "." + member.Name);
        if (method.ReturnType.IsByRef)
        {
            _symbols[call] = new ByRef(method);
            return method.ReturnType.GetElementType()!;
        }

        _symbols[call] = method;
        return method.ReturnType;
    }

    /// <summary>A generic method with its type arguments inferred from the arguments' types (as for <c>Unsafe.Add(ref x, 1)</c>).</summary>
    private MethodInfo? Instantiate(MethodInfo method, IReadOnlyList<Expr> arguments)
    {
        if (!method.IsGenericMethodDefinition)
        {
            return method;
        }

        Type[] generic = method.GetGenericArguments();
        var inferred = new Type?[generic.Length];
        ParameterInfo[] parameters = method.GetParameters();
        if (parameters.Length != arguments.Count)
        {
            return null;
        }

        for (int i = 0; i < parameters.Length; i++)
        {
            Type p = parameters[i].ParameterType;
            Type element = p.IsByRef ? p.GetElementType()! : p;
            if (element.IsGenericParameter)
            {
                Expr argument = arguments[i] is RefExpr r ? r.Operand : arguments[i];
                inferred[element.GenericParameterPosition] ??= Bind(argument);
            }
        }

        return inferred.All(t => t is not null) ? method.MakeGenericMethod(inferred!) : null;
    }

    /// <summary>
    /// Picks the one applicable method (each argument converts implicitly, by-reference ones exactly); among several,
    /// the one whose parameter types match the arguments' most often. An ambiguity is an error rather than a guess.
    /// </summary>
    private T ResolveOverload<T>(IEnumerable<T> candidates, IReadOnlyList<Expr> arguments, string what)
        where T : MethodBase
    {
        var applicable = new List<(T Method, int Exact)>();
        foreach (T candidate in candidates)
        {
            ParameterInfo[] parameters = candidate.GetParameters();
            if (parameters.Length != arguments.Count)
            {
                continue;
            }

            int exact = 0;
            bool ok = true;
            for (int i = 0; i < parameters.Length && ok; i++)
            {
                Type p = parameters[i].ParameterType;
                if (p.IsByRef)
                {
                    ok = arguments[i] is RefExpr r && Bind(r.Operand) == p.GetElementType() && IsLvalue(r.Operand);
                    exact++;
                }
                else if (arguments[i] is RefExpr)
                {
                    ok = false;
                }
                else
                {
                    ok = CanConvertImplicitly(arguments[i], p);
                    exact += Bind(arguments[i]) == p ? 1 : 0;
                }
            }

            if (ok)
            {
                applicable.Add((candidate, exact));
            }
        }

        if (applicable.Count == 0)
        {
            throw new DirectIlException($"{_syntax.Name}: no overload of {what} takes these arguments");
        }

        int best = applicable.Max(a => a.Exact);
        List<T> winners = applicable.Where(a => a.Exact == best).Select(a => a.Method).ToList();
        return winners.Count == 1 ? winners[0] : throw new DirectIlException($"{_syntax.Name}: the call to {what} is ambiguous");
    }

    private Type BindBinary(BinaryExpr binary)
    {
        Type l = Bind(binary.Left), r = Bind(binary.Right);
        string op = binary.Op;
        switch (op)
        {
            case "&&" or "||":
                if (l != typeof(bool) || r != typeof(bool))
                {
                    throw new DirectIlException($"{_syntax.Name}: {op} takes bools");
                }

                binary.OperandType = typeof(bool);
                return typeof(bool);
            case "<<" or ">>":
            {
                Type left = NumericRules.Promote(l);
                if (!NumericRules.IsIntegral(left) || NumericRules.Promote(r) != typeof(int))
                {
                    throw new DirectIlException($"{_syntax.Name}: a shift of {NumericRules.Name(l)} by {NumericRules.Name(r)}");
                }

                binary.OperandType = left;
                return left;
            }
        }

        bool comparison = op is "==" or "!=" or "<" or ">" or "<=" or ">=";
        if (l == typeof(bool) && r == typeof(bool) && op is "==" or "!=" or "&" or "|" or "^")
        {
            binary.OperandType = typeof(bool);
            return typeof(bool);
        }

        if ((l.IsPointer || r.IsPointer) && !comparison)
        {
            bool pointerLeft = l.IsPointer;
            Type offset = pointerLeft ? r : l;
            if (!(op == "+" || (op == "-" && pointerLeft)) || !NumericRules.IsIntegral(offset) || (l.IsPointer && r.IsPointer))
            {
                throw new DirectIlException($"{_syntax.Name}: pointer arithmetic {NumericRules.Name(l)} {op} {NumericRules.Name(r)}");
            }

            binary.OperandType = pointerLeft ? l : r;
            return binary.OperandType;
        }

        if (comparison && (l.IsPointer || r.IsPointer || !l.IsValueType || !r.IsValueType))
        {
            if (op is not ("==" or "!="))
            {
                throw new DirectIlException($"{_syntax.Name}: ordering of {NumericRules.Name(l)} and {NumericRules.Name(r)}");
            }

            binary.OperandType = l.IsPointer ? l : r;
            return typeof(bool);
        }

        if (!NumericRules.IsIntegral(l) || !NumericRules.IsIntegral(r))
        {
            throw new DirectIlException($"{_syntax.Name}: operator {op} on {NumericRules.Name(l)} and {NumericRules.Name(r)}");
        }

        binary.OperandType = NumericRules.BinaryPromotion(l, r, IntConstant(binary.Left), IntConstant(binary.Right));
        return comparison ? typeof(bool) : binary.OperandType;
    }

    /// <summary>The value of an int or long constant expression (the constants C#'s implicit constant conversions apply to).</summary>
    private long? IntConstant(Expr e)
    {
        Type t = Bind(e);
        return (t == typeof(int) || t == typeof(long)) && ConstantBits(e) is ulong bits ? unchecked((long)bits) : null;
    }

    /// <summary>
    /// An integer constant expression's value, folded as the C# compiler folds it (unchecked, in the operation's
    /// type), as 64 bits sign- or zero-extended from its type; null when <paramref name="e"/> is not one.
    /// </summary>
    private ulong? ConstantBits(Expr e)
    {
        Type t = Bind(e);
        if (!NumericRules.IsIntegral(t))
        {
            return null;
        }

        switch (e)
        {
            case Literal { Value: ulong bits }:
                return bits;
            case MemberExpr member when _symbols.TryGetValue(member, out object? symbol) && symbol is ConstantValue constant:
                return constant.Bits;
            case CastExpr cast when ConstantBits(cast.Operand) is ulong v:
                return NumericRules.Extend(v, t);
            case UnaryExpr { Op: "-" or "~" } unary when ConstantBits(unary.Operand) is ulong v:
                return NumericRules.Extend(unary.Op == "-" ? unchecked(0 - NumericRules.Extend(v, t)) : ~NumericRules.Extend(v, t), t);
            case BinaryExpr binary when binary.OperandType is { } type && NumericRules.IsIntegral(type) && type == t
                && ConstantBits(binary.Left) is ulong l && ConstantBits(binary.Right) is ulong r:
                return NumericRules.Fold(binary.Op, NumericRules.Extend(l, type), binary.Op is "<<" or ">>" ? r : NumericRules.Extend(r, type), type);
        }

        return null;
    }

    private bool CanConvertImplicitly(Expr e, Type to)
    {
        Type from = Bind(e);
        if (from == to)
        {
            return true;
        }

        if (e is Literal { Value: null, LiteralType: var nullType } && nullType == typeof(object))
        {
            return !to.IsValueType || to.IsPointer;
        }

        if (IntConstant(e) is long constant && (from == typeof(int) || to == typeof(ulong)) && NumericRules.IsIntegral(to))
        {
            return NumericRules.ConstantFits(constant, to);
        }

        if (NumericRules.IsIntegral(from) && NumericRules.IsIntegral(to))
        {
            return NumericRules.WidensTo(from, to);
        }

        return !from.IsValueType && !to.IsValueType && to.IsAssignableFrom(from);
    }

    private bool IsLvalue(Expr e) => e switch
    {
        NameExpr => true,
        MemberExpr m => _symbols.TryGetValue(m, out object? s) && s is FieldInfo or ByRef,
        CallExpr c => _symbols.TryGetValue(c, out object? s) && s is ByRef,
        UnaryExpr { Op: "*" } => true,
        IndexExpr i => Bind(i.Target).IsPointer,
        _ => false,
    };
}
