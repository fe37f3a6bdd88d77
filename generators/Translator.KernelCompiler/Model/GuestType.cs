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

    /// <summary>A pointer to the <c>InterruptFrame</c> an interrupt stub built (a <c>ref</c> parameter).</summary>
    Frame,
}

/// <summary>A guest value type: a <see cref="ValueKind"/>, with the element kind for arrays.</summary>
internal readonly record struct GuestType(ValueKind Kind, ValueKind Element = ValueKind.Void)
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

    /// <summary>Whether the value lives in EDX:EAX rather than EAX.</summary>
    public bool IsWide => Kind is ValueKind.Int64 or ValueKind.UInt64;

    public bool IsSigned => Kind is ValueKind.SByte or ValueKind.Int16 or ValueKind.Int32 or ValueKind.Int64;

    public bool IsPointer => Kind is ValueKind.Array or ValueKind.String or ValueKind.Frame;

    /// <summary>Bytes a value of this type takes in memory (array elements, static fields).</summary>
    public int StorageSize => SizeOf(Kind);

    /// <summary>Bytes a value takes in a stack slot (locals, arguments): narrow values are widened to a dword.</summary>
    public int SlotSize => IsWide ? 8 : Kind == ValueKind.Void ? 0 : 4;

    public GuestType ElementType => new(Element);

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
        ValueKind.Array => Element.ToString() + "[]",
        _ => Kind.ToString(),
    };
}
