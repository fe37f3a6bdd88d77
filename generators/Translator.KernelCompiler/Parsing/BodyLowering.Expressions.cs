using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Translator.KernelCompiler.Intrinsics;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

internal sealed partial class BodyLowering
{
    private static readonly ConstantExpr Placeholder = new(GuestType.Int32, 0);

    private Expr LowerCondition(IOperation operation) => Convert(LowerExpression(operation), GuestType.Bool);

    private Expr LowerExpression(IOperation operation)
    {
        _cancellation.ThrowIfCancellationRequested();
        if (operation.ConstantValue.HasValue)
        {
            return LowerConstant(operation);
        }

        switch (operation)
        {
            case IConversionOperation conversion:
                return LowerConversion(conversion);
            case ILocalReferenceOperation local:
                return _refusedVariables.Contains(local.Local) ? Refused(local.Syntax) : Variable(local.Local, local.Local.Type, local.Local.IsRef);
            case IParameterReferenceOperation parameter:
                return Variable(parameter.Parameter, parameter.Parameter.Type, parameter.Parameter.RefKind != RefKind.None);
            case IFieldReferenceOperation field:
                return LowerField(field);
            case IArrayElementReferenceOperation { Indices.Length: 1 } slice when slice.Indices[0] is IRangeOperation:
                return RefuseSlice(operation);
            case IImplicitIndexerReferenceOperation { Argument: IRangeOperation, Parent: IArgumentOperation }:
                return RefuseSlice(operation);
            case IArrayElementReferenceOperation element when element.Indices.Length == 1:
                return LowerElement(element.Type, element.ArrayReference, element.Indices[0], element.Syntax);
            case IPropertyReferenceOperation property:
                return LowerProperty(property);
            case IUnaryOperation unary:
                return LowerUnary(unary);
            case IBinaryOperation binary:
                return LowerBinary(binary);
            case IIncrementOrDecrementOperation increment:
                return LowerIncrement(increment);
            case ICompoundAssignmentOperation compound:
                return LowerCompoundAssignment(compound);
            case ISimpleAssignmentOperation { IsRef: false } assignment:
                return LowerAssignment(assignment);
            case IInvocationOperation invocation:
                return LowerInvocation(invocation);
            case IConditionalOperation { WhenFalse: not null } conditional:
                return LowerConditional(conditional);
            case IAddressOfOperation address:
                return LowerAddressOf(address);
            case ISizeOfOperation size:
                return LowerSizeOf(size);
            case IObjectCreationOperation creation:
                return LowerObjectCreation(creation);
            case IDefaultValueOperation defaultValue:
                return LowerDefault(defaultValue);
            case ISimpleAssignmentOperation { IsRef: true, Target: ILocalReferenceOperation { Local.IsRef: true } target } rebind:
                return new AssignExpr(AnyPointer, new LocalExpr(AnyPointer, SlotOf(target.Local)), AddressOf(LowerExpression(rebind.Value), AnyPointer));
            case IInstanceReferenceOperation instance:
                return LowerThis(instance);
            case IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared }:
                return LowerExpression(declared); // out var x
            case { Kind: OperationKind.None }:
                return LowerUnsafeAccess(operation);
            case IImplicitIndexerReferenceOperation { Argument: IUnaryOperation { OperatorKind: UnaryOperatorKind.Hat } } indexer
                when indexer.Instance.Type?.SpecialType == SpecialType.System_String:
                return LowerElement(indexer.Type, indexer.Instance, indexer.Argument, indexer.Syntax);
            case IInterpolatedStringHandlerCreationOperation handler:
                return LowerHandlerArgument(handler);
            case ISwitchExpressionOperation switchExpression:
                return LowerSwitchExpression(switchExpression);
            case IIsPatternOperation isPattern:
                return LowerIsPattern(isPattern);
            default:
                return Unsupported(operation);
        }
    }

    private Expr Unsupported(IOperation operation)
    {
        if (operation.Kind == OperationKind.Invalid)
        {
            return Refused(operation.Syntax); // C# reports what does not compile: no second error
        }

        ReportFeature(Diagnostics.UnsupportedExpression, operation.Syntax, CSharpFeatures.Of(operation));
        return Placeholder;
    }

    /// <summary>Refuses a C# feature in the user's words: what it is, their text, and what to write instead.</summary>
    private void ReportFeature(DiagnosticDescriptor descriptor, SyntaxNode syntax, CSharpFeature feature)
        => Report(descriptor, syntax, feature.Quoting(syntax), feature.Instead);

    private Expr LowerConstant(IOperation operation)
    {
        object? value = operation.ConstantValue.Value;
        if (value is string text)
        {
            return new StringLiteralExpr(text);
        }

        if (GuestTypes.IsIntegralConstant(value) && GuestTypes.From(operation.Type) is GuestType type && !type.IsPointer)
        {
            return new ConstantExpr(type, GuestTypes.ConstantBits(value));
        }

        if (value is float or double or decimal && operation.IsImplicit)
        {
            return Refused(operation.Syntax); // an integer converted to a float place, which is refused where it is declared
        }

        if (value is float or double or decimal)
        {
            Report(Diagnostics.UnsupportedType, operation.Syntax, operation.Type?.ToDisplayString() ?? "floating point");
            return Placeholder;
        }

        return Unsupported(operation);
    }

    /// <summary>Converts <paramref name="value"/> to <paramref name="type"/> where C# did so implicitly (integers only).</summary>
    private static Expr Convert(Expr value, GuestType type)
    {
        if (value.Type == type || type.Kind == ValueKind.Void)
        {
            return value;
        }

        if (value is ConstantExpr constant && !type.IsPointer)
        {
            return new ConstantExpr(type, constant.Value);
        }

        return new ConvertExpr(type, value);
    }

    private Expr LowerConversion(IConversionOperation conversion)
    {
        GuestType? target = GuestTypes.From(conversion.Type);
        if (target is { IsAddress: true } pointer && conversion.Operand is ILiteralOperation { ConstantValue: { HasValue: true, Value: null } })
        {
            return new ConstantExpr(pointer, 0);
        }

        Expr operand = LowerExpression(conversion.Operand);
        if (target is not GuestType type)
        {
            ReportType(conversion.Type, conversion.Syntax);
            return Placeholder;
        }

        if (conversion.OperatorMethod is not null)
        {
            return Unsupported(conversion);
        }

        if (operand.Type == type)
        {
            return operand;
        }

        bool integral = !operand.Type.IsPointer && !type.IsPointer && operand.Type.Kind != ValueKind.Bool && type.Kind != ValueKind.Bool;
        if (!integral)
        {
            return Unsupported(conversion);
        }

        if (conversion.IsChecked)
        {
            Report(Diagnostics.CheckedArithmetic, conversion.Syntax);
        }

        return Convert(operand, type);
    }

    private Expr LowerField(IFieldReferenceOperation field)
    {
        GuestType? type = GuestTypes.From(field.Field.Type);
        if (type is null && field.Field.IsStatic && GuestClassParser.IsGuestClass(field.Field.ContainingType))
        {
            return Refused(field.Syntax); // the field's declaration has the error
        }

        if (type is not GuestType t)
        {
            ReportType(field.Field.Type, field.Syntax);
            return Placeholder;
        }

        if (field.Field.IsStatic)
        {
            if (!GuestClassParser.IsGuestClass(field.Field.ContainingType))
            {
                Report(Diagnostics.NotGuestCode, field.Syntax, field.Field.ToDisplayString());
                return Placeholder;
            }

            return new FieldExpr(t, field.Field.GetDocumentationCommentId() ?? field.Field.Name);
        }

        if (field.Instance is not null && StructLayouts.IsUserStruct(field.Field.ContainingType))
        {
            return LowerStructField(field, t);
        }

        if (field.Instance is not null)
        {
            LowerExpression(field.Instance); // a refused instance (a tuple, an object) is the cause, not its field
        }

        return Unsupported(field);
    }

    private Expr LowerElement(ITypeSymbol? elementType, IOperation array, IOperation index, SyntaxNode syntax)
    {
        Expr arrayValue = LowerExpression(array); // first: an array whose declaration was refused is the one error
        GuestType? type = GuestTypes.From(elementType);
        if (type is not GuestType t || (t.IsPointer && t.Kind is not (ValueKind.String or ValueKind.Array)))
        {
            ReportType(elementType, syntax);
            return Placeholder;
        }

        if (index is IUnaryOperation { OperatorKind: UnaryOperatorKind.Hat } fromEnd && arrayValue.Type.IsPointer)
        {
            return LowerFromEnd(t, arrayValue, fromEnd.Operand);
        }

        Expr indexValue = LowerExpression(index);
        if (!arrayValue.Type.IsPointer)
        {
            ReportFeature(Diagnostics.UnsupportedExpression, syntax, new CSharpFeature("indexing something other than an array or a string", "index arrays and strings, or read memory with Memory.Read8/16/32"));
            return Placeholder;
        }

        return new ElementExpr(t, arrayValue, Convert(indexValue, indexValue.Type.IsWide || indexValue.Type.Kind == ValueKind.UInt32 ? GuestType.UInt32 : GuestType.Int32));
    }

    private const string ParavirtualProperty = "Translator.Guest.KernelImage.IsParavirtual";
    private const string HypercallStubAttribute = "Translator.Guest.HypercallStubAttribute";
    public const int MaxHypercallArguments = 5;

    private Expr LowerProperty(IPropertyReferenceOperation property)
    {
        if (property.Property.IsStatic && property.Property.ContainingType.ToDisplayString() + "." + property.Property.Name == ParavirtualProperty)
        {
            return new ParavirtualExpr();
        }

        bool onString = property.Property.ContainingType.SpecialType == SpecialType.System_String;
        bool onArray = property.Property.ContainingType.SpecialType == SpecialType.System_Array;
        if ((onString || onArray) && property.Property.Name == "Length" && property.Instance is not null)
        {
            return new LengthExpr(LowerExpression(property.Instance));
        }

        if (onString && property.Property.IsIndexer && property.Instance is not null && property.Arguments.Length == 1)
        {
            return LowerElement(property.Type, property.Instance, property.Arguments[0].Value, property.Syntax);
        }

        return Unsupported(property);
    }

    private Expr LowerUnary(IUnaryOperation unary)
    {
        if (unary.OperatorMethod is not null || unary.IsLifted)
        {
            return Unsupported(unary);
        }

        if (unary.IsChecked && unary.OperatorKind == UnaryOperatorKind.Minus)
        {
            Report(Diagnostics.CheckedArithmetic, unary.Syntax);
        }

        GuestType type = GuestTypes.From(unary.Type) ?? GuestType.Int32;
        Expr operand = Convert(LowerExpression(unary.Operand), type);
        return unary.OperatorKind switch
        {
            UnaryOperatorKind.Plus => operand,
            UnaryOperatorKind.Minus => new UnaryExpr(type, UnaryOp.Negate, operand),
            UnaryOperatorKind.BitwiseNegation => new UnaryExpr(type, UnaryOp.Complement, operand),
            UnaryOperatorKind.Not => new UnaryExpr(type, UnaryOp.Not, operand),
            _ => Unsupported(unary),
        };
    }

    private static BinaryOp? MapOperator(BinaryOperatorKind kind) => kind switch
    {
        BinaryOperatorKind.Add => BinaryOp.Add,
        BinaryOperatorKind.Subtract => BinaryOp.Subtract,
        BinaryOperatorKind.Multiply => BinaryOp.Multiply,
        BinaryOperatorKind.Divide => BinaryOp.Divide,
        BinaryOperatorKind.Remainder => BinaryOp.Remainder,
        BinaryOperatorKind.And => BinaryOp.And,
        BinaryOperatorKind.Or => BinaryOp.Or,
        BinaryOperatorKind.ExclusiveOr => BinaryOp.Xor,
        BinaryOperatorKind.LeftShift => BinaryOp.ShiftLeft,
        BinaryOperatorKind.RightShift => BinaryOp.ShiftRight,
        BinaryOperatorKind.UnsignedRightShift => BinaryOp.ShiftRightUnsigned,
        BinaryOperatorKind.Equals => BinaryOp.Equal,
        BinaryOperatorKind.NotEquals => BinaryOp.NotEqual,
        BinaryOperatorKind.LessThan => BinaryOp.Less,
        BinaryOperatorKind.LessThanOrEqual => BinaryOp.LessOrEqual,
        BinaryOperatorKind.GreaterThan => BinaryOp.Greater,
        BinaryOperatorKind.GreaterThanOrEqual => BinaryOp.GreaterOrEqual,
        BinaryOperatorKind.ConditionalAnd => BinaryOp.AndAlso,
        BinaryOperatorKind.ConditionalOr => BinaryOp.OrElse,
        _ => null,
    };

    private static bool IsShift(BinaryOp op) => op is BinaryOp.ShiftLeft or BinaryOp.ShiftRight or BinaryOp.ShiftRightUnsigned;

    private static bool IsComparison(BinaryOp op) => op is >= BinaryOp.Equal and <= BinaryOp.GreaterOrEqual;

    private static bool IsArithmetic(BinaryOp op) => op is BinaryOp.Add or BinaryOp.Subtract or BinaryOp.Multiply or BinaryOp.Divide;

    private Expr LowerBinary(IBinaryOperation binary)
    {
        // Refused before the operands are lowered: "a" + n is one string concatenation, not an 'object' operand.
        if (binary.OperatorMethod is not null || binary.IsLifted || MapOperator(binary.OperatorKind) is not BinaryOp op
            || binary.Type?.SpecialType == SpecialType.System_String
            || binary.LeftOperand.Type is { IsReferenceType: true } || binary.RightOperand.Type is { IsReferenceType: true })
        {
            return Unsupported(binary);
        }

        if (LowerPointerBinary(binary, op) is Expr pointerArithmetic)
        {
            return pointerArithmetic;
        }

        Expr left = LowerExpression(binary.LeftOperand);
        Expr right = LowerExpression(binary.RightOperand);
        if (left.Type.IsPointer || right.Type.IsPointer)
        {
            return Unsupported(binary);
        }

        if (binary.IsChecked && IsArithmetic(op))
        {
            Report(Diagnostics.CheckedArithmetic, binary.Syntax);
        }

        return MakeBinary(op, left, right);
    }

    private static Expr MakeBinary(BinaryOp op, Expr left, Expr right)
    {
        if (op is BinaryOp.AndAlso or BinaryOp.OrElse)
        {
            return new BinaryExpr(GuestType.Bool, op, GuestType.Bool, Convert(left, GuestType.Bool), Convert(right, GuestType.Bool));
        }

        if (IsShift(op))
        {
            GuestType shifted = GuestTypes.Promote(left.Type);
            return new BinaryExpr(shifted, op, shifted, Convert(left, shifted), Convert(right, GuestType.Int32));
        }

        GuestType operands = GuestTypes.Promote(left.Type, right.Type);
        GuestType result = IsComparison(op) ? GuestType.Bool : operands;
        return new BinaryExpr(result, op, operands, Convert(left, operands), Convert(right, operands));
    }

    private static bool IsAssignable(Expr target)
        => target is LocalExpr or ElementExpr or FieldExpr or MemoryExpr;

    private Expr LowerIncrement(IIncrementOrDecrementOperation increment)
    {
        Expr target = LowerExpression(increment.Target);
        if (target.Type.IsAddress && IsAssignable(target))
        {
            return LowerPointerStep(increment, target, increment.Kind == OperationKind.Increment ? BinaryOp.Add : BinaryOp.Subtract, new ConstantExpr(GuestType.UInt32, 1), increment.IsPostfix);
        }

        if (increment.OperatorMethod is not null || !IsAssignable(target) || target.Type.IsPointer || target.Type.Kind == ValueKind.Bool)
        {
            return Unsupported(increment);
        }

        if (increment.IsChecked)
        {
            Report(Diagnostics.CheckedArithmetic, increment.Syntax);
        }

        return new IncrementExpr(target.Type, increment.Kind == OperationKind.Increment, increment.IsPostfix, target);
    }

    private Expr LowerCompoundAssignment(ICompoundAssignmentOperation compound)
    {
        Expr target = LowerExpression(compound.Target);
        Expr value = LowerExpression(compound.Value);
        if (target.Type.IsAddress && IsAssignable(target) && MapOperator(compound.OperatorKind) is BinaryOp.Add or BinaryOp.Subtract)
        {
            return LowerPointerStep(compound, target, MapOperator(compound.OperatorKind)!.Value, value, postfix: false);
        }

        if (compound.OperatorMethod is not null || MapOperator(compound.OperatorKind) is not BinaryOp op
            || !IsAssignable(target) || target.Type.IsPointer || value.Type.IsPointer)
        {
            return Unsupported(compound);
        }

        if (compound.IsChecked && IsArithmetic(op))
        {
            Report(Diagnostics.CheckedArithmetic, compound.Syntax);
        }

        if (IsShift(op))
        {
            return new CompoundAssignExpr(target.Type, op, GuestTypes.Promote(target.Type), target, Convert(value, GuestType.Int32));
        }

        GuestType operands = GuestTypes.Promote(target.Type, value.Type);
        return new CompoundAssignExpr(target.Type, op, operands, target, Convert(value, operands));
    }

    private Expr LowerAssignment(ISimpleAssignmentOperation assignment)
    {
        Expr target = LowerExpression(assignment.Target);
        if (!IsAssignable(target))
        {
            return Unsupported(assignment);
        }

        return new AssignExpr(target.Type, target, Convert(LowerExpression(assignment.Value), target.Type));
    }

    private Expr LowerConditional(IConditionalOperation conditional)
    {
        GuestType type = GuestTypes.From(conditional.Type) ?? GuestType.Int32;
        return new ConditionalExpr(
            type,
            LowerCondition(conditional.Condition),
            Convert(LowerExpression(conditional.WhenTrue), type),
            Convert(LowerExpression(conditional.WhenFalse!), type));
    }

    private Expr LowerInvocation(IInvocationOperation invocation)
    {
        IMethodSymbol method = invocation.TargetMethod;
        string qualified = method.ContainingType.ToDisplayString() + "." + method.Name;
        GuestType returnType = GuestTypes.From(method.ReturnType) ?? GuestType.Int32;
        IArgumentOperation[] arguments = invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).ToArray();

        if (qualified == "Translator.Guest.Memory.AddressOf" && arguments.Length == 1)
        {
            IOperation argument = arguments[0].Value;
            while (argument is IConversionOperation { IsImplicit: true } conversion)
            {
                argument = conversion.Operand;
            }

            if (argument is IDelegateCreationOperation { Target: IMethodReferenceOperation reference })
            {
                return LowerFunctionAddress(reference);
            }
        }

        if (TryLowerMath(invocation, qualified, arguments) is Expr math)
        {
            return math;
        }

        if (IntrinsicTable.Find(qualified) is IntrinsicDefinition intrinsic)
        {
            return LowerIntrinsic(invocation, intrinsic, arguments, returnType);
        }

        if (HypercallNumber(method) is int number)
        {
            return LowerHypercall(invocation, method, number, arguments);
        }

        if (method.MethodKind == MethodKind.LocalFunction && !method.IsStatic)
        {
            return Placeholder; // its declaration is the one error
        }

        bool structMethod = !method.IsStatic && StructLayouts.IsUserStruct(method.ContainingType) && invocation.Instance is not null;
        if ((!method.IsStatic && !structMethod) || !GuestClassParser.IsGuestClass(method.ContainingType) || method.IsGenericMethod)
        {
            Report(Diagnostics.NotGuestCode, invocation.Syntax, method.ToDisplayString());
            return Placeholder;
        }

        if (SignatureIsRefused(method))
        {
            return Refused(invocation.Syntax); // its declaration has the error, not each call
        }

        var lowered = new List<Expr>();
        if (ReturnsStruct(method))
        {
            // The caller's temporary receives the result; the callee returns its address.
            lowered.Add(new AddressOfExpr(AnyPointer, new LocalExpr(returnType, NewSlot(returnType))));
        }

        if (structMethod)
        {
            Expr receiver = AddressOf(LowerExpression(invocation.Instance!), AnyPointer);
            lowered.Add(receiver);
        }

        foreach (IArgumentOperation argument in arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.ParamArray)
            {
                ReportFeature(Diagnostics.UnsupportedExpression, argument.Syntax, new CSharpFeature("a params argument", "pass the values one by one, or a static array"));
                continue;
            }

            if (argument.Parameter is { } p && IsRef(p.RefKind))
            {
                lowered.Add(RefArgument(argument));
                continue;
            }

            lowered.Add(Convert(LowerExpression(argument.Value), GuestTypes.From(argument.Parameter?.Type) ?? GuestType.Int32));
        }

        string key = FunctionKey(method);
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            return new MemoryExpr(returnType, new CallExpr(AnyPointer, key, lowered.ToEquatableArray()), 0);
        }

        return new CallExpr(returnType, key, lowered.ToEquatableArray());
    }

    /// <summary>Whether a guest method's parameter or return type is refused (where it is declared).</summary>
    private static bool SignatureIsRefused(IMethodSymbol method)
        => method.Parameters.Any(p => GuestTypes.From(p.Type) is null or { Kind: ValueKind.Void })
            || (method.ReturnsByRef || method.ReturnsByRefReadonly ? GuestTypes.PointerTo(method.ReturnType) : GuestTypes.From(method.ReturnType)) is null;

    private static int? HypercallNumber(IMethodSymbol method)
    {
        foreach (AttributeData attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == HypercallStubAttribute
                && attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int number)
            {
                return number;
            }
        }

        return null;
    }

    private Expr LowerHypercall(IInvocationOperation invocation, IMethodSymbol method, int number, IArgumentOperation[] arguments)
    {
        if (!method.IsStatic || arguments.Length > MaxHypercallArguments || number < 0 || number >= 128)
        {
            Report(Diagnostics.HypercallShape, invocation.Syntax, method.ToDisplayString(),
                number is < 0 or >= 128 ? "its number is outside 0-127" : $"a hypercall takes at most {MaxHypercallArguments} arguments and is static");
            return Placeholder;
        }

        if (_userMode)
        {
            Report(Diagnostics.PrivilegedInUserMode, invocation.Syntax, "Hypercall." + method.Name, _method.Name);
        }

        var lowered = new List<Expr>();
        foreach (IArgumentOperation argument in arguments)
        {
            Expr value = LowerExpression(argument.Value);
            if (value.Type.IsWide || value.Type.IsPointer || value.Type.IsStruct || argument.Parameter?.RefKind is not (RefKind.None or null))
            {
                Report(Diagnostics.HypercallShape, argument.Syntax, method.ToDisplayString(), "every hypercall argument is a 32-bit integer");
                continue;
            }

            lowered.Add(Convert(value, GuestType.UInt32));
        }

        return new HypercallExpr(number, method.Name, lowered.ToEquatableArray(), LocationInfo.From(invocation.Syntax));
    }

    private Expr LowerFunctionAddress(IMethodReferenceOperation reference)
    {
        IMethodSymbol target = reference.Method;
        if (!target.IsStatic || !GuestClassParser.IsGuestClass(target.ContainingType) || target.Parameters.Length != 0)
        {
            Report(Diagnostics.NotGuestCode, reference.Syntax, target.ToDisplayString());
            return Placeholder;
        }

        return new FunctionAddressExpr(target.GetDocumentationCommentId() ?? target.Name);
    }

    private Expr LowerIntrinsic(IInvocationOperation invocation, IntrinsicDefinition intrinsic, IArgumentOperation[] arguments, GuestType returnType)
    {
        if (_userMode && intrinsic.Privileged)
        {
            Report(Diagnostics.PrivilegedInUserMode, invocation.Syntax, intrinsic.Method.Substring("Translator.Guest.".Length), _method.Name);
        }

        var lowered = new List<Expr>();
        for (int i = 0; i < arguments.Length; i++)
        {
            IArgumentOperation argument = arguments[i];
            GuestType parameterType = GuestTypes.From(argument.Parameter?.Type) ?? GuestType.UInt32;
            if (parameterType.Kind == ValueKind.Array && intrinsic.Id == IntrinsicId.AddressOfArray)
            {
                lowered.Add(LowerExpression(argument.Value));
                continue;
            }

            Expr value = Convert(LowerExpression(argument.Value), parameterType);
            if ((intrinsic.ConstantArguments & (1 << i)) != 0 && value is not ConstantExpr)
            {
                Report(Diagnostics.ConstantArgument, argument.Syntax, argument.Parameter?.Name ?? i.ToString(), intrinsic.Method.Substring("Translator.Guest.".Length));
            }

            lowered.Add(value);
        }

        return new IntrinsicExpr(returnType, intrinsic.Id, lowered.ToEquatableArray(), LocationInfo.From(invocation.Syntax));
    }
}
