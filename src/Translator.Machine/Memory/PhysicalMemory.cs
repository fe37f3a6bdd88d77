using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Translator.Machine.Memory;

/// <summary>
/// Guest-physical RAM: one contiguous block from address 0. Addresses past the end are unbacked: a device window
/// of <see cref="Mmio"/> answers them, otherwise reads return zeros and writes are dropped, as QEMU's PC treats
/// unassigned memory (so a guest whose stack or pointers run past RAM sees what it sees on QEMU; a real board's
/// undriven bus would read all ones). RAM accesses never consult the device windows.
/// </summary>
public sealed class PhysicalMemory
{
    public const int MaxMiB = 3072;

    private readonly byte[] _ram;

    public PhysicalMemory(int megabytes)
    {
        if (megabytes < 2 || megabytes > MaxMiB)
        {
            throw new ArgumentOutOfRangeException(nameof(megabytes), $"guest memory must be between 2 and {MaxMiB} MiB");
        }

        _ram = RamPool.Current?.Rent(megabytes << 20) ?? GC.AllocateArray<byte>(megabytes << 20, pinned: true);
    }

    public uint Size => (uint)_ram.Length;

    /// <summary>The device windows decoded past RAM (null: none). Only the unbacked paths look at it.</summary>
    public Devices.MmioBus? Mmio { get; set; }

    /// <summary>The backing array; the MMU and interpreter index it directly on their fast paths.</summary>
    internal byte[] Ram => _ram;

    public bool IsBacked(uint address, int length) => (ulong)address + (ulong)length <= (ulong)_ram.Length;

    public Span<byte> Span(uint address, int length)
    {
        if (!IsBacked(address, length))
        {
            throw new ArgumentOutOfRangeException(nameof(address), $"physical range 0x{address:X8}+{length} is not backed by RAM");
        }

        return _ram.AsSpan((int)address, length);
    }

    /// <summary>What a read of memory no RAM or device decodes returns (QEMU's unassigned memory).</summary>
    public const byte Unassigned = 0;

    public byte Read8(uint address) => address < (uint)_ram.Length ? _ram[address] : (byte)ReadUnbacked(address, 1);

    public ushort Read16(uint address) =>
        IsBacked(address, 2) ? Unsafe.ReadUnaligned<ushort>(ref _ram[address]) : (ushort)ReadUnbacked(address, 2);

    public uint Read32(uint address) =>
        IsBacked(address, 4) ? Unsafe.ReadUnaligned<uint>(ref _ram[address]) : ReadUnbacked(address, 4);

    public void Write8(uint address, byte value)
    {
        if (address < (uint)_ram.Length)
        {
            _ram[address] = value;
            return;
        }

        WriteUnbacked(address, 1, value);
    }

    public void Write16(uint address, ushort value)
    {
        if (IsBacked(address, 2))
        {
            Unsafe.WriteUnaligned(ref _ram[address], value);
            return;
        }

        WriteUnbacked(address, 2, value);
    }

    public void Write32(uint address, uint value)
    {
        if (IsBacked(address, 4))
        {
            Unsafe.WriteUnaligned(ref _ram[address], value);
            return;
        }

        WriteUnbacked(address, 4, value);
    }

    /// <summary>A device window answers the whole access, or it is split into bytes (RAM, a device, or zero each).</summary>
    private uint ReadUnbacked(uint address, int size)
    {
        if (Mmio is { } bus && bus.TryRead(address, size, out uint value))
        {
            return value;
        }

        if (size == 1)
        {
            return Unassigned;
        }

        value = 0;
        for (int b = 0; b < size; b++)
        {
            value |= (uint)Read8(address + (uint)b) << (8 * b);
        }

        return value;
    }

    private void WriteUnbacked(uint address, int size, uint value)
    {
        if ((Mmio is { } bus && bus.TryWrite(address, size, value)) || size == 1)
        {
            return;
        }

        for (int b = 0; b < size; b++)
        {
            Write8(address + (uint)b, (byte)(value >> (8 * b)));
        }
    }
}
