using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>
/// Ranges where they are plain indexing: <c>foreach (var b in buf[2..^1])</c> over an array or a string is an index
/// loop from the range's start to its end over the sequence itself. .NET loops over a copy (GetSubArray, Substring),
/// which only differs when the loop changes the array, so over an array the loop must not write memory or call
/// code that could (a string never changes). A slice anywhere else would be a new array, and a guest array is its
/// elements after a length word: there is no way to make one without a copy, and no heap to copy into.
/// </summary>
internal sealed partial class BodyLowering
{
    /// <summary><c>foreach</c> over <c>a[range]</c>, or null when the collection is not a range of an array or string.</summary>
    private Stmt? TryLowerRangeForEach(IForEachLoopOperation loop, IOperation collection)
    {
        (IOperation? sequenceOperation, IRangeOperation? range) = collection switch
        {
            IArrayElementReferenceOperation { Indices.Length: 1 } element when element.Indices[0] is IRangeOperation r => (element.ArrayReference, r),
            IImplicitIndexerReferenceOperation { Argument: IRangeOperation r } indexer => (indexer.Instance, r),
            _ => (null, null),
        };
        if (sequenceOperation is null || range is null || loop.LoopControlVariable is not IVariableDeclaratorOperation declarator)
        {
            return null;
        }

        if (sequenceOperation.Type?.SpecialType != SpecialType.System_String && MayWriteMemory(loop.Body) is IOperation writer)
        {
            ReportFeature(Diagnostics.UnsupportedRange, collection.Syntax, new CSharpFeature(
                "a foreach over a range of an array whose loop may change memory (here '" + CSharpFeatures.Excerpt(writer.Syntax) + "')",
                ".NET loops over a copy, and guest code has no heap to copy into: loop over the indices, for (int i = start; i < end; i++)"));
            return new BlockStmt(EquatableArray<Stmt>.Empty);
        }

        Expr sequenceValue = LowerExpression(sequenceOperation);
        if (sequenceValue.Type.Kind is not (ValueKind.Array or ValueKind.String))
        {
            return null;
        }

        GuestType sequence = sequenceValue.Type;
        var sequenceRef = new LocalExpr(sequence, NewSlot(sequence));
        var start = new LocalExpr(GuestType.Int32, NewSlot(GuestType.Int32));
        var end = new LocalExpr(GuestType.Int32, NewSlot(GuestType.Int32));
        var index = new LocalExpr(GuestType.Int32, NewSlot(GuestType.Int32));
        GuestType variableType = GuestTypes.From(declarator.Symbol.Type) ?? sequence.ElementType;
        var variable = new LocalExpr(variableType, SlotOf(declarator.Symbol));

        // .NET throws when end > length or start > end (unsigned, so a negative one too): the guest's out-of-range
        // panic, reached by reading the element at -1.
        var length = new LengthExpr(sequenceRef);
        Expr outOfRange = MakeBinary(BinaryOp.OrElse,
            new BinaryExpr(GuestType.Bool, BinaryOp.Greater, GuestType.UInt32, Convert(end, GuestType.UInt32), Convert(length, GuestType.UInt32)),
            new BinaryExpr(GuestType.Bool, BinaryOp.Greater, GuestType.UInt32, Convert(start, GuestType.UInt32), Convert(end, GuestType.UInt32)));
        Expr panic = Convert(new ElementExpr(sequence.ElementType, sequenceRef, new ConstantExpr(GuestType.Int32, unchecked((ulong)-1L))), GuestType.Int32);

        int id = NewJumpTarget(loop.ExitLabel, loop.ContinueLabel);
        var body = new BlockStmt(new Stmt[]
        {
            new ExprStmt(new AssignExpr(variableType, variable, Convert(new ElementExpr(sequence.ElementType, sequenceRef, index), variableType))),
            LowerStatement(loop.Body),
        }.ToEquatableArray());
        return new BlockStmt(new Stmt[]
        {
            new ExprStmt(new AssignExpr(sequence, sequenceRef, sequenceValue)),
            new ExprStmt(new AssignExpr(GuestType.Int32, start, RangeEnd(range.LeftOperand, length, fromEndByDefault: false))),
            new ExprStmt(new AssignExpr(GuestType.Int32, end, RangeEnd(range.RightOperand, length, fromEndByDefault: true))),
            new IfStmt(outOfRange, new ExprStmt(panic), null),
            new ExprStmt(new AssignExpr(GuestType.Int32, index, start)),
            new LoopStmt(id, MakeBinary(BinaryOp.Less, index, end), true, body, new ExprStmt(new IncrementExpr(GuestType.Int32, true, false, index))),
        }.ToEquatableArray());
    }

    /// <summary>One end of a range as an offset from the start: <c>i</c>, <c>^i</c> (length - i), or the default (0 or ^0).</summary>
    private Expr RangeEnd(IOperation? end, Expr length, bool fromEndByDefault)
    {
        while (end is IConversionOperation { IsImplicit: true } conversion)
        {
            end = conversion.Operand; // int to Index
        }

        return end switch
        {
            null => fromEndByDefault ? length : new ConstantExpr(GuestType.Int32, 0),
            IUnaryOperation { OperatorKind: UnaryOperatorKind.Hat } fromEnd
                => MakeBinary(BinaryOp.Subtract, length, Convert(LowerExpression(fromEnd.Operand), GuestType.Int32)),
            _ => Convert(LowerExpression(end), GuestType.Int32),
        };
    }

    /// <summary>
    /// The first operation in <paramref name="body"/> that may write memory: an assignment to anything but a local or
    /// a parameter, a ref or out argument, or a call of anything but the guest library's Console and formatting.
    /// </summary>
    private static IOperation? MayWriteMemory(IOperation body)
    {
        foreach (IOperation operation in body.DescendantsAndSelf())
        {
            IOperation? target = operation switch
            {
                IAssignmentOperation assignment => assignment.Target,
                IIncrementOrDecrementOperation increment => increment.Target,
                _ => null,
            };
            if (target is not null && !(target is ILocalReferenceOperation { Local.IsRef: false } || target is IParameterReferenceOperation { Parameter.RefKind: RefKind.None }))
            {
                return operation;
            }

            if (operation is IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out })
            {
                return operation;
            }

            if (operation is IInvocationOperation invocation && !ReadsOnly(invocation.TargetMethod))
            {
                return operation;
            }
        }

        return null;
    }

    /// <summary>The guest library's output classes, which write only the console.</summary>
    private static bool ReadsOnly(IMethodSymbol method)
        => method.ContainingType.ToDisplayString() is ConsoleClass or FormatClass
            || method.ContainingType.ToDisplayString() is "System.Math" or "System.Numerics.BitOperations";

    /// <summary>A slice used as a value: refused, with what to write instead.</summary>
    private Expr RefuseSlice(IOperation slice)
    {
        ReportFeature(Diagnostics.UnsupportedRange, slice.Syntax, new CSharpFeature(
            "a slice used as an array or a string",
            "a guest array is its elements after a length word, so a slice cannot be one without a copy, and guest code has no heap: pass the array with the bounds, F(a, start, end), or loop over the slice with foreach (var x in a[start..end])"));
        return Placeholder;
    }
}
