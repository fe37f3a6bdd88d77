using System.Buffers.Binary;
using System.Text;
using Translator.Machine.Snapshots;

namespace Translator.Machine.Devices;

/// <summary>
/// QEMU's firmware configuration device, I/O-port interface (ports 0x510 selector, 0x511 data): a guest writes a
/// 16-bit key to the selector and reads the item byte by byte from the data port. Items, in QEMU's encodings
/// (little-endian numbers): the signature "QEMU", the interface ID (1: the port interface only; no DMA), a zero
/// UUID, the RAM size, the CPU count and maximum (1), "no graphics", and an empty file directory (big-endian
/// count 0). Reads past an item, or of a key with no item, return 0; data-port writes are ignored (QEMU dropped
/// them in 2.4).
/// </summary>
public sealed class FwCfg : IIoDevice, IRestoredStateCheck
{
    public const ushort SelectorPort = 0x510, DataPort = 0x511;

    public const ushort Signature = 0x00, Id = 0x01, Uuid = 0x02, RamSize = 0x03, NoGraphic = 0x04, CpuCount = 0x05;
    public const ushort MaxCpus = 0x0F, FileDirectory = 0x19;

    private readonly Dictionary<ushort, byte[]> _items = [];
    private byte[] _selected = [];
    private int _offset;
    private ushort _key;

    public FwCfg(ulong ramBytes)
    {
        _items[Signature] = Encoding.ASCII.GetBytes("QEMU");
        _items[Id] = Le32(1);
        _items[Uuid] = new byte[16];
        var ram = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(ram, ramBytes);
        _items[RamSize] = ram;
        _items[NoGraphic] = Le16(1);
        _items[CpuCount] = Le16(1);
        _items[MaxCpus] = Le16(1);
        _items[FileDirectory] = new byte[4];
        Select(Signature);
    }

    private static byte[] Le16(ushort value) => BitConverter.GetBytes(value);

    private static byte[] Le32(uint value) => BitConverter.GetBytes(value);

    private void Select(ushort key)
    {
        _key = key;
        _selected = _items.TryGetValue(key, out byte[]? item) ? item : [];
        _offset = 0;
    }

    /// <summary>The selected bytes are the item of the selected key (or none), and the read offset is within them.</summary>
    void IRestoredStateCheck.CheckRestoredState()
    {
        byte[] item = _items.TryGetValue(_key, out byte[]? selected) ? selected : [];
        RestoredState.Require(_selected.AsSpan().SequenceEqual(item), "the selected item", $"{_selected.Length} bytes {Convert.ToHexString(_selected.AsSpan(0, Math.Min(_selected.Length, 16)))}", $"key 0x{_key:X4} has {item.Length} bytes {Convert.ToHexString(item.AsSpan(0, Math.Min(item.Length, 16)))}");
        RestoredState.InRange("the read offset", _offset, 0, _selected.Length);
    }

    public uint Read(ushort port, int size)
    {
        if (port == SelectorPort)
        {
            return size == 1 ? (uint)(_key & 0xFF) : _key;
        }

        // The data port is one byte wide: a wider read takes that many consecutive bytes of the item.
        uint value = 0;
        for (int b = 0; b < size; b++)
        {
            value |= (uint)(_offset < _selected.Length ? _selected[_offset++] : 0) << (8 * b);
        }

        return value;
    }

    public void Write(ushort port, int size, uint value)
    {
        if (port == SelectorPort && size >= 2)
        {
            Select((ushort)value);
        }
    }
}
