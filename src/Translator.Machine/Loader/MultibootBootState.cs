namespace Translator.Machine.Loader;

/// <summary>
/// Where a loaded multiboot kernel starts. The caller sets the rest of the entry state as QEMU's loader leaves it:
/// EAX = <see cref="MultibootLoader.BootMagic"/>, EBX = <paramref name="InfoAddress"/>, protected mode, paging off,
/// CS = 0x08, data segments 0x10, interrupts disabled.
/// </summary>
public readonly record struct MultibootBootState(uint Entry, uint InfoAddress);
