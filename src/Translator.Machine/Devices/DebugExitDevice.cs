namespace Translator.Machine.Devices;

/// <summary>
/// QEMU's isa-debug-exit (iobase 0xF4, iosize 4): any write of V, at any width, asks to end the run; the process
/// exit code the CLI then uses is <c>(V &lt;&lt; 1) | 1</c>. Reads return 0, which is how a guest can probe for it.
/// </summary>
public sealed class DebugExitDevice : IIoDevice
{
    public const ushort DefaultPort = 0xF4;
    public const int PortCount = 4;

    private readonly Action<uint> _exitRequested;

    public DebugExitDevice(Action<uint> exitRequested)
    {
        ArgumentNullException.ThrowIfNull(exitRequested);
        _exitRequested = exitRequested;
    }

    public uint Read(ushort port, int size) => 0;

    public void Write(ushort port, int size, uint value)
    {
        uint mask = size switch { 1 => 0xFFu, 2 => 0xFFFFu, _ => 0xFFFF_FFFFu };
        _exitRequested(value & mask);
    }
}
