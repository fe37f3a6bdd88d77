using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>
/// Structs, pointers and refs, lowered to address arithmetic: every field access, dereference, pointer element and
/// <c>ref</c> variable becomes a <see cref="MemoryExpr"/> (a scalar or struct at a computed address), every
/// <c>&amp;x</c> and <c>ref</c> argument an <see cref="AddressOfExpr"/>; pointers are uint addresses whose
/// arithmetic the parser scales by the pointee's size, so the code generator needs nothing pointer-specific.
/// </summary>
internal sealed partial class BodyLowering
{
    private static readonly GuestType AnyPointer = new(ValueKind.Pointer, ValueKind.Void);

    /// <summary>The hidden first parameter of a method that returns a struct: where the caller wants the result.</summary>
    private int _returnBuffer = -1;

    /// <summary>Parameters and hidden parameters: the slots the caller pushes.</summary>
    public int ParameterCount { get; private set; }

    private static bool IsRef(RefKind kind) => kind is RefKind.Ref or RefKind.Out or RefKind.In or RefKind.RefReadOnlyParameter;

    /// <summary>Whether a method returns a struct by value (through a hidden return buffer).</summary>
    private static bool ReturnsStruct(IMethodSymbol method) => !method.ReturnsByRef && !method.ReturnsByRefReadonly && StructLayouts.IsUserStruct(method.ReturnType);

    /// <summary>A return's value: a ref return's address, a struct copied into the caller's buffer, or the value.</summary>
    private Expr LowerReturnValue(IOperation value)
    {
        if (_method.ReturnsByRef || _method.ReturnsByRefReadonly)
        {
            return AddressOf(LowerExpression(value), AnyPointer);
        }

        GuestType type = GuestTypes.From(_method.ReturnType) ?? GuestType.Int32;
        if (_returnBuffer >= 0)
        {
            return new AssignExpr(type, new MemoryExpr(type, new LocalExpr(AnyPointer, _returnBuffer), 0), LowerExpression(value));
        }

        return Convert(LowerExpression(value), type);
    }

    /// <summary>A local or parameter: a <c>ref</c> one holds an address, so reading it reads memory there.</summary>
    private Expr Variable(ISymbol symbol, ITypeSymbol type, bool isRef)
    {
        GuestType t = GuestTypes.From(type) ?? GuestType.Int32;
        int slot = SlotOf(symbol);
        return isRef ? new MemoryExpr(t, new LocalExpr(AnyPointer, slot), 0) : new LocalExpr(t, slot);
    }

    /// <summary>The type a <c>ref</c> variable's slot holds (an address), or the variable's own type.</summary>
    private static GuestType? SlotType(ITypeSymbol type, bool isRef)
    {
        GuestType? t = GuestTypes.From(type);
        return isRef && t is not null ? AnyPointer : t;
    }

    /// <summary>A field of a struct value or place: its address is the instance's plus the field's offset.</summary>
    private Expr LowerStructField(IFieldReferenceOperation field, GuestType type)
    {
        var container = (INamedTypeSymbol)field.Field.ContainingType;
        // The instance first: a struct refused where it is declared (a local, a field) is that one error.
        Expr? instance = field.Instance is IInstanceReferenceOperation ? null : LowerExpression(field.Instance!);
        if (StructLayouts.Of(container, out string? problem) is not StructLayout layout || layout.Field(field.Field.Name) is not StructField member)
        {
            Report(Diagnostics.StructLayout, field.Syntax, container.Name, problem ?? "its layout is unknown");
            return Placeholder;
        }

        instance ??= This(layout);
        if (member.FixedLength > 0)
        {
            // A fixed buffer's value is a pointer to its first element.
            return new AddressOfExpr(GuestType.PointerTo(member.Type), Member(instance, member.Type, member.Offset));
        }

        return Member(instance, type, member.Offset);
    }

    /// <summary><c>instance.f</c>: folds nested fields into one offset.</summary>
    private static Expr Member(Expr instance, GuestType type, int offset) => instance switch
    {
        MemoryExpr { Type.IsStruct: true } inner => new MemoryExpr(type, inner.Address, inner.Offset + offset),
        _ => new MemoryExpr(type, instance, offset),
    };

    /// <summary><c>this</c> in a struct's instance method: the struct the hidden first parameter points to.</summary>
    private Expr This(StructLayout layout) => new MemoryExpr(GuestType.StructOf(layout), new LocalExpr(AnyPointer, _thisSlot), 0);

    /// <summary>The slot of a struct method's <c>this</c> (an address), after the return buffer if there is one.</summary>
    private int _thisSlot = -1;

    private Expr LowerThis(IInstanceReferenceOperation instance)
    {
        if (_thisSlot >= 0 && GuestTypes.From(instance.Type) is { IsStruct: true } type)
        {
            return This(type.Layout!);
        }

        return Unsupported(instance);
    }

    /// <summary>Refuses a type guest code cannot hold; a struct says which of its fields is the cause.</summary>
    private void ReportType(ITypeSymbol? type, SyntaxNode? syntax)
    {
        if (GuestTypes.IsErroneous(type) && syntax is not null)
        {
            Refused(syntax); // C# reports the unknown type
            return;
        }

        ITypeSymbol? inner = type is IPointerTypeSymbol p ? p.PointedAtType : type is IArrayTypeSymbol a ? a.ElementType : type;
        if (inner is INamedTypeSymbol named && StructLayouts.IsUserStruct(named) && StructLayouts.Of(named, out string? problem) is null)
        {
            Report(Diagnostics.StructLayout, syntax, named.Name, problem ?? "its layout is unknown");
            return;
        }

        Report(Diagnostics.UnsupportedType, syntax, type?.ToDisplayString() ?? "?");
    }

    /// <summary>The size of what a pointer points to, which pointer arithmetic scales by (a void* is refused by C#).</summary>
    private int PointeeSize(ITypeSymbol? pointerType, SyntaxNode syntax)
    {
        if (pointerType is IPointerTypeSymbol { PointedAtType: var pointee } && GuestTypes.From(pointee) is GuestType t && t.Kind != ValueKind.Void)
        {
            return t.StorageSize;
        }

        Report(Diagnostics.UnsupportedType, syntax, pointerType?.ToDisplayString() ?? "?");
        return 1;
    }

    /// <summary>An address as a uint operand, plus <paramref name="index"/> × <paramref name="size"/>.</summary>
    private static Expr Offset(Expr address, Expr index, int size, bool subtract = false)
    {
        Expr scaled = index is ConstantExpr constant
            ? new ConstantExpr(GuestType.UInt32, unchecked((uint)((uint)constant.Value * (uint)size)))
            : size == 1 ? Convert(index, GuestType.UInt32)
            : new BinaryExpr(GuestType.UInt32, BinaryOp.Multiply, GuestType.UInt32, Convert(index, GuestType.UInt32), new ConstantExpr(GuestType.UInt32, (uint)size));
        return new BinaryExpr(GuestType.UInt32, subtract ? BinaryOp.Subtract : BinaryOp.Add, GuestType.UInt32, Convert(address, GuestType.UInt32), scaled);
    }

    /// <summary>
    /// What Roslyn leaves without an operation kind in unsafe code: <c>*p</c>, <c>p-&gt;f</c>'s <c>p</c> and
    /// <c>p[i]</c> (a pointer's or a fixed buffer's element).
    /// </summary>
    private Expr LowerUnsafeAccess(IOperation operation)
    {
        IOperation[] children = operation.ChildOperations.ToArray();
        GuestType? type = GuestTypes.From(operation.Type);
        if (type is GuestType t && !t.IsPointer && t.Kind != ValueKind.Void)
        {
            switch (operation.Syntax)
            {
                case PrefixUnaryExpressionSyntax prefix when prefix.IsKind(SyntaxKind.PointerIndirectionExpression) && children.Length == 1:
                    return new MemoryExpr(t, LowerExpression(children[0]), 0);
                case ElementAccessExpressionSyntax when children.Length == 2 && children[0].Type is IPointerTypeSymbol:
                {
                    Expr pointer = LowerExpression(children[0]);
                    Expr index = LowerExpression(children[1]);
                    int size = PointeeSize(children[0].Type, operation.Syntax);
                    return index is ConstantExpr constant && (long)constant.Value is >= 0 and < 0x10000
                        ? new MemoryExpr(t, pointer, (int)constant.Value * size)
                        : new MemoryExpr(t, Offset(pointer, index, size), 0);
                }

                case ExpressionSyntax when operation.Syntax.Parent is MemberAccessExpressionSyntax access
                    && access.IsKind(SyntaxKind.PointerMemberAccessExpression) && access.Expression == operation.Syntax && children.Length == 1:
                    return new MemoryExpr(t, LowerExpression(children[0]), 0);
                case ExpressionSyntax when operation.Parent is IVariableInitializerOperation && t.IsAddress && children.Length == 1:
                    // A 'fixed' initializer: &x, an array or string (its first element's address), a fixed buffer.
                    return Convert(LowerExpression(children[0]), t);
            }
        }

        return Unsupported(operation);
    }

    /// <summary><c>&amp;x</c>: a local's stack slot, a static field, an array element, a field or a dereference.</summary>
    private Expr LowerAddressOf(IAddressOfOperation address)
    {
        Expr target = LowerExpression(address.Reference);
        GuestType type = GuestTypes.From(address.Type) ?? AnyPointer;
        return IsAssignable(target) ? AddressOf(target, type) : Unsupported(address);
    }

    /// <summary>The address of a place; of a struct rvalue (a call's result, <c>new S()</c>) its temporary's address.</summary>
    private static Expr AddressOf(Expr target, GuestType type) => target switch
    {
        MemoryExpr { Offset: 0 } memory => Convert(memory.Address, type),
        _ => new AddressOfExpr(type, target),
    };

    /// <summary>A <c>ref</c>, <c>out</c> or <c>in</c> argument: the argument's address (an rvalue passed to <c>in</c> gets a temporary).</summary>
    private Expr RefArgument(IArgumentOperation argument)
    {
        Expr value = LowerExpression(argument.Value);
        if (IsAssignable(value) || value.Type.IsStruct)
        {
            return AddressOf(value, AnyPointer);
        }

        GuestType t = GuestTypes.From(argument.Parameter?.Type) ?? value.Type;
        var temporary = new LocalExpr(t, NewSlot(t));
        return new AddressOfExpr(AnyPointer, new AssignExpr(t, temporary, Convert(value, t)));
    }

    /// <summary><c>new S()</c>, <c>new S { F = v }</c> and <c>default(S)</c>: a zeroed temporary, then the initializers.</summary>
    private Expr LowerStructCreation(IOperation operation, IObjectOrCollectionInitializerOperation? initializer, GuestType type, Expr? storage = null)
    {
        storage ??= new LocalExpr(type, NewSlot(type));
        var assignments = new List<Expr>();
        if (initializer is not null)
        {
            foreach (IOperation member in initializer.Initializers)
            {
                if (member is ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Field: var field } } assignment
                    && type.Layout!.Field(field.Name) is StructField f && f.FixedLength == 0)
                {
                    assignments.Add(new AssignExpr(f.Type, Member(storage, f.Type, f.Offset), Convert(LowerExpression(assignment.Value), f.Type)));
                }
                else
                {
                    ReportFeature(Diagnostics.UnsupportedExpression, member.Syntax, new CSharpFeature("this initializer", "assign the struct's fields one by one: s.Field = value;"));
                }
            }
        }

        return new StructInitExpr(type, storage, assignments.ToEquatableArray());
    }

    private Expr LowerObjectCreation(IObjectCreationOperation creation)
    {
        if (GuestTypes.From(creation.Type) is { IsStruct: true } type)
        {
            if (creation.Arguments.Length == 0)
            {
                return LowerStructCreation(creation, creation.Initializer, type);
            }

            ReportFeature(Diagnostics.UnsupportedExpression, creation.Syntax, StructConstructor);
            return Placeholder;
        }

        return Unsupported(creation);
    }

    public static readonly CSharpFeature StructConstructor = new("a struct constructor",
        "create the struct with 'new S { Field = value }' or 'default', or write a static method that fills and returns it");

    private Expr LowerDefault(IDefaultValueOperation operation)
    {
        GuestType? type = GuestTypes.From(operation.Type);
        return type switch
        {
            { IsStruct: true } t => LowerStructCreation(operation, null, t),
            { IsAddress: true } t => new ConstantExpr(t, 0),
            _ => Unsupported(operation),
        };
    }

    private Expr LowerSizeOf(ISizeOfOperation size)
    {
        if (GuestTypes.From(size.TypeOperand) is GuestType t && t.Kind != ValueKind.Void && !t.IsPointer)
        {
            return new ConstantExpr(GuestType.Int32, (ulong)t.StorageSize);
        }

        Report(Diagnostics.UnsupportedType, size.Syntax, size.TypeOperand.ToDisplayString());
        return Placeholder;
    }

    /// <summary>
    /// Arithmetic and comparison with a pointer operand: <c>p ± n</c> scaled by the pointee's size, <c>p - q</c> in
    /// elements (a long, as C# says), comparisons unsigned; null if neither operand is a pointer.
    /// </summary>
    private Expr? LowerPointerBinary(IBinaryOperation binary, BinaryOp op)
    {
        ITypeSymbol? leftType = binary.LeftOperand.Type, rightType = binary.RightOperand.Type;
        if (leftType is not IPointerTypeSymbol && rightType is not IPointerTypeSymbol)
        {
            return null;
        }

        Expr left = LowerExpression(binary.LeftOperand);
        Expr right = LowerExpression(binary.RightOperand);
        if (IsComparison(op))
        {
            return new BinaryExpr(GuestType.Bool, op, GuestType.UInt32, Convert(left, GuestType.UInt32), Convert(right, GuestType.UInt32));
        }

        GuestType result = GuestTypes.From(binary.Type) ?? AnyPointer;
        if (op == BinaryOp.Subtract && leftType is IPointerTypeSymbol && rightType is IPointerTypeSymbol)
        {
            var bytes = new BinaryExpr(GuestType.Int32, BinaryOp.Subtract, GuestType.UInt32, Convert(left, GuestType.UInt32), Convert(right, GuestType.UInt32));
            int size = PointeeSize(leftType, binary.Syntax);
            Expr elements = size == 1 ? bytes : new BinaryExpr(GuestType.Int32, BinaryOp.Divide, GuestType.Int32, bytes, new ConstantExpr(GuestType.Int32, (ulong)size));
            return Convert(elements, GuestType.Int64);
        }

        if (op is BinaryOp.Add or BinaryOp.Subtract)
        {
            bool pointerLeft = leftType is IPointerTypeSymbol;
            Expr pointer = pointerLeft ? left : right, index = pointerLeft ? right : left;
            int size = PointeeSize(pointerLeft ? leftType : rightType, binary.Syntax);
            return Convert(Offset(pointer, index, size, op == BinaryOp.Subtract), result);
        }

        return Unsupported(binary);
    }

    /// <summary><c>p++</c>, <c>p--</c>, <c>p += n</c>, <c>p -= n</c>: steps of the pointee's size.</summary>
    private Expr LowerPointerStep(IOperation operation, Expr target, BinaryOp op, Expr count, bool postfix)
    {
        int size = PointeeSize(operation.Type, operation.Syntax);
        Expr scaled = count is ConstantExpr constant
            ? new ConstantExpr(GuestType.UInt32, unchecked((uint)constant.Value * (uint)size))
            : new BinaryExpr(GuestType.UInt32, BinaryOp.Multiply, GuestType.UInt32, Convert(count, GuestType.UInt32), new ConstantExpr(GuestType.UInt32, (uint)size));
        Expr stepped = new CompoundAssignExpr(target.Type, op, GuestType.UInt32, target, scaled);
        if (!postfix || operation.Parent is IExpressionStatementOperation || operation.Parent?.Parent is IForLoopOperation)
        {
            return stepped;
        }

        // p++ as a value: the stored value stepped back.
        BinaryOp back = op == BinaryOp.Add ? BinaryOp.Subtract : BinaryOp.Add;
        return Convert(new BinaryExpr(GuestType.UInt32, back, GuestType.UInt32, Convert(stepped, GuestType.UInt32), scaled), target.Type);
    }
}
