using System;

namespace Translator.Paravirt;

/// <summary>
/// Marks the interface that describes the hypercall table (one <see cref="HypercallAttribute"/> method per hypercall).
/// The hypercall generator turns it into the VMM's typed dispatch, the hypercall page's stubs and the DSL's
/// <c>Translator.Guest.Hypercall</c> methods (docs/paravirt-abi.md).
/// </summary>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
internal sealed class HypercallTableAttribute : Attribute
{
}

/// <summary>
/// One hypercall: its number (EAX) and ABI name (the <c>hypercall.&lt;name&gt;</c> counter). The method's parameters
/// are its arguments in register order EBX, ECX, EDX, ESI, EDI; it returns the value left in EAX.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
internal sealed class HypercallAttribute : Attribute
{
    public HypercallAttribute(int number, string name)
    {
        Number = number;
        Name = name;
    }

    public int Number { get; }

    public string Name { get; }

    /// <summary>
    /// The hypercall never returns to its caller (iret): its stub is <c>push eax; mov eax, n; int 0x82</c> instead of
    /// <c>mov eax, n; int 0x82; ret</c>, and the dispatcher does not write EAX.
    /// </summary>
    public bool NoReturn { get; set; }
}

/// <summary>
/// A <see cref="GuestPointer"/> argument: the register holds a guest linear address of <see cref="ElementBytes"/>
/// times the value of the argument named <see cref="CountFrom"/> bytes (or of <see cref="ElementBytes"/> bytes when
/// <see cref="CountFrom"/> is null). The dispatcher refuses a range that wraps, exceeds <see cref="MaxCount"/>
/// elements or is not mapped for the guest kernel (writable too when <see cref="Writable"/>) with -EFAULT, or -EINVAL
/// for a count above <see cref="MaxCount"/>, without calling the handler. A null pointer (0) is passed through as
/// <see cref="GuestPointer.Null"/> when <see cref="Optional"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
internal sealed class GuestBufferAttribute : Attribute
{
    public GuestBufferAttribute(int elementBytes) => ElementBytes = elementBytes;

    public int ElementBytes { get; }

    public string? CountFrom { get; set; }

    public int MaxCount { get; set; } = int.MaxValue;

    public bool Writable { get; set; }

    public bool Optional { get; set; }
}

/// <summary>
/// A selector argument: RPL 0 is taken as RPL 1 (the guest kernel's ring, Xen's fixup); a null selector or RPL 2 is
/// refused with -EINVAL before the handler runs.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
internal sealed class SelectorAttribute : Attribute
{
}

/// <summary>A range of guest linear memory the dispatcher has checked: mapped for the guest kernel, not wrapping.</summary>
internal readonly struct GuestPointer : IEquatable<GuestPointer>
{
    public GuestPointer(uint address, uint bytes)
    {
        Address = address;
        Bytes = bytes;
    }

    public static GuestPointer Null => default;

    public uint Address { get; }

    public uint Bytes { get; }

    public bool IsNull => Address == 0;

    public bool Equals(GuestPointer other) => Address == other.Address && Bytes == other.Bytes;

    public override bool Equals(object? obj) => obj is GuestPointer other && Equals(other);

    public override int GetHashCode() => unchecked((int)(Address * 31 + Bytes));

    public override string ToString() => $"0x{Address:x8}+{Bytes}";
}

/// <summary>What the generated dispatcher needs from the VMM: the caller's registers and its view of guest memory.</summary>
internal interface IHypercallContext
{
    /// <summary>Argument register <paramref name="index"/>: 0 EBX, 1 ECX, 2 EDX, 3 ESI, 4 EDI.</summary>
    uint Argument(int index);

    /// <summary>Whether [<paramref name="address"/>, +<paramref name="bytes"/>) is mapped for the guest kernel (and writable).</summary>
    bool IsMapped(uint address, uint bytes, bool writable);
}
