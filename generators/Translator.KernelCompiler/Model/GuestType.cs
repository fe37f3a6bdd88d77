namespace Translator.KernelCompiler.Model;

/// <summary>The kinds of value guest code computes with.</summary>
internal enum ValueKind : byte
{
    Void,
    Bool,
    SByte,
    Byte,
    Int16,
    UInt16,
    Char,
    Int32,
    UInt32,
    Int64,
    UInt64,

    /// <summary>A pointer to an array's first element; the length is the dword before it.</summary>
    Array,

    /// <summary>A pointer to a string's first UTF-16 code unit; the length is the dword before it.</summary>
    String,

    /// <summary>A user-defined struct (its <see cref="GuestType.Layout"/>): an expression of it evaluates to its address.</summary>
    Struct,

    /// <summary>An unmanaged pointer <c>T*</c> (or a ref's address): a 32-bit address, the pointee in Element/Layout.</summary>
    Pointer,
}

/// <summary>
/// A guest value type: a <see cref="ValueKind"/>, with the element kind for arrays and the pointee kind for pointers;
/// <paramref name="Layout"/> is the struct's layout when the type, its element or its pointee is a struct;
/// <paramref name="Inner"/> is the inner arrays' element kind of a jagged table (<c>byte[][]</c>).
/// </summary>
internal readonly record struct GuestType(ValueKind Kind, ValueKind Element = ValueKind.Void, StructLayout? Layout = null, ValueKind Inner = ValueKind.Void)
{
    public static readonly GuestType Void = new(ValueKind.Void);
    public static readonly GuestType Bool = new(ValueKind.Bool);
    public static readonly GuestType Int32 = new(ValueKind.Int32);
    public static readonly GuestType UInt32 = new(ValueKind.UInt32);
    public static readonly GuestType Int64 = new(ValueKind.Int64);
    public static readonly GuestType UInt64 = new(ValueKind.UInt64);
    public static readonly GuestType Char = new(ValueKind.Char);
    public static readonly GuestType String = new(ValueKind.String, ValueKind.Char);

    public static GuestType ArrayOf(ValueKind element) => new(ValueKind.Array, element);

    public static GuestType ArrayOf(GuestType element) => new(ValueKind.Array, element.Kind, element.Layout);

    public static GuestType StructOf(StructLayout layout) => new(ValueKind.Struct, ValueKind.Void, layout);

    public static GuestType PointerTo(GuestType pointee) => new(ValueKind.Pointer, pointee.Kind, pointee.Layout);

    public bool IsStruct => Kind == ValueKind.Struct;

    /// <summary>An address held as a 32-bit unsigned value: arithmetic and comparison are on uint.</summary>
    public bool IsAddress => Kind == ValueKind.Pointer;

    /// <summary>Whether the value lives in EDX:EAX rather than EAX.</summary>
    public bool IsWide => Kind is ValueKind.Int64 or ValueKind.UInt64;

    public bool IsSigned => Kind is ValueKind.SByte or ValueKind.Int16 or ValueKind.Int32 or ValueKind.Int64;

    public bool IsPointer => Kind is ValueKind.Array or ValueKind.String;

    /// <summary>Bytes a value of this type takes in memory (array elements, static fields).</summary>
    public int StorageSize => Kind == ValueKind.Struct ? Layout!.Size : SizeOf(Kind);

    /// <summary>Bytes a value takes in a stack slot (locals, arguments): narrow values are widened to a dword.</summary>
    public int SlotSize => IsWide ? 8 : Kind == ValueKind.Void ? 0 : Kind == ValueKind.Struct ? (Layout!.Size + 3) & ~3 : 4;

    /// <summary>An array's element type, or a pointer's pointee.</summary>
    public GuestType ElementType => Element switch
    {
        ValueKind.String when Kind == ValueKind.Array => String, // a table of strings
        ValueKind.Array => new(ValueKind.Array, Inner),           // a jagged table's row
        _ => new(Element, ValueKind.Void, Element == ValueKind.Struct ? Layout : null),
    };

    /// <summary>A table of strings or of arrays: its elements are references to build-time data.</summary>
    public bool IsTable => Kind == ValueKind.Array && Element is ValueKind.String or ValueKind.Array;

    public static int SizeOf(ValueKind kind) => kind switch
    {
        ValueKind.Bool or ValueKind.SByte or ValueKind.Byte => 1,
        ValueKind.Int16 or ValueKind.UInt16 or ValueKind.Char => 2,
        ValueKind.Int64 or ValueKind.UInt64 => 8,
        ValueKind.Void => 0,
        _ => 4,
    };

    public override string ToString() => Kind switch
    {
        ValueKind.Array => ElementType.ToString() + "[]",
        ValueKind.Pointer => ElementType.ToString() + "*",
        ValueKind.Struct => Layout!.Name,
        _ => Kind.ToString(),
    };
}
