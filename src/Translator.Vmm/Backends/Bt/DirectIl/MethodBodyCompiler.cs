using System.Reflection.Emit;

namespace Translator.Vmm.Backends.Bt.DirectIl;

/// <summary>
/// Compiles one method's body: statements here, expressions in MethodBodyCompiler.Expressions.cs. Types are bound
/// as each statement is reached (declarations come before their uses in the core's output); labels are method-wide.
/// </summary>
internal sealed partial class MethodBodyCompiler
{
    private readonly MethodSetCompiler _set;
    private readonly MethodSyntax _syntax;
    private readonly ILGenerator _il;
    private readonly Type _returnType;
    private readonly List<Dictionary<string, Variable>> _scopes = new();
    private readonly Dictionary<string, Label> _labels = new(StringComparer.Ordinal);
    private readonly HashSet<string> _marked = new(StringComparer.Ordinal);

    /// <summary>A local or a parameter: its IL slot, its type (a ref local's element type) and whether it is a ref local.</summary>
    private sealed record Variable(LocalBuilder? Local, int Parameter, Type Type, bool IsRef);

    public MethodBodyCompiler(MethodSetCompiler set, MethodSyntax syntax, DynamicMethod method)
    {
        _set = set;
        _syntax = syntax;
        _il = method.GetILGenerator(Math.Max(256, syntax.Body.Statements.Count * 64));
        _returnType = method.ReturnType;
        var parameters = new Dictionary<string, Variable>(StringComparer.Ordinal);
        Type[] types = set.ParameterTypes(syntax.Name);
        for (int i = 0; i < syntax.Parameters.Count; i++)
        {
            parameters[syntax.Parameters[i].Name] = new Variable(null, i + 1, types[i], false);
        }

        _scopes.Add(parameters);
    }

    public void Compile()
    {
        EmitBlock(_syntax.Body);
        string? missing = _labels.Keys.FirstOrDefault(l => !_marked.Contains(l));
        if (missing is not null)
        {
            throw new DirectIlException($"{_syntax.Name}: goto {missing} names no label");
        }

        // A body that can reach its end (none of the core's does) must not run off it.
        if (_returnType == typeof(void))
        {
            _il.Emit(OpCodes.Ret);
        }
        else
        {
            _il.Emit(OpCodes.Ldstr, $"{_syntax.Name} ran off its end");
            _il.Emit(OpCodes.Newobj, typeof(InvalidOperationException).GetConstructor(new[] { typeof(string) })!);
            _il.Emit(OpCodes.Throw);
        }
    }

    private Variable? Lookup(string name)
    {
        for (int i = _scopes.Count - 1; i >= 0; i--)
        {
            if (_scopes[i].TryGetValue(name, out Variable? v))
            {
                return v;
            }
        }

        return null;
    }

    private Label LabelNamed(string name)
    {
        if (!_labels.TryGetValue(name, out Label label))
        {
            label = _il.DefineLabel();
            _labels.Add(name, label);
        }

        return label;
    }

    // ---- statements -------------------------------------------------------------------------------------------------

    private void EmitBlock(BlockStmt block)
    {
        _scopes.Add(new Dictionary<string, Variable>(StringComparer.Ordinal));
        foreach (Stmt statement in block.Statements)
        {
            EmitStatement(statement);
        }

        _scopes.RemoveAt(_scopes.Count - 1);
    }

    private void EmitStatement(Stmt statement)
    {
        switch (statement)
        {
            case BlockStmt block:
                EmitBlock(block);
                break;
            case LocalDeclStmt declaration:
                EmitDeclaration(declaration);
                break;
            case ExprStmt { Expression: AssignExpr assign }:
                EmitAssignment(assign);
                break;
            case ExprStmt { Expression: var call }:
                Type result = EmitValue(call);
                if (result != typeof(void))
                {
                    _il.Emit(OpCodes.Pop);
                }

                break;
            case IfStmt conditional:
            {
                Label otherwise = _il.DefineLabel();
                EmitBranch(conditional.Condition, otherwise, when: false);
                EmitStatement(conditional.Then);
                if (conditional.Else is null)
                {
                    _il.MarkLabel(otherwise);
                }
                else
                {
                    Label end = _il.DefineLabel();
                    _il.Emit(OpCodes.Br, end);
                    _il.MarkLabel(otherwise);
                    EmitStatement(conditional.Else);
                    _il.MarkLabel(end);
                }

                break;
            }

            case GotoStmt jump:
                _il.Emit(OpCodes.Br, LabelNamed(jump.Label));
                break;
            case LabelStmt label:
                if (!_marked.Add(label.Label))
                {
                    throw new DirectIlException($"{_syntax.Name}: label {label.Label} is declared twice");
                }

                _il.MarkLabel(LabelNamed(label.Label));
                break;
            case ReturnStmt ret:
                if (ret.Value is null)
                {
                    if (_returnType != typeof(void))
                    {
                        throw new DirectIlException($"{_syntax.Name}: return without a value");
                    }
                }
                else
                {
                    EmitConverted(ret.Value, _returnType);
                }

                _il.Emit(OpCodes.Ret);
                break;
            case ThrowStmt thrown:
                if (!typeof(Exception).IsAssignableFrom(Bind(thrown.Value)))
                {
                    throw new DirectIlException($"{_syntax.Name}: only an exception can be thrown");
                }

                EmitValue(thrown.Value);
                _il.Emit(OpCodes.Throw);
                break;
            case SwitchStmt choice:
                EmitSwitch(choice);
                break;
            default:
                throw new DirectIlException($"{_syntax.Name}: unsupported statement {statement.GetType().Name}");
        }
    }

    private void EmitDeclaration(LocalDeclStmt declaration)
    {
        Type type = _set.ResolveType(declaration.DeclaredType);
        Dictionary<string, Variable> scope = _scopes[^1];
        foreach ((string name, Expr? init) in declaration.Declarators)
        {
            if (Lookup(name) is not null)
            {
                throw new DirectIlException($"{_syntax.Name}: {name} is declared twice");
            }

            LocalBuilder local = _il.DeclareLocal(declaration.IsRef ? type.MakeByRefType() : type);
            var variable = new Variable(local, -1, type, declaration.IsRef);
            if (declaration.IsRef)
            {
                if (init is not RefExpr { Operand: var target } || Bind(target) != type)
                {
                    throw new DirectIlException($"{_syntax.Name}: ref local {name} must be initialized with ref to a {NumericRules.Name(type)}");
                }

                EmitAddress(target);
                _il.Emit(OpCodes.Stloc, local);
            }
            else if (init is not null)
            {
                EmitConverted(init, type);
                _il.Emit(OpCodes.Stloc, local);
            }

            scope[name] = variable;
        }
    }

    /// <summary>
    /// A switch on integer constants: a binary search over the sorted case values (as Roslyn does for sparse
    /// values), each section's statements after it. C# forbids falling out of a section, so none is emitted.
    /// </summary>
    private void EmitSwitch(SwitchStmt choice)
    {
        Type type = NumericRules.Promote(Bind(choice.Value));
        if (!NumericRules.IsIntegral(type))
        {
            throw new DirectIlException($"{_syntax.Name}: a switch on {NumericRules.Name(type)}");
        }

        LocalBuilder value = _il.DeclareLocal(type);
        EmitConverted(choice.Value, type);
        _il.Emit(OpCodes.Stloc, value);
        var cases = new List<(ulong Value, Label Target)>();
        Label end = _il.DefineLabel();
        Label miss = end;
        var sections = new List<Label>();
        foreach (var section in choice.Sections)
        {
            Label target = _il.DefineLabel();
            sections.Add(target);
            if (section.IsDefault)
            {
                miss = target;
            }

            foreach (Expr c in section.Cases)
            {
                if (ConstantBits(c) is not ulong bits)
                {
                    throw new DirectIlException($"{_syntax.Name}: a case label must be an integer constant");
                }

                if (!CanConvertImplicitly(c, type))
                {
                    throw new DirectIlException($"{_syntax.Name}: case 0x{bits:X} does not fit {NumericRules.Name(type)}");
                }

                cases.Add((NumericRules.Extend(bits, type), target));
            }
        }

        bool signed = NumericRules.IsSigned(type);
        cases.Sort((a, b) => signed ? unchecked((long)a.Value).CompareTo(unchecked((long)b.Value)) : a.Value.CompareTo(b.Value));
        for (int i = 1; i < cases.Count; i++)
        {
            if (cases[i].Value == cases[i - 1].Value)
            {
                throw new DirectIlException($"{_syntax.Name}: case 0x{cases[i].Value:X} appears twice");
            }
        }

        EmitSearch(value, type, cases, 0, cases.Count, miss);
        for (int s = 0; s < choice.Sections.Count; s++)
        {
            _il.MarkLabel(sections[s]);
            _scopes.Add(new Dictionary<string, Variable>(StringComparer.Ordinal));
            foreach (Stmt statement in choice.Sections[s].Body)
            {
                EmitStatement(statement);
            }

            _scopes.RemoveAt(_scopes.Count - 1);
            _il.Emit(OpCodes.Br, end); // not reached when the section ends in a jump, as the core's always do
        }

        _il.MarkLabel(end);
    }

    private void EmitSearch(LocalBuilder value, Type type, List<(ulong Value, Label Target)> cases, int from, int to, Label miss)
    {
        bool signed = NumericRules.IsSigned(type);
        if (to - from <= 4)
        {
            for (int i = from; i < to; i++)
            {
                _il.Emit(OpCodes.Ldloc, value);
                NumericRules.EmitConstant(_il, cases[i].Value, type);
                _il.Emit(OpCodes.Beq, cases[i].Target);
            }

            _il.Emit(OpCodes.Br, miss);
            return;
        }

        int middle = (from + to) / 2;
        Label upper = _il.DefineLabel();
        _il.Emit(OpCodes.Ldloc, value);
        NumericRules.EmitConstant(_il, cases[middle].Value, type);
        _il.Emit(signed ? OpCodes.Bgt : OpCodes.Bgt_Un, upper);
        EmitSearch(value, type, cases, from, middle + 1, miss);
        _il.MarkLabel(upper);
        EmitSearch(value, type, cases, middle + 1, to, miss);
    }
}
