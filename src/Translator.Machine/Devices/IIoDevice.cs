namespace Translator.Machine.Devices;

/// <summary>A device that answers port I/O. Sizes are 1, 2 or 4 bytes.</summary>
public interface IIoDevice
{
    uint Read(ushort port, int size);

    void Write(ushort port, int size, uint value);
}

/// <summary>The wire a device pulls to request an interrupt (the PIC implements it).</summary>
public interface IInterruptLines
{
    /// <summary>Sets the level of ISA IRQ line <paramref name="irq"/> (0-15). Edge-triggered controllers latch a rising edge.</summary>
    void SetIrq(int irq, bool level);
}

/// <summary>A device whose behaviour depends on virtual time (the PIT).</summary>
public interface ITimedDevice
{
    /// <summary>The virtual time (ns) of this device's next event, or <see cref="ulong.MaxValue"/> when none is scheduled.</summary>
    ulong NextDeadline { get; }

    /// <summary>Brings the device up to virtual time <paramref name="now"/>, raising whatever events fell due.</summary>
    void Advance(ulong now);
}
