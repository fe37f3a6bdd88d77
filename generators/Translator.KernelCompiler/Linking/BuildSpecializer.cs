using System.Collections.Generic;
using System.Linq;
using Translator.KernelCompiler.Intrinsics;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Linking;

/// <summary>The two builds of every kernel, from the same source.</summary>
internal enum Build : byte
{
    /// <summary>The multiboot image: ring 0, the privileged instructions themselves.</summary>
    BareMetal,

    /// <summary>The PV image: ring 1, hypercalls and shared-memory writes instead (the intrinsics' pv_ops).</summary>
    Paravirtual,
}

/// <summary>
/// Specializes a function body for one build before anything is reached or compiled: <c>KernelImage.IsParavirtual</c>
/// becomes the build's constant and every <c>if</c>, <c>?:</c>, <c>!</c>, <c>&amp;&amp;</c> and <c>||</c> it decides is
/// folded, so only the taken branch remains (a bare-metal build never reaches PV code, nor the reverse). In the
/// paravirtual build an intrinsic whose PV form is a guest-library routine becomes a call of that routine; what a
/// build cannot have (a hypercall in the bare-metal build, an intrinsic with no PV form in the paravirtual one) is
/// reported on the call.
/// </summary>
internal sealed class BuildSpecializer(Build build, string kernelName, List<DiagnosticInfo> diagnostics)
{
    private readonly bool _paravirtual = build == Build.Paravirtual;

    public GuestFunction Specialize(GuestFunction function) => function with { Body = Statement(function.Body) };

    private Stmt Statement(Stmt statement)
    {
        switch (statement)
        {
            case BlockStmt block:
                return new BlockStmt(block.Statements.Select(Statement).ToEquatableArray());
            case ExprStmt expression:
                return new ExprStmt(Expression(expression.Expression));
            case IfStmt ifStatement:
            {
                Expr condition = Expression(ifStatement.Condition);
                if (Constant(condition) is bool taken)
                {
                    return taken
                        ? Statement(ifStatement.Then)
                        : ifStatement.Else is null ? new BlockStmt(EquatableArray<Stmt>.Empty) : Statement(ifStatement.Else);
                }

                return new IfStmt(condition, Statement(ifStatement.Then), ifStatement.Else is null ? null : Statement(ifStatement.Else));
            }

            case LoopStmt loop:
                return loop with
                {
                    Condition = loop.Condition is null ? null : Expression(loop.Condition),
                    Body = Statement(loop.Body),
                    Step = loop.Step is null ? null : Statement(loop.Step),
                };
            case ReturnStmt { Value: not null } returnStatement:
                return new ReturnStmt(Expression(returnStatement.Value));
            case SwitchStmt switchStatement:
                return switchStatement with
                {
                    Value = Expression(switchStatement.Value),
                    Sections = switchStatement.Sections.Select(s => s with { Body = Statement(s.Body) }).ToEquatableArray(),
                };
            default:
                return statement;
        }
    }

    private static bool? Constant(Expr expression) => expression is ConstantExpr { Type.Kind: ValueKind.Bool } constant ? constant.Value != 0 : null;

    private static ConstantExpr Bool(bool value) => new(GuestType.Bool, value ? 1UL : 0UL);

    private EquatableArray<Expr> Expressions(EquatableArray<Expr> expressions) => expressions.Select(Expression).ToEquatableArray();

    private Expr Expression(Expr expression)
    {
        switch (expression)
        {
            case ParavirtualExpr:
                return Bool(_paravirtual);
            case ElementExpr element:
                return element with { Array = Expression(element.Array), Index = Expression(element.Index) };
            case LengthExpr length:
                return length with { Array = Expression(length.Array) };
            case UnaryExpr unary:
            {
                Expr operand = Expression(unary.Operand);
                if (unary.Op == UnaryOp.Not && Constant(operand) is bool value)
                {
                    return Bool(!value);
                }

                return unary with { Operand = operand };
            }

            case BinaryExpr binary:
                return Binary(binary with { Left = Expression(binary.Left), Right = Expression(binary.Right) });
            case ConvertExpr conversion:
            {
                Expr operand = Expression(conversion.Operand);
                if (conversion.Type.Kind == ValueKind.Bool && Constant(operand) is bool value)
                {
                    return Bool(value);
                }

                return conversion with { Operand = operand };
            }

            case AssignExpr assignment:
                return assignment with { Target = Expression(assignment.Target), Value = Expression(assignment.Value) };
            case CompoundAssignExpr compound:
                return compound with { Target = Expression(compound.Target), Value = Expression(compound.Value) };
            case IncrementExpr increment:
                return increment with { Target = Expression(increment.Target) };
            case CallExpr call:
                return call with { Arguments = Expressions(call.Arguments) };
            case ConditionalExpr conditional:
            {
                Expr condition = Expression(conditional.Condition);
                if (Constant(condition) is bool taken)
                {
                    return Expression(taken ? conditional.WhenTrue : conditional.WhenFalse);
                }

                return new ConditionalExpr(conditional.Type, condition, Expression(conditional.WhenTrue), Expression(conditional.WhenFalse));
            }

            case HypercallExpr hypercall:
                if (!_paravirtual)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.HypercallInBareMetal, hypercall.Location, hypercall.Name, kernelName));
                    return new ConstantExpr(GuestType.Int32, 0);
                }

                return hypercall with { Arguments = Expressions(hypercall.Arguments) };
            case IntrinsicExpr intrinsic:
                return Intrinsic(intrinsic with { Arguments = Expressions(intrinsic.Arguments) });
            case MemoryExpr memory:
                return memory with { Address = Expression(memory.Address) };
            case AddressOfExpr address:
                return address with { Target = Expression(address.Target) };
            case StructInitExpr init:
                return init with { Storage = Expression(init.Storage), Initializers = Expressions(init.Initializers) };
            case LetExpr let:
                return let with { Value = Expression(let.Value), Body = Expression(let.Body) };
            case BitCountExpr bits:
                return bits with { Operand = Expression(bits.Operand) };
            default:
                return expression;
        }
    }

    /// <summary>Folds the logical operators (and bool equality) once an operand is a constant, keeping every side effect.</summary>
    private static Expr Binary(BinaryExpr binary)
    {
        bool? left = Constant(binary.Left);
        bool? right = Constant(binary.Right);
        switch (binary.Op)
        {
            case BinaryOp.AndAlso when left is bool l:
                return l ? binary.Right : Bool(false);
            case BinaryOp.AndAlso when right is true:
                return binary.Left;
            case BinaryOp.OrElse when left is bool l:
                return l ? Bool(true) : binary.Right;
            case BinaryOp.OrElse when right is false:
                return binary.Left;
            case BinaryOp.Equal when left is bool l && right is bool r:
                return Bool(l == r);
            case BinaryOp.NotEqual when left is bool l && right is bool r:
                return Bool(l != r);
            default:
                return binary;
        }
    }

    private Expr Intrinsic(IntrinsicExpr intrinsic)
    {
        if (!_paravirtual)
        {
            return intrinsic;
        }

        IntrinsicDefinition definition = IntrinsicTable.Get(intrinsic.Intrinsic);
        if (definition.Paravirtual.Routine is string routine)
        {
            return new CallExpr(intrinsic.Type, routine, intrinsic.Arguments);
        }

        if (definition.Paravirtual.NoFormReason is string reason)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NoParavirtualForm, intrinsic.Location,
                definition.Method.Substring("Translator.Guest.".Length), kernelName, reason));
        }

        return intrinsic;
    }
}
