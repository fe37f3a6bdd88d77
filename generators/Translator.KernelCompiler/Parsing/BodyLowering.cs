using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>
/// Lowers one method body from Roslyn's bound tree (<see cref="IOperation"/>, where every conversion is explicit and
/// every operator typed) to the kernel compiler's IR. Anything outside the guest subset becomes a diagnostic on its
/// syntax and a harmless placeholder, so that one pass reports every problem.
/// </summary>
internal sealed partial class BodyLowering
{
    private readonly SemanticModel _model;
    private readonly IMethodSymbol _method;
    private readonly bool _userMode;
    private readonly List<DiagnosticInfo> _diagnostics;
    private readonly CancellationToken _cancellation;
    private readonly List<GuestType> _slots = new();
    private readonly Dictionary<ISymbol, int> _slotOf = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ILabelSymbol, int> _breakTargets = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ILabelSymbol, int> _continueTargets = new(SymbolEqualityComparer.Default);
    private int _nextJumpTarget;

    /// <summary>Locals whose declaration was refused: their uses are not separate causes.</summary>
    private readonly HashSet<ISymbol> _refusedVariables = new(SymbolEqualityComparer.Default);
    private readonly List<Microsoft.CodeAnalysis.Text.TextSpan> _silentlyRefused = new();

    public BodyLowering(SemanticModel model, IMethodSymbol method, bool userMode, List<DiagnosticInfo> diagnostics, CancellationToken cancellation)
    {
        _model = model;
        _method = method;
        _userMode = userMode;
        _diagnostics = diagnostics;
        _cancellation = cancellation;
    }

    public EquatableArray<GuestType> Slots => _slots.ToEquatableArray();

    /// <summary>Gives each parameter its slot; false (after reporting) if one cannot be guest code.</summary>
    public bool DeclareParameters()
    {
        bool ok = true;
        if (ReturnsStruct(_method))
        {
            _returnBuffer = NewSlot(AnyPointer);
        }

        if (!_method.IsStatic)
        {
            _thisSlot = NewSlot(AnyPointer); // 'this' of a struct's instance method, by reference
        }

        foreach (IParameterSymbol parameter in _method.Parameters)
        {
            GuestType? type = GuestTypes.From(parameter.Type);
            SyntaxNode? syntax = parameter.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellation);
            if (type is not GuestType t || t.Kind == ValueKind.Void)
            {
                ReportType(parameter.Type, syntax);
                ok = false;
                continue;
            }

            if (parameter.RefKind != RefKind.None && !IsRef(parameter.RefKind))
            {
                Report(Diagnostics.MethodShape, syntax, _method.Name, "this kind of parameter is not supported: use a value, ref, out or in parameter");
                ok = false;
                continue;
            }

            _slotOf[parameter] = NewSlot(SlotType(parameter.Type, parameter.RefKind != RefKind.None)!.Value);
        }

        ParameterCount = _slots.Count;
        return ok;
    }

    public Stmt LowerBody(SyntaxNode declaration)
    {
        IOperation? operation = _model.GetOperation(declaration, _cancellation);
        IBlockOperation? block = operation switch
        {
            IMethodBodyOperation body => body.BlockBody ?? body.ExpressionBody,
            IBlockOperation b => b,
            _ => null,
        };
        if (block is null)
        {
            Report(Diagnostics.MethodShape, declaration, _method.Name, "it has no body");
            return new BlockStmt(EquatableArray<Stmt>.Empty);
        }

        return LowerStatement(block);
    }

    private int NewSlot(GuestType type)
    {
        _slots.Add(type);
        return _slots.Count - 1;
    }

    private int SlotOf(ISymbol local)
    {
        if (!_slotOf.TryGetValue(local, out int slot))
        {
            GuestType? type = local is ILocalSymbol l ? SlotType(l.Type, l.IsRef) : GuestTypes.From(((IParameterSymbol)local).Type);
            slot = NewSlot(type ?? GuestType.Int32);
            _slotOf[local] = slot;
        }

        return slot;
    }

    /// <summary>
    /// Reports once per cause: not when <paramref name="node"/> contains code already refused (a refused operand's
    /// parent, a refused variable's use), since the first error is the one the user must act on.
    /// </summary>
    private void Report(DiagnosticDescriptor descriptor, SyntaxNode? node, params string[] arguments)
    {
        if (node is null || !FollowsARefusal(node))
        {
            _diagnostics.Add(DiagnosticInfo.Create(descriptor, LocationInfo.From(node), arguments));
        }
    }

    /// <summary>Code whose error is reported elsewhere (a variable or field whose declaration was refused): its parents stay silent.</summary>
    private Expr Refused(SyntaxNode node)
    {
        _silentlyRefused.Add(node.Span);
        return Placeholder;
    }

    /// <summary>Whether <paramref name="node"/> holds code already refused (C#'s own errors: GuestClassParser.WithoutCSharpsErrors).</summary>
    private bool FollowsARefusal(SyntaxNode node)
    {
        string path = node.SyntaxTree.FilePath;
        return _silentlyRefused.Any(node.Span.Contains)
            || _diagnostics.Any(d => d.Location is { } at && at.FilePath == path && node.Span.Contains(at.Span));
    }

    private Stmt LowerStatement(IOperation operation)
    {
        _cancellation.ThrowIfCancellationRequested();
        switch (operation)
        {
            case IBlockOperation block:
                return LowerStatements(block.Operations);
            case IVariableDeclarationGroupOperation group:
                return LowerDeclarations(group);
            case IExpressionStatementOperation statement:
                return TryLowerFormattedWrite(statement.Operation) ?? new ExprStmt(LowerExpression(statement.Operation));
            case IConditionalOperation conditional:
                return new IfStmt(
                    LowerCondition(conditional.Condition),
                    LowerStatement(conditional.WhenTrue),
                    conditional.WhenFalse is null ? null : LowerStatement(conditional.WhenFalse));
            case IWhileLoopOperation loop:
                return LowerWhile(loop);
            case IForLoopOperation loop:
                return LowerFor(loop);
            case IForEachLoopOperation loop:
                return LowerForEach(loop);
            case IBranchOperation branch:
                return LowerBranch(branch);
            case IReturnOperation { Kind: OperationKind.Return } ret:
                return new ReturnStmt(ret.ReturnedValue is null ? null : LowerReturnValue(ret.ReturnedValue));
            case ISwitchOperation switchOperation:
                return LowerSwitch(switchOperation);
            case IEmptyOperation:
                return new BlockStmt(EquatableArray<Stmt>.Empty);
            case { Kind: OperationKind.None, Syntax: Microsoft.CodeAnalysis.CSharp.Syntax.FixedStatementSyntax }:
                // Guest memory never moves: 'fixed' declares its pointers and runs its body.
                return LowerStatements(operation.ChildOperations);
            case ILocalFunctionOperation localFunction:
                return LowerLocalFunction(localFunction);
            default:
                ReportFeature(Diagnostics.UnsupportedStatement, operation.Syntax, CSharpFeatures.Of(operation));
                return new BlockStmt(EquatableArray<Stmt>.Empty);
        }
    }

    private BlockStmt LowerStatements(IEnumerable<IOperation> operations)
    {
        var statements = new List<Stmt>();
        foreach (IOperation operation in operations)
        {
            if (operation is not (IBlockOperation or ILocalFunctionOperation))
            {
                statements.Add(SourceLine(operation.Syntax));
            }

            statements.Add(LowerStatement(operation));
        }

        return new BlockStmt(statements.ToEquatableArray());
    }

    private static SourceLineStmt SourceLine(SyntaxNode syntax)
    {
        string text = syntax.ToString();
        int newline = text.IndexOf('\n');
        text = (newline >= 0 ? text.Substring(0, newline) : text).Trim();
        if (text.Length > 72)
        {
            text = text.Substring(0, 69) + "...";
        }

        // The file's name only: the map inside the image must not depend on where the sources were built.
        string file = System.IO.Path.GetFileName(syntax.SyntaxTree.FilePath);
        return new SourceLineStmt(syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1, text, file);
    }

    private Stmt LowerDeclarations(IVariableDeclarationGroupOperation group)
    {
        var statements = new List<Stmt>();
        foreach (IVariableDeclarationOperation declaration in group.Declarations)
        {
            foreach (IVariableDeclaratorOperation declarator in declaration.Declarators)
            {
                ILocalSymbol local = declarator.Symbol;
                GuestType? type = GuestTypes.From(local.Type);
                if (type is not GuestType t || t.Kind is ValueKind.Void)
                {
                    ReportType(local.Type, declarator.Syntax);
                    _refusedVariables.Add(local);
                    continue;
                }

                int slot = SlotOf(local);
                IVariableInitializerOperation? initializer = declarator.Initializer ?? declaration.Initializer;
                if (initializer is not null && local.IsRef)
                {
                    statements.Add(new ExprStmt(new AssignExpr(AnyPointer, new LocalExpr(AnyPointer, slot), AddressOf(LowerExpression(initializer.Value), AnyPointer))));
                }
                else if (initializer is not null && t.IsStruct && LowerExpression(initializer.Value) is StructInitExpr creation)
                {
                    // A fresh local is built in place: nothing can read it before its initializer ends.
                    statements.Add(new ExprStmt(creation with { Storage = new LocalExpr(t, slot) }));
                }
                else if (initializer is not null)
                {
                    statements.Add(new ExprStmt(new AssignExpr(t, new LocalExpr(t, slot), Convert(LowerExpression(initializer.Value), t))));
                }
            }
        }

        return new BlockStmt(statements.ToEquatableArray());
    }

    private int NewJumpTarget(ILabelSymbol? breakLabel, ILabelSymbol? continueLabel)
    {
        int id = _nextJumpTarget++;
        if (breakLabel is not null)
        {
            _breakTargets[breakLabel] = id;
        }

        if (continueLabel is not null)
        {
            _continueTargets[continueLabel] = id;
        }

        return id;
    }

    private Stmt LowerWhile(IWhileLoopOperation loop)
    {
        int id = NewJumpTarget(loop.ExitLabel, loop.ContinueLabel);
        Expr? condition = loop.Condition is null ? null : LowerCondition(loop.Condition);
        if (loop.ConditionIsUntil && condition is not null)
        {
            condition = new UnaryExpr(GuestType.Bool, UnaryOp.Not, condition);
        }

        return new LoopStmt(id, condition, loop.ConditionIsTop, LowerStatement(loop.Body), null);
    }

    private Stmt LowerFor(IForLoopOperation loop)
    {
        var statements = new List<Stmt>();
        foreach (IOperation before in loop.Before)
        {
            statements.Add(LowerStatement(before));
        }

        int id = NewJumpTarget(loop.ExitLabel, loop.ContinueLabel);
        Expr? condition = loop.Condition is null ? null : LowerCondition(loop.Condition);
        Stmt body = LowerStatement(loop.Body);
        Stmt step = LowerStatements(loop.AtLoopBottom);
        statements.Add(new LoopStmt(id, condition, true, body, step));
        return new BlockStmt(statements.ToEquatableArray());
    }

    /// <summary><c>foreach</c> over an array or a string: an index loop over a copy of the reference.</summary>
    private Stmt LowerForEach(IForEachLoopOperation loop)
    {
        IOperation collection = loop.Collection;
        while (collection is IConversionOperation { IsImplicit: true } conversion)
        {
            collection = conversion.Operand;
        }

        if (TryLowerRangeForEach(loop, collection) is Stmt range)
        {
            return range;
        }

        GuestType? collectionType = GuestTypes.From(collection.Type);
        if (collectionType is not { Kind: ValueKind.Array or ValueKind.String } sequence
            || loop.LoopControlVariable is not IVariableDeclaratorOperation declarator)
        {
            ReportFeature(Diagnostics.UnsupportedStatement, loop.Syntax,
                new CSharpFeature("'foreach' over something other than an array or a string", "loop with for over an index"));
            return new BlockStmt(EquatableArray<Stmt>.Empty);
        }

        GuestType variableType = GuestTypes.From(declarator.Symbol.Type) ?? sequence.ElementType;
        int sequenceSlot = NewSlot(sequence);
        int indexSlot = NewSlot(GuestType.Int32);
        int variableSlot = SlotOf(declarator.Symbol);
        var sequenceRef = new LocalExpr(sequence, sequenceSlot);
        var index = new LocalExpr(GuestType.Int32, indexSlot);

        int id = NewJumpTarget(loop.ExitLabel, loop.ContinueLabel);
        var element = new ElementExpr(sequence.ElementType, sequenceRef, index);
        var body = new BlockStmt(new Stmt[]
        {
            new ExprStmt(new AssignExpr(variableType, new LocalExpr(variableType, variableSlot), Convert(element, variableType))),
            LowerStatement(loop.Body),
        }.ToEquatableArray());
        var condition = new BinaryExpr(GuestType.Bool, BinaryOp.Less, GuestType.Int32, index, new LengthExpr(sequenceRef));
        var step = new ExprStmt(new IncrementExpr(GuestType.Int32, true, false, index));
        return new BlockStmt(new Stmt[]
        {
            new ExprStmt(new AssignExpr(sequence, sequenceRef, LowerExpression(collection))),
            new ExprStmt(new AssignExpr(GuestType.Int32, index, new ConstantExpr(GuestType.Int32, 0))),
            new LoopStmt(id, condition, true, body, step),
        }.ToEquatableArray());
    }

    private Stmt LowerBranch(IBranchOperation branch)
    {
        if (branch.BranchKind == BranchKind.Break && _breakTargets.TryGetValue(branch.Target, out int breakId))
        {
            return new BreakStmt(breakId);
        }

        if (branch.BranchKind == BranchKind.Continue && _continueTargets.TryGetValue(branch.Target, out int continueId))
        {
            return new ContinueStmt(continueId);
        }

        ReportFeature(Diagnostics.UnsupportedStatement, branch.Syntax, new CSharpFeature("'goto'", "use a loop with break and continue"));
        return new BlockStmt(EquatableArray<Stmt>.Empty);
    }

    private Stmt LowerSwitch(ISwitchOperation switchOperation)
    {
        Expr value = LowerExpression(switchOperation.Value);
        bool onString = switchOperation.Value.Type?.SpecialType == SpecialType.System_String;
        if (onString && value.Type.Kind == ValueKind.String)
        {
            return LowerPatternSwitch(switchOperation, value); // labels compare with StringCompare.Equal
        }

        if (value.Type.IsPointer || value.Type.Kind == ValueKind.Void)
        {
            // One error for the switch: its string labels are not separate causes.
            ReportFeature(Diagnostics.UnsupportedStatement, switchOperation.Value.Syntax, onString
                ? new CSharpFeature("a switch on a string", "switch on an integer or an enum, or compare the string's length and characters (s.Length, s[i])")
                : new CSharpFeature("a switch on an array", "switch on an integer or an enum"));
            return new BlockStmt(EquatableArray<Stmt>.Empty);
        }

        if (HasPatternLabels(switchOperation))
        {
            return LowerPatternSwitch(switchOperation, value);
        }

        int id = NewJumpTarget(switchOperation.ExitLabel, null);
        var sections = new List<SwitchSection>();
        foreach (ISwitchCaseOperation section in switchOperation.Cases)
        {
            var labels = new List<ulong>();
            bool isDefault = false;
            foreach (ICaseClauseOperation clause in section.Clauses)
            {
                switch (clause)
                {
                    case IDefaultCaseClauseOperation:
                        isDefault = true;
                        break;
                    case ISingleValueCaseClauseOperation { Value.ConstantValue: { HasValue: true } constant } when GuestTypes.IsIntegralConstant(constant.Value):
                        labels.Add(GuestTypes.ConstantBits(constant.Value));
                        break;
                    case IPatternCaseClauseOperation { Guard: null, Pattern: IConstantPatternOperation { Value.ConstantValue: { HasValue: true } constant } } when GuestTypes.IsIntegralConstant(constant.Value):
                        labels.Add(GuestTypes.ConstantBits(constant.Value));
                        break;
                    case IPatternCaseClauseOperation { Guard: null, Pattern: IDiscardPatternOperation }:
                        isDefault = true;
                        break;
                    default:
                        ReportCaseClause(clause);
                        break;
                }
            }

            sections.Add(new SwitchSection(labels.ToEquatableArray(), isDefault, LowerStatements(section.Body)));
        }

        return new SwitchStmt(id, value, sections.ToEquatableArray());
    }

    private void ReportCaseClause(ICaseClauseOperation clause)
    {
        CSharpFeature feature = clause switch
        {
            IPatternCaseClauseOperation { Pattern: IConstantPatternOperation } or ISingleValueCaseClauseOperation
                => new CSharpFeature("a case label that is not an integer constant", "label cases with integer, char or enum constants"),
            IRangeCaseClauseOperation => new CSharpFeature("a range case label", "list the values, or test the range with if"),
            _ => new CSharpFeature("this case label", "label cases with integer, char or enum constants"),
        };
        ReportFeature(Diagnostics.UnsupportedStatement, clause.Syntax, feature);
    }
}
