using System;
using System.Collections.Generic;
using Translator.KernelCompiler.CodeGen;

namespace Translator.KernelCompiler.Linking;

/// <summary>Lays out one data segment: aligned items, with contents for the initialised segment.</summary>
internal sealed class SegmentBuilder(Segment segment)
{
    private readonly List<byte> _bytes = new();

    public Segment Segment { get; } = segment;

    public uint Size { get; private set; }

    /// <summary>The largest alignment asked for: the segment's base must honour it.</summary>
    public uint Alignment { get; private set; } = 16;

    public static uint AlignUp(uint value, uint alignment) => (value + alignment - 1) & ~(alignment - 1);

    public DataAddress Reserve(uint size, uint alignment)
    {
        Alignment = Math.Max(Alignment, alignment);
        uint offset = AlignUp(Size, alignment);
        Size = offset + size;
        if (Segment == Segment.Data)
        {
            while (_bytes.Count < Size)
            {
                _bytes.Add(0);
            }
        }

        return new DataAddress(Segment, offset);
    }

    public void Write(DataAddress address, ulong value, int size)
    {
        for (int i = 0; i < size; i++)
        {
            _bytes[(int)address.Offset + i] = (byte)(value >> (8 * i));
        }
    }

    public void Write(DataAddress address, byte[] bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            _bytes[(int)address.Offset + i] = bytes[i];
        }
    }

    public byte[] ToArray() => _bytes.ToArray();
}
