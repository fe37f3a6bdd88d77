namespace Translator.Guest;

/// <summary>Facts about the running kernel image that only the linker knows.</summary>
public static class KernelImage
{
    /// <summary>
    /// The image's interrupt handlers as triples (vector, entry stub address, gate flags: bit 0 if ring 3 may raise it,
    /// bit 1 for a trap gate), in vector order: what <c>Idt.Install</c> turns into gates.
    /// </summary>
    [Intrinsic] public static uint[] InterruptHandlers() => throw GuestOnlyException.For(nameof(InterruptHandlers));

    /// <summary>The first page-aligned address after the image (code, data and boot stack): free memory starts here.</summary>
    [Intrinsic] public static uint End() => throw GuestOnlyException.For(nameof(End));

    /// <summary>
    /// The physical address of the multiboot information structure the boot loader passed in EBX (its memory map,
    /// command line and boot loader name hang off it). 0 in the paravirtual build, which Xen's start info starts instead.
    /// </summary>
    [Intrinsic] public static uint MultibootInfo() => throw GuestOnlyException.For(nameof(MultibootInfo));

    /// <summary>The value EAX held at entry: 0x2BADB002 when a multiboot loader started the kernel; 0 in the paravirtual build.</summary>
    [Intrinsic] public static uint MultibootMagic() => throw GuestOnlyException.For(nameof(MultibootMagic));

    /// <summary>
    /// Whether this build is the paravirtual one (<c>ParavirtImage</c>): a constant per build, so an <c>if</c>, <c>?:</c>,
    /// <c>&amp;&amp;</c> or <c>||</c> on it compiles only the branch the build takes. As .NET code it is false.
    /// </summary>
    [Intrinsic] public static bool IsParavirtual => false;
}
