using System.Collections.Generic;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Linking;

/// <summary>Collects what a function body refers to: the functions it calls or takes the address of, fields and strings.</summary>
internal sealed class IrWalker
{
    public List<string> Functions { get; } = new();

    public List<string> Fields { get; } = new();

    public List<string> Strings { get; } = new();

    /// <summary>Called for each address taken (<c>&amp;x</c>, a <c>ref</c> argument), if set.</summary>
    public System.Action<AddressOfExpr>? AddressTaken { get; set; }

    public void Visit(Stmt statement)
    {
        switch (statement)
        {
            case BlockStmt block:
                foreach (Stmt inner in block.Statements)
                {
                    Visit(inner);
                }

                break;
            case ExprStmt expression:
                Visit(expression.Expression);
                break;
            case IfStmt ifStatement:
                Visit(ifStatement.Condition);
                Visit(ifStatement.Then);
                if (ifStatement.Else is not null)
                {
                    Visit(ifStatement.Else);
                }

                break;
            case LoopStmt loop:
                if (loop.Condition is not null)
                {
                    Visit(loop.Condition);
                }

                Visit(loop.Body);
                if (loop.Step is not null)
                {
                    Visit(loop.Step);
                }

                break;
            case ReturnStmt { Value: not null } returnStatement:
                Visit(returnStatement.Value);
                break;
            case SwitchStmt switchStatement:
                Visit(switchStatement.Value);
                foreach (SwitchSection section in switchStatement.Sections)
                {
                    Visit(section.Body);
                }

                break;
        }
    }

    public void Visit(Expr expression)
    {
        switch (expression)
        {
            case FieldExpr field:
                Fields.Add(field.Field);
                break;
            case StringLiteralExpr literal:
                Strings.Add(literal.Value);
                break;
            case ElementExpr element:
                Visit(element.Array);
                Visit(element.Index);
                break;
            case LengthExpr length:
                Visit(length.Array);
                break;
            case UnaryExpr unary:
                Visit(unary.Operand);
                break;
            case BinaryExpr binary:
                Visit(binary.Left);
                Visit(binary.Right);
                break;
            case ConvertExpr conversion:
                Visit(conversion.Operand);
                break;
            case AssignExpr assignment:
                Visit(assignment.Target);
                Visit(assignment.Value);
                break;
            case CompoundAssignExpr compound:
                Visit(compound.Target);
                Visit(compound.Value);
                break;
            case IncrementExpr increment:
                Visit(increment.Target);
                break;
            case CallExpr call:
                Functions.Add(call.Function);
                foreach (Expr argument in call.Arguments)
                {
                    Visit(argument);
                }

                break;
            case HypercallExpr hypercall:
                foreach (Expr argument in hypercall.Arguments)
                {
                    Visit(argument);
                }

                break;
            case IntrinsicExpr intrinsic:
                foreach (Expr argument in intrinsic.Arguments)
                {
                    Visit(argument);
                }

                break;
            case ConditionalExpr conditional:
                Visit(conditional.Condition);
                Visit(conditional.WhenTrue);
                Visit(conditional.WhenFalse);
                break;
            case FunctionAddressExpr address:
                Functions.Add(address.Function);
                break;
            case MemoryExpr memory:
                Visit(memory.Address);
                break;
            case AddressOfExpr address:
                AddressTaken?.Invoke(address);
                Visit(address.Target);
                break;
            case StructInitExpr init:
                Visit(init.Storage);
                foreach (Expr initializer in init.Initializers)
                {
                    Visit(initializer);
                }
                break;
            case LetExpr let:
                Visit(let.Value);
                Visit(let.Body);
                break;
            case BitCountExpr bits:
                Visit(bits.Operand);
                break;
        }
    }
}
