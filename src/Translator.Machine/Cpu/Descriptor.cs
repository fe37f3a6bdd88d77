namespace Translator.Machine.Cpu;

/// <summary>An 8-byte segment or gate descriptor as read from the GDT, LDT or IDT.</summary>
internal readonly struct Descriptor(uint low, uint high)
{
    public readonly uint Low = low;
    public readonly uint High = high;

    public uint Base => (Low >> 16) | ((High & 0xFF) << 16) | (High & 0xFF00_0000);

    /// <summary>The limit in bytes, with the granularity bit applied.</summary>
    public uint Limit
    {
        get
        {
            uint raw = (Low & 0xFFFF) | (High & 0x000F_0000);
            return Granular ? (raw << 12) | 0xFFF : raw;
        }
    }

    public bool Granular => (High & 0x0080_0000) != 0;

    public bool Big => (High & 0x0040_0000) != 0;

    public bool Present => (High & 0x8000) != 0;

    public int Dpl => (int)(High >> 13) & 3;

    /// <summary>S bit: code/data segment (true) or system descriptor (false).</summary>
    public bool IsCodeOrData => (High & 0x1000) != 0;

    /// <summary>The 4-bit type field.</summary>
    public int Type => (int)(High >> 8) & 0xF;

    public bool IsCode => IsCodeOrData && (Type & 8) != 0;

    public bool IsData => IsCodeOrData && (Type & 8) == 0;

    public bool Conforming => IsCode && (Type & 4) != 0;

    public bool Readable => IsCode ? (Type & 2) != 0 : true;

    public bool Writable => IsData && (Type & 2) != 0;

    public bool ExpandDown => IsData && (Type & 4) != 0;

    /// <summary>The access byte and the flags nibble, as LAR reports them (bits 8-23 of the high dword).</summary>
    public ushort Attributes => (ushort)(((High >> 8) & 0xFF) | ((High >> 12) & 0xF00));

    // Gate fields.
    public ushort GateSelector => (ushort)(Low >> 16);

    public uint GateOffset => (Low & 0xFFFF) | (High & 0xFFFF_0000);

    public bool IsFlat => Base == 0 && Limit == 0xFFFF_FFFF && !ExpandDown;
}
