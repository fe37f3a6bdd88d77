using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>
/// Switch expressions, <c>is</c> patterns and the patterns and <c>when</c> clauses of switch statements. The value is
/// computed once into a slot (<see cref="LetExpr"/>); each pattern becomes a test of that slot (constant: ==,
/// relational: &lt; &lt;= &gt; &gt;=, <c>and</c>/<c>or</c>/<c>not</c>: &amp;&amp; || !, <c>var x</c> and <c>_</c>: always), and
/// the arms a chain of <c>?:</c>, so no new machinery reaches code generation.
/// </summary>
internal sealed partial class BodyLowering
{
    /// <summary>
    /// The value to test, readable more than once: a constant itself, anything else copied into a new slot once (C#
    /// reads the value once, even if a guard assigns the variable it came from).
    /// </summary>
    private (Expr Subject, int? Slot, Expr Bound) Subject(Expr value)
    {
        if (value is ConstantExpr)
        {
            return (value, null, value);
        }

        if (value.Type.IsStruct)
        {
            return StructSubject(value);
        }

        int slot = NewSlot(value.Type);
        return (new LocalExpr(value.Type, slot), slot, value);
    }

    private static Expr Bind(Expr value, int? slot, Expr body)
        => slot is int s ? new LetExpr(body.Type, s, value, body) : body;

    private Expr LowerIsPattern(IIsPatternOperation isPattern)
    {
        Expr value = LowerExpression(isPattern.Value);
        if (value.Type.IsPointer && !(value.Type.Kind == ValueKind.String && isPattern.Pattern is IConstantPatternOperation)
            && isPattern.Pattern is not IRecursivePatternOperation)
        {
            return UnsupportedPattern(isPattern.Pattern, isPattern.Pattern is IConstantPatternOperation
                ? new CSharpFeature("an 'is' test of a string or an array", "compare the lengths and the elements (s.Length, s[i])")
                : CSharpFeatures.OfPattern(isPattern.Pattern));
        }

        (Expr subject, int? slot, Expr bound) = Subject(value);
        return Bind(bound, slot, Convert(Test(subject, isPattern.Pattern), GuestType.Bool));
    }

    private Expr LowerSwitchExpression(ISwitchExpressionOperation switchExpression)
    {
        // An arm C# cannot prove is reached would make .NET throw SwitchExpressionException: refused rather than
        // given a guest-only behaviour.
        if (!switchExpression.IsExhaustive)
        {
            ReportFeature(Diagnostics.UnsupportedExpression, switchExpression.Syntax,
                new CSharpFeature("a switch expression that does not cover every value", "end it with a discard arm: _ => value"));
            return Placeholder;
        }

        Expr value = LowerExpression(switchExpression.Value);
        GuestType type = GuestTypes.From(switchExpression.Type) ?? GuestType.Int32;
        if (value.Type.IsPointer && value.Type.Kind != ValueKind.String)
        {
            ReportFeature(Diagnostics.UnsupportedExpression, switchExpression.Value.Syntax,
                new CSharpFeature("a switch expression on an array", "switch on an integer, an enum or a string"));
            return Placeholder;
        }

        (Expr subject, int? slot, Expr bound) = Subject(value);
        Expr? result = null;
        for (int i = switchExpression.Arms.Length - 1; i >= 0; i--)
        {
            ISwitchExpressionArmOperation arm = switchExpression.Arms[i];
            Expr condition = Convert(Test(subject, arm.Pattern), GuestType.Bool);
            if (arm.Guard is not null)
            {
                condition = MakeBinary(BinaryOp.AndAlso, condition, LowerCondition(arm.Guard));
            }

            Expr armValue = Convert(LowerExpression(arm.Value), type);

            // The last arm of an exhaustive switch is reached only when it matches: it needs no test.
            result = result is null ? WithBindings(condition, armValue) : new ConditionalExpr(type, condition, armValue, result);
        }

        return Bind(bound, slot, result ?? Placeholder);
    }

    /// <summary>The last arm's pattern may declare variables (<c>var x</c>): its test binds them, so keep it before the value.</summary>
    private static Expr WithBindings(Expr condition, Expr value)
        => condition is ConstantExpr ? value : new ConditionalExpr(value.Type, condition, value, value);

    /// <summary>The test that <paramref name="subject"/> (a local or a constant) matches <paramref name="pattern"/>.</summary>
    private Expr Test(Expr subject, IPatternOperation pattern)
    {
        switch (pattern)
        {
            case IConstantPatternOperation constant:
                return EqualTo(subject, constant.Value) ?? UnsupportedPattern(pattern, new CSharpFeature("comparing an array with a constant", "compare its elements, or its length"));

            case IRelationalPatternOperation relational when MapOperator(relational.OperatorKind) is BinaryOp op:
                return MakeBinary(op, subject, LowerExpression(relational.Value));
            case IBinaryPatternOperation binary:
                return MakeBinary(binary.OperatorKind == BinaryOperatorKind.Or ? BinaryOp.OrElse : BinaryOp.AndAlso,
                    Test(subject, binary.LeftPattern), Test(subject, binary.RightPattern));
            case INegatedPatternOperation negated:
                return new UnaryExpr(GuestType.Bool, UnaryOp.Not, Convert(Test(subject, negated.Pattern), GuestType.Bool));
            case IDiscardPatternOperation:
                return new ConstantExpr(GuestType.Bool, 1);
            case IRecursivePatternOperation recursive when subject.Type.IsStruct || subject.Type.IsPointer:
                return TestProperties(subject, recursive);
            case IDeclarationPatternOperation { DeclaredSymbol: null } declaration when SameType(declaration.MatchedType, subject):
                return new ConstantExpr(GuestType.Bool, 1);
            case IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol local } declaration when SameType(declaration.MatchedType, subject):
            {
                // var x (or T x of the value's own type) always matches and names the value: x = value, true.
                GuestType type = GuestTypes.From(local.Type) ?? subject.Type;
                var assign = new AssignExpr(type, new LocalExpr(type, SlotOf(local)), Convert(subject, type));
                return new LetExpr(GuestType.Bool, NewSlot(type), assign, new ConstantExpr(GuestType.Bool, 1));
            }

            default:
                return UnsupportedPattern(pattern, CSharpFeatures.OfPattern(pattern));
        }
    }

    private static bool SameType(ITypeSymbol? matched, Expr subject)
        => matched is null || GuestTypes.From(matched) == subject.Type;

    private Expr UnsupportedPattern(IPatternOperation pattern, CSharpFeature feature)
    {
        ReportFeature(Diagnostics.UnsupportedExpression, pattern.Syntax, feature);
        return new ConstantExpr(GuestType.Bool, 0);
    }

    /// <summary>
    /// A switch statement whose labels are patterns or have <c>when</c> clauses: each section's test (its labels
    /// or'ed, in source order) picks the section's number, and a switch on that number runs it, so <c>break</c> and
    /// <c>default</c> keep their meaning.
    /// </summary>
    private Stmt LowerPatternSwitch(ISwitchOperation switchOperation, Expr value)
    {
        (Expr subject, int? slot, Expr bound) = Subject(value);
        int id = NewJumpTarget(switchOperation.ExitLabel, null);
        var tests = new List<(int Section, Expr Test)>();
        var sections = new List<SwitchSection>();
        for (int s = 0; s < switchOperation.Cases.Length; s++)
        {
            ISwitchCaseOperation section = switchOperation.Cases[s];
            bool isDefault = false;
            foreach (ICaseClauseOperation clause in section.Clauses)
            {
                switch (clause)
                {
                    case IDefaultCaseClauseOperation:
                        isDefault = true;
                        break;
                    case ISingleValueCaseClauseOperation single:
                        tests.Add((s, EqualTo(subject, single.Value) ?? new ConstantExpr(GuestType.Bool, 0)));
                        break;
                    case IPatternCaseClauseOperation patternClause:
                    {
                        Expr test = Convert(Test(subject, patternClause.Pattern), GuestType.Bool);
                        if (patternClause.Guard is not null)
                        {
                            test = MakeBinary(BinaryOp.AndAlso, test, LowerCondition(patternClause.Guard));
                        }

                        tests.Add((s, test));
                        break;
                    }

                    default:
                        ReportCaseClause(clause);
                        break;
                }
            }

            var labels = new List<ulong> { (ulong)s };
            sections.Add(new SwitchSection(labels.ToEquatableArray(), isDefault, LowerStatements(section.Body)));
        }

        Expr chosen = new ConstantExpr(GuestType.Int32, unchecked((ulong)-1L));
        for (int i = tests.Count - 1; i >= 0; i--)
        {
            chosen = new ConditionalExpr(GuestType.Int32, tests[i].Test, new ConstantExpr(GuestType.Int32, (ulong)tests[i].Section), chosen);
        }

        return new SwitchStmt(id, Bind(bound, slot, chosen), sections.ToEquatableArray());
    }

    /// <summary>Whether a switch statement needs <see cref="LowerPatternSwitch"/>: a label that is not an integer constant.</summary>
    private static bool HasPatternLabels(ISwitchOperation switchOperation)
    {
        foreach (ISwitchCaseOperation section in switchOperation.Cases)
        {
            foreach (ICaseClauseOperation clause in section.Clauses)
            {
                bool plain = clause is IDefaultCaseClauseOperation
                    or ISingleValueCaseClauseOperation
                    or IPatternCaseClauseOperation { Guard: null, Pattern: IConstantPatternOperation or IDiscardPatternOperation };
                if (!plain)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// <paramref name="subject"/> == the constant: integers compare with ==, strings call the guest library's
    /// ordinal <c>StringCompare.Equal</c>; null for anything else (an array).
    /// </summary>
    private Expr? EqualTo(Expr subject, IOperation constant)
    {
        Expr value = LowerExpression(constant);
        if (!subject.Type.IsPointer && !value.Type.IsPointer)
        {
            return MakeBinary(BinaryOp.Equal, subject, value);
        }

        if (subject.Type.Kind != ValueKind.String || value is not StringLiteralExpr
            || _model.Compilation.GetTypeByMetadataName(StringCompareClass) is not INamedTypeSymbol compare)
        {
            return null;
        }

        return LibraryCall(compare, "Equal", new[] { subject, value }, SpecialType.System_String, SpecialType.System_String);
    }

    private const string StringCompareClass = "Translator.Guest.StringCompare";
}
