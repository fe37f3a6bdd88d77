using System;

namespace Translator.Guest;

/// <summary>
/// Marks a <c>static partial</c> class as a guest kernel: the kernel compiler turns it (with every
/// <see cref="GuestCodeAttribute"/> class it calls) into a multiboot image and adds <c>Image</c>, <c>Symbols</c> and
/// <c>Listing</c> members to the class. The kernel starts at its <see cref="EntryAttribute"/> method.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GuestKernelAttribute : Attribute
{
}

/// <summary>
/// Marks a static class whose methods compile to guest code that kernels may call (a library), or a struct whose
/// methods do (instance methods get <c>this</c> by reference).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class GuestCodeAttribute : Attribute
{
}

/// <summary>The kernel's first method: runs at ring 0 with interrupts disabled on the boot stack.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class EntryAttribute : Attribute
{
}

/// <summary>
/// Makes a method the handler of an interrupt or exception vector. The method is <c>static void</c> and takes either
/// nothing or <c>ref InterruptFrame</c>, through which it reads and changes the interrupted state.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class InterruptHandlerAttribute : Attribute
{
    public InterruptHandlerAttribute(byte vector) => Vector = vector;

    public byte Vector { get; }

    /// <summary>Whether ring 3 may raise the vector with <c>int n</c> (gate DPL 3): a system call gate.</summary>
    public bool UserCallable { get; set; }

    /// <summary>
    /// Whether the gate is a trap gate: the handler runs with interrupts enabled (under pv, events unmasked), as
    /// Linux's <c>int 0x80</c> does. The default is an interrupt gate, which disables them on entry. Under pv a
    /// user-callable trap gate at vector 0x80 becomes Xen's direct system-call gate, which never enters the VMM.
    /// </summary>
    public bool TrapGate { get; set; }
}

/// <summary>
/// Marks a method that runs at ring 3: it may not use privileged intrinsics and reaches the kernel through
/// <see cref="Cpu.SystemCall(byte, uint, uint, uint)"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class UserModeAttribute : Attribute
{
}

/// <summary>Places a static array's first element on a multiple of <see cref="Bytes"/> (page tables, descriptor tables).</summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false)]
public sealed class AlignedAttribute : Attribute
{
    public AlignedAttribute(int bytes) => Bytes = bytes;

    public int Bytes { get; }
}

/// <summary>
/// Marks an intrinsic: a method (or, for <c>KernelImage.IsParavirtual</c>, a property) the kernel compiler lowers to instructions (see <c>IntrinsicTable</c> in the
/// generator). Its .NET body only runs when guest code is called as ordinary .NET code.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Property, Inherited = false)]
public sealed class IntrinsicAttribute : Attribute
{
}

/// <summary>
/// Marks a generated <c>Translator.Guest.Hypercall</c> method as hypercall <see cref="Number"/>: in a PV build the
/// kernel compiler lowers a call to the arguments in EBX, ECX, EDX, ESI, EDI and <c>call hypercall_page + 32 * n</c>;
/// a bare-metal build refuses it. Its .NET body throws <see cref="GuestOnlyException"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class HypercallStubAttribute : Attribute
{
    public HypercallStubAttribute(int number) => Number = number;

    /// <summary>The hypercall number (EAX).</summary>
    public int Number { get; }
}

/// <summary>
/// Keeps a zero-initialised static array in the image file instead of the zeroed segment, so that a tool can fill
/// it in before boot (test inputs, configuration) by patching the image at the address the symbol map gives.
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false)]
public sealed class InImageAttribute : Attribute
{
}
