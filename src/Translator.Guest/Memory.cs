using System;

namespace Translator.Guest;

/// <summary>
/// Linear memory access and the addresses of guest data and code. Addresses are linear (with paging off, or in the
/// identity-mapped kernel region, also physical).
/// </summary>
public static class Memory
{
    /// <summary><c>movzx eax, byte [address]</c></summary>
    [Intrinsic] public static byte Read8(uint address) => throw GuestOnlyException.For(nameof(Read8));

    /// <summary><c>movzx eax, word [address]</c></summary>
    [Intrinsic] public static ushort Read16(uint address) => throw GuestOnlyException.For(nameof(Read16));

    /// <summary><c>mov eax, [address]</c></summary>
    [Intrinsic] public static uint Read32(uint address) => throw GuestOnlyException.For(nameof(Read32));

    /// <summary><c>mov byte [address], al</c></summary>
    [Intrinsic] public static void Write8(uint address, byte value) => throw GuestOnlyException.For(nameof(Write8));

    /// <summary><c>mov word [address], ax</c></summary>
    [Intrinsic] public static void Write16(uint address, ushort value) => throw GuestOnlyException.For(nameof(Write16));

    /// <summary><c>mov [address], eax</c></summary>
    [Intrinsic] public static void Write32(uint address, uint value) => throw GuestOnlyException.For(nameof(Write32));

    /// <summary>
    /// A dword at a physical address: paging is switched off around one <c>mov</c> (interrupts off meanwhile), so
    /// the calling code must be identity-mapped, as the kernel image is in every DSL kernel.
    /// </summary>
    [Intrinsic] public static uint ReadPhysical32(uint physicalAddress) => throw GuestOnlyException.For(nameof(ReadPhysical32));

    /// <summary>Writes a dword at a physical address, as <see cref="ReadPhysical32"/> reads one.</summary>
    [Intrinsic] public static void WritePhysical32(uint physicalAddress, uint value) => throw GuestOnlyException.For(nameof(WritePhysical32));

    /// <summary><c>rep stosd</c>: <paramref name="count"/> dwords of <paramref name="value"/> from <paramref name="address"/>.</summary>
    [Intrinsic] public static void Fill32(uint address, uint value, uint count) => throw GuestOnlyException.For(nameof(Fill32));

    /// <summary><c>rep movsb</c>: <paramref name="count"/> bytes from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    [Intrinsic] public static void Copy(uint destination, uint source, uint count) => throw GuestOnlyException.For(nameof(Copy));

    /// <summary>The guest address of an array's first element (its length is the dword before it).</summary>
    [Intrinsic] public static uint AddressOf<T>(T[] array) where T : unmanaged => throw GuestOnlyException.For(nameof(AddressOf));

    /// <summary>The guest address of a method's code (an interrupt handler, a ring 3 entry point, a task).</summary>
    [Intrinsic] public static uint AddressOf(Action method) => throw GuestOnlyException.For(nameof(AddressOf));
}
