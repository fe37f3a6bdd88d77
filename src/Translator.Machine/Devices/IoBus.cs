namespace Translator.Machine.Devices;

/// <summary>
/// The 64 KiB x86 I/O port space. Unclaimed ports read as all ones (an undriven ISA bus) and ignore writes.
/// </summary>
public sealed class IoBus
{
    private readonly IIoDevice?[] _ports = new IIoDevice?[0x10000];

    /// <summary>Counts guest port accesses; the VMM reports them.</summary>
    public long Accesses { get; private set; }

    public void Register(ushort firstPort, int count, IIoDevice device)
    {
        for (int i = 0; i < count; i++)
        {
            int port = firstPort + i;
            if (_ports[port] is not null)
            {
                throw new InvalidOperationException($"I/O port 0x{port:X} is already claimed.");
            }

            _ports[port] = device;
        }
    }

    /// <summary>Whether every port of the <paramref name="size"/>-byte access at <paramref name="port"/> belongs to a device.</summary>
    public bool IsClaimed(ushort port, int size)
    {
        for (int i = 0; i < size; i++)
        {
            if (port + i > 0xFFFF || _ports[port + i] is null)
            {
                return false;
            }
        }

        return true;
    }

    public uint Read(ushort port, int size)
    {
        Accesses++;
        IIoDevice? device = _ports[port];
        if (device is null)
        {
            return size switch { 1 => 0xFFu, 2 => 0xFFFFu, _ => 0xFFFF_FFFFu };
        }

        return device.Read(port, size);
    }

    public void Write(ushort port, int size, uint value)
    {
        Accesses++;
        _ports[port]?.Write(port, size, value);
    }
}
