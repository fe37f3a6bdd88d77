namespace Translator.KernelCompiler.Model;

// The kernel compiler's intermediate form: C# method bodies after binding (every conversion explicit, every operator
// typed), kept as plain equatable records so that the incremental pipeline can cache them.

internal enum UnaryOp : byte
{
    Negate,
    Complement,
    Not,
}

internal enum BinaryOp : byte
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Remainder,
    And,
    Or,
    Xor,
    ShiftLeft,
    ShiftRight,
    ShiftRightUnsigned,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    AndAlso,
    OrElse,
}

internal abstract record Expr(GuestType Type);

internal sealed record ConstantExpr(GuestType Type, ulong Value) : Expr(Type);

/// <summary>A parameter or local: its slot in the function's frame.</summary>
internal sealed record LocalExpr(GuestType Type, int Slot) : Expr(Type);

/// <summary>A static field, by its key (documentation comment id).</summary>
internal sealed record FieldExpr(GuestType Type, string Field) : Expr(Type);

internal sealed record StringLiteralExpr(string Value) : Expr(GuestType.String);

/// <summary>An array element or a string's character, with a bounds check.</summary>
internal sealed record ElementExpr(GuestType Type, Expr Array, Expr Index) : Expr(Type);

internal sealed record LengthExpr(Expr Array) : Expr(GuestType.Int32);

internal sealed record UnaryExpr(GuestType Type, UnaryOp Op, Expr Operand) : Expr(Type);

/// <summary>A binary operator applied to operands of <paramref name="OperandType"/> (a shift's count is always Int32).</summary>
internal sealed record BinaryExpr(GuestType Type, BinaryOp Op, GuestType OperandType, Expr Left, Expr Right) : Expr(Type);

internal sealed record ConvertExpr(GuestType Type, Expr Operand) : Expr(Type);

internal sealed record AssignExpr(GuestType Type, Expr Target, Expr Value) : Expr(Type);

/// <summary><c>target op= value</c>: target widened to <paramref name="OperandType"/>, combined, narrowed back.</summary>
internal sealed record CompoundAssignExpr(GuestType Type, BinaryOp Op, GuestType OperandType, Expr Target, Expr Value) : Expr(Type);

internal sealed record IncrementExpr(GuestType Type, bool Increment, bool Postfix, Expr Target) : Expr(Type);

internal sealed record CallExpr(GuestType Type, string Function, EquatableArray<Expr> Arguments) : Expr(Type);

/// <summary>An intrinsic call; <paramref name="Location"/> is the call's, for a build that has no lowering of it.</summary>
internal sealed record IntrinsicExpr(GuestType Type, IntrinsicId Intrinsic, EquatableArray<Expr> Arguments, LocationInfo? Location = null) : Expr(Type);

/// <summary>
/// <c>KernelImage.IsParavirtual</c>: false in the bare-metal build, true in the paravirtual one. The linker's
/// per-build specialization (<c>BuildSpecializer</c>) folds it, and every branch it decides, before anything is reached.
/// </summary>
internal sealed record ParavirtualExpr() : Expr(GuestType.Bool);

/// <summary>
/// A call of a <c>Translator.Guest.Hypercall</c> method (<c>[HypercallStub(number)]</c>): arguments to EBX, ECX, EDX,
/// ESI, EDI, <c>call hypercall_page + 32 * number</c>, the result from EAX. Only the paravirtual build has it.
/// </summary>
internal sealed record HypercallExpr(int Number, string Name, EquatableArray<Expr> Arguments, LocationInfo? Location) : Expr(GuestType.Int32);

internal sealed record ConditionalExpr(GuestType Type, Expr Condition, Expr WhenTrue, Expr WhenFalse) : Expr(Type);

internal sealed record FunctionAddressExpr(string Function) : Expr(GuestType.UInt32);

internal abstract record Stmt;

internal sealed record BlockStmt(EquatableArray<Stmt> Statements) : Stmt;

internal sealed record ExprStmt(Expr Expression) : Stmt;

internal sealed record IfStmt(Expr Condition, Stmt Then, Stmt? Else) : Stmt;

/// <summary>
/// Every loop: <c>while</c>/<c>for</c> test first, <c>do</c> tests last; <paramref name="Step"/> is a <c>for</c>'s
/// iterator, where <c>continue</c> goes. <paramref name="Id"/> names the loop for break and continue.
/// </summary>
internal sealed record LoopStmt(int Id, Expr? Condition, bool TestFirst, Stmt Body, Stmt? Step) : Stmt;

internal sealed record BreakStmt(int Id) : Stmt;

internal sealed record ContinueStmt(int Id) : Stmt;

internal sealed record ReturnStmt(Expr? Value) : Stmt;

internal sealed record SwitchSection(EquatableArray<ulong> Labels, bool IsDefault, Stmt Body);

internal sealed record SwitchStmt(int Id, Expr Value, EquatableArray<SwitchSection> Sections) : Stmt;

/// <summary>Marks where a source statement starts, for the listing.</summary>
/// <summary>Where the statements that follow come from: a line of a source file (the listing shows it, the image's map records it).</summary>
internal sealed record SourceLineStmt(int Line, string Text, string File) : Stmt;

/// <summary>
/// The value at <paramref name="Address"/> + <paramref name="Offset"/> (an assignable place): <c>*p</c>, <c>p-&gt;f</c>,
/// <c>p[i]</c>, a struct's field, a <c>ref</c> local or parameter. <paramref name="Address"/> is any expression that
/// evaluates to an address: a pointer, a uint, or a struct (whose value is its address). Of struct type, the
/// expression's value is the address itself.
/// </summary>
internal sealed record MemoryExpr(GuestType Type, Expr Address, int Offset) : Expr(Type);

/// <summary><c>&amp;place</c>, or the address a <c>ref</c> argument, local or return passes: typed as a pointer.</summary>
internal sealed record AddressOfExpr(GuestType Type, Expr Target) : Expr(Type);

/// <summary>
/// <c>new S { ... }</c> or <c>default(S)</c>: <paramref name="Storage"/> (a struct place) zeroed, then
/// <paramref name="Initializers"/> run; the value is the storage's address.
/// </summary>
internal sealed record StructInitExpr(GuestType Type, Expr Storage, EquatableArray<Expr> Initializers) : Expr(Type);
