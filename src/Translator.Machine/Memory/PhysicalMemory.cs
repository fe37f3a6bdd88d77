using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Translator.Machine.Memory;

/// <summary>
/// Guest-physical RAM: one contiguous block from address 0. Addresses past the end are unbacked: reads return
/// all ones (an undriven bus) and writes are dropped, as on a PC with no device decoding that range.
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

        _ram = GC.AllocateArray<byte>(megabytes << 20, pinned: true);
    }

    public uint Size => (uint)_ram.Length;

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

    public byte Read8(uint address) => address < (uint)_ram.Length ? _ram[address] : (byte)0xFF;

    public ushort Read16(uint address) =>
        IsBacked(address, 2) ? Unsafe.ReadUnaligned<ushort>(ref _ram[address]) : (ushort)(Read8(address) | (Read8(address + 1) << 8));

    public uint Read32(uint address) =>
        IsBacked(address, 4) ? Unsafe.ReadUnaligned<uint>(ref _ram[address]) : (uint)(Read16(address) | (Read16(address + 2) << 16));

    public void Write8(uint address, byte value)
    {
        if (address < (uint)_ram.Length)
        {
            _ram[address] = value;
        }
    }

    public void Write16(uint address, ushort value)
    {
        if (IsBacked(address, 2))
        {
            Unsafe.WriteUnaligned(ref _ram[address], value);
            return;
        }

        Write8(address, (byte)value);
        Write8(address + 1, (byte)(value >> 8));
    }

    public void Write32(uint address, uint value)
    {
        if (IsBacked(address, 4))
        {
            Unsafe.WriteUnaligned(ref _ram[address], value);
            return;
        }

        Write16(address, (ushort)value);
        Write16(address + 2, (ushort)(value >> 16));
    }
}
