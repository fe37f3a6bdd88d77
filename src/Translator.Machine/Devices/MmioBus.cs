namespace Translator.Machine.Devices;

/// <summary>A device that answers memory-mapped accesses inside its window. Sizes are 1, 2 or 4 bytes.</summary>
public interface IMmioDevice
{
    /// <summary>Reads <paramref name="size"/> bytes at <paramref name="offset"/> from the window's base.</summary>
    uint Read(uint offset, int size);

    void Write(uint offset, int size, uint value);
}

/// <summary>
/// The physical addresses that devices decode instead of RAM (the local APIC at 0xFEE00000, the I/O APIC at
/// 0xFEC00000). Consulted only for addresses no RAM backs, so RAM accesses never look here; an address no
/// window claims is unassigned memory (reads zeros, writes dropped, as on QEMU's PC).
/// </summary>
public sealed class MmioBus
{
    private readonly List<Window> _windows = [];

    private sealed class Window(uint @base, uint length, IMmioDevice device)
    {
        public uint Base = @base;
        public readonly uint Length = length;
        public readonly IMmioDevice Device = device;

        public bool Contains(uint address, int size) =>
            address - Base < Length && (ulong)(address - Base) + (ulong)size <= Length;
    }

    /// <summary>Called after every device write (the machine ends the block so a newly deliverable interrupt is taken at once).</summary>
    public Action? Written { get; set; }

    /// <summary>Counts device accesses; the VMM reports them.</summary>
    public long Accesses { get; private set; }

    public void Register(uint @base, uint length, IMmioDevice device)
    {
        if (length == 0 || (ulong)@base + length > 0x1_0000_0000UL)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "an MMIO window must be non-empty and below 4 GiB");
        }

        if (_windows.Any(w => @base < w.Base + w.Length && w.Base < @base + length))
        {
            throw new InvalidOperationException($"MMIO window 0x{@base:X8}+0x{length:X} overlaps another device");
        }

        _windows.Add(new Window(@base, length, device));
    }

    /// <summary>Moves <paramref name="device"/>'s window (the local APIC's base is relocatable through its MSR).</summary>
    public void Move(IMmioDevice device, uint newBase)
    {
        foreach (Window w in _windows)
        {
            if (ReferenceEquals(w.Device, device))
            {
                w.Base = newBase;
            }
        }
    }

    /// <summary>The device whose window holds the page of <paramref name="address"/>, if any (the VMM's exit routing).</summary>
    public bool ClaimsPage(uint address)
    {
        uint page = address & 0xFFFF_F000;
        foreach (Window w in _windows)
        {
            if (page + 0xFFFu >= w.Base && page <= w.Base + (w.Length - 1))
            {
                return true;
            }
        }

        return false;
    }

    public bool TryRead(uint address, int size, out uint value)
    {
        foreach (Window w in _windows)
        {
            if (w.Contains(address, size))
            {
                Accesses++;
                value = w.Device.Read(address - w.Base, size);
                return true;
            }
        }

        value = 0;
        return false;
    }

    public bool TryWrite(uint address, int size, uint value)
    {
        foreach (Window w in _windows)
        {
            if (w.Contains(address, size))
            {
                Accesses++;
                w.Device.Write(address - w.Base, size, value);
                Written?.Invoke();
                return true;
            }
        }

        return false;
    }
}
