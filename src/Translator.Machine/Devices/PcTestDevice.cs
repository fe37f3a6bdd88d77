namespace Translator.Machine.Devices;

/// <summary>
/// QEMU's pc-testdev, present only when asked for (as <c>-device pc-testdev</c>, which kvm-unit-tests' reference
/// runs used): a 32-bit scratch register at ports 0xE0-0xE3 (any access size, byte lanes by port), a page-flush
/// port at 0xE4-0xE7 (QEMU re-maps the page to force its emulator; this machine has no separate fast path to
/// force, so it has no effect), IRQ lines at ports 0x2000-0x2017 (a write sets line N's level to value != 0: ISA
/// lines 0-15 through the 8259 and the I/O APIC, 16-23 on the I/O APIC only) and 64 KiB of scratch memory at
/// 0xFF000000.
/// </summary>
public sealed class PcTestDevice : IIoDevice, IMmioDevice
{
    public const ushort DataPort = 0xE0, FlushPort = 0xE4, IrqPorts = 0x2000;
    public const int IrqLines = 24;
    public const uint MemoryBase = 0xFF00_0000, MemorySize = 0x1_0000;

    private readonly IInterruptLines _isa;
    private readonly IoApic _ioApic;
    private readonly byte[] _memory = new byte[MemorySize];
    private uint _data;

    public PcTestDevice(IInterruptLines isa, IoApic ioApic)
    {
        _isa = isa;
        _ioApic = ioApic;
    }

    public uint Read(ushort port, int size)
    {
        if (port is >= DataPort and < DataPort + 4)
        {
            int shift = (port - DataPort) * 8;
            return (uint)((_data >> shift) & (size == 4 ? 0xFFFF_FFFFUL : (1UL << (8 * size)) - 1));
        }

        return 0; // the flush and IRQ ports are write-only
    }

    public void Write(ushort port, int size, uint value)
    {
        if (port is >= DataPort and < DataPort + 4)
        {
            int shift = (port - DataPort) * 8;
            uint mask = (uint)((size == 4 ? 0xFFFF_FFFFUL : (1UL << (8 * size)) - 1) << shift);
            _data = (_data & ~mask) | ((value << shift) & mask);
        }
        else if (port is >= IrqPorts and < IrqPorts + IrqLines)
        {
            int line = port - IrqPorts;
            if (line < 16)
            {
                _isa.SetIrq(line, value != 0);
            }
            else
            {
                _ioApic.SetPin(line, value != 0);
            }
        }
    }

    uint IMmioDevice.Read(uint offset, int size)
    {
        uint value = 0;
        for (int b = 0; b < size; b++)
        {
            value |= (uint)_memory[(offset + (uint)b) % MemorySize] << (8 * b);
        }

        return value;
    }

    void IMmioDevice.Write(uint offset, int size, uint value)
    {
        for (int b = 0; b < size; b++)
        {
            _memory[(offset + (uint)b) % MemorySize] = (byte)(value >> (8 * b));
        }
    }
}
