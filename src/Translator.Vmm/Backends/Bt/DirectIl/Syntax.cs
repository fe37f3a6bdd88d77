namespace Translator.Vmm.Backends.Bt.DirectIl;

// The syntax tree of the C# the binary-translation core emits for one translated method: the subset it writes
// (integer arithmetic, pointers into the TLB, calls into the CPU, gotos, switches on constants), nothing more.
// Binding (types, members, conversions) fills the mutable fields the emitter reads.

internal enum TokenKind
{
    Identifier,
    Number,
    String,
    Punctuation,
    End,
}

/// <summary>One token; a number carries its value and its C# type (from its suffix and magnitude).</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Position, ulong Value = 0, Type? NumberType = null);

internal abstract class Expr
{
    /// <summary>The expression's type once bound (for a reference-typed lvalue such as a ref local, its element type).</summary>
    public Type? Type;
}

/// <summary>An integer, bool, string or null constant.</summary>
internal sealed class Literal(object? value, Type type) : Expr
{
    public object? Value { get; } = value;

    public Type LiteralType { get; } = type;
}

/// <summary>A simple name: a local, a parameter, a method of the set, or the first part of a type's name.</summary>
internal sealed class NameExpr(string name) : Expr
{
    public string Name { get; } = name;
}

internal sealed class MemberExpr(Expr target, string name) : Expr
{
    public Expr Target { get; } = target;

    public string Name { get; } = name;
}

internal sealed class CallExpr(Expr target, IReadOnlyList<Expr> arguments) : Expr
{
    public Expr Target { get; } = target;

    public IReadOnlyList<Expr> Arguments { get; } = arguments;
}

/// <summary><c>p[i]</c> on a pointer or an array.</summary>
internal sealed class IndexExpr(Expr target, Expr index) : Expr
{
    public Expr Target { get; } = target;

    public Expr Index { get; } = index;
}

/// <summary>A prefix operator: <c>- ~ ! *</c>.</summary>
internal sealed class UnaryExpr(string op, Expr operand) : Expr
{
    public string Op { get; } = op;

    public Expr Operand { get; } = operand;
}

internal sealed class CastExpr(TypeSyntax to, Expr operand) : Expr
{
    public TypeSyntax To { get; } = to;

    public Expr Operand { get; } = operand;
}

internal sealed class BinaryExpr(string op, Expr left, Expr right) : Expr
{
    public string Op { get; } = op;

    public Expr Left { get; } = left;

    public Expr Right { get; } = right;

    /// <summary>The type both operands are converted to (C#'s binary numeric promotion); the result's for arithmetic.</summary>
    public Type? OperandType;
}

internal sealed class ConditionalExpr(Expr condition, Expr whenTrue, Expr whenFalse) : Expr
{
    public Expr Condition { get; } = condition;

    public Expr WhenTrue { get; } = whenTrue;

    public Expr WhenFalse { get; } = whenFalse;
}

/// <summary><c>=</c> or a compound assignment (<c>-=</c> ...).</summary>
internal sealed class AssignExpr(string op, Expr target, Expr value) : Expr
{
    public string Op { get; } = op;

    public Expr Target { get; } = target;

    public Expr Value { get; } = value;
}

/// <summary><c>ref x</c>: an argument passed by reference, or a ref local's initializer.</summary>
internal sealed class RefExpr(Expr operand) : Expr
{
    public Expr Operand { get; } = operand;
}

internal sealed class NewExpr(TypeSyntax type, IReadOnlyList<Expr> arguments) : Expr
{
    public TypeSyntax NewType { get; } = type;

    public IReadOnlyList<Expr> Arguments { get; } = arguments;
}

/// <summary>A type as written: a keyword or a dotted name, then pointer stars.</summary>
internal sealed record TypeSyntax(string Name, int Pointers)
{
    public override string ToString() => Name + new string('*', Pointers);
}

internal abstract class Stmt;

internal sealed class BlockStmt(IReadOnlyList<Stmt> statements) : Stmt
{
    public IReadOnlyList<Stmt> Statements { get; } = statements;
}

internal sealed class LocalDeclStmt(TypeSyntax type, bool isRef, IReadOnlyList<(string Name, Expr? Init)> declarators) : Stmt
{
    public TypeSyntax DeclaredType { get; } = type;

    public bool IsRef { get; } = isRef;

    public IReadOnlyList<(string Name, Expr? Init)> Declarators { get; } = declarators;
}

internal sealed class ExprStmt(Expr expression) : Stmt
{
    public Expr Expression { get; } = expression;
}

internal sealed class IfStmt(Expr condition, Stmt then, Stmt? otherwise) : Stmt
{
    public Expr Condition { get; } = condition;

    public Stmt Then { get; } = then;

    public Stmt? Else { get; } = otherwise;
}

internal sealed class GotoStmt(string label) : Stmt
{
    public string Label { get; } = label;
}

internal sealed class LabelStmt(string label) : Stmt
{
    public string Label { get; } = label;
}

internal sealed class ReturnStmt(Expr? value) : Stmt
{
    public Expr? Value { get; } = value;
}

internal sealed class ThrowStmt(Expr value) : Stmt
{
    public Expr Value { get; } = value;
}

/// <summary>A switch on constants; each section's case values, then its statements (which must not fall through).</summary>
internal sealed class SwitchStmt(Expr value, IReadOnlyList<(IReadOnlyList<Expr> Cases, bool IsDefault, IReadOnlyList<Stmt> Body)> sections) : Stmt
{
    public Expr Value { get; } = value;

    public IReadOnlyList<(IReadOnlyList<Expr> Cases, bool IsDefault, IReadOnlyList<Stmt> Body)> Sections { get; } = sections;
}

/// <summary>One method: <c>[attributes] modifiers type Name(parameters) { body }</c>.</summary>
internal sealed record MethodSyntax(string Name, TypeSyntax ReturnType, IReadOnlyList<(TypeSyntax Type, string Name)> Parameters, BlockStmt Body);
