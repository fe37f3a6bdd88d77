namespace Translator.Machine.Devices;

/// <summary>
/// QEMU's isa-debugcon ("the Bochs E9 hack") at port 0xE9, present only when asked for (as QEMU's
/// <c>-device isa-debugcon</c>): bytes written go to the VMM's own output, never to COM1's stdout, and a read
/// returns 0xE9 (the device's read-back value), which is how a guest detects it.
/// </summary>
public sealed class DebugConsole(Action<byte> output) : IIoDevice
{
    public const ushort Port = 0xE9;

    /// <summary>Bytes the guest wrote.</summary>
    public long Written { get; private set; }

    public uint Read(ushort port, int size) => size == 1 ? 0xE9u : size == 2 ? 0xE9E9u : 0xE9E9_E9E9u;

    public void Write(ushort port, int size, uint value)
    {
        // A wider write puts out its low byte, as QEMU's one-byte device does.
        Written++;
        output((byte)value);
    }
}
