namespace Translator.KernelCompiler.Model;

internal enum FunctionKind : byte
{
    Normal,
    Entry,
    InterruptHandler,
}

/// <summary>A compiled method: its frame layout (parameters first, then locals) and its body.</summary>
internal sealed record GuestFunction(
    string Key,
    string Name,
    FunctionKind Kind,
    byte Vector,
    bool UserCallable,
    bool TrapGate,
    bool UserMode,
    GuestType ReturnType,
    int ParameterCount,
    EquatableArray<GuestType> Slots,
    Stmt Body);

internal enum FieldStorage : byte
{
    Scalar,
    Array,
    String,
}

/// <summary>
/// A static field and its initial contents: a scalar (<paramref name="Initial"/> holds its value), an array
/// (<paramref name="Length"/> elements, the first <paramref name="Initial"/>.Count given, the rest zero) or a string.
/// Arrays without initial values live in the zeroed segment unless <paramref name="InImage"/>. A table of strings
/// or arrays (<c>string[]</c>, <c>byte[][]</c>) has its <paramref name="Rows"/>, each a string or an array of its own.
/// </summary>
internal sealed record GuestField(
    string Key,
    string Name,
    GuestType Type,
    FieldStorage Storage,
    bool IsReadOnly,
    int Length,
    EquatableArray<ulong> Initial,
    string? Text,
    int Alignment,
    bool InImage,
    EquatableArray<GuestField>? Rows = null);

/// <summary>A <c>[GuestKernel]</c> or <c>[GuestCode]</c> class after parsing: everything the linker needs, as values.</summary>
internal sealed record GuestClassModel(
    string Key,
    string Namespace,
    string Name,
    string Modifiers,
    bool IsKernel,
    LocationInfo? Location,
    EquatableArray<GuestFunction> Functions,
    EquatableArray<GuestField> Fields,
    EquatableArray<DiagnosticInfo> Diagnostics,
    bool RefusedByCSharp = false);
