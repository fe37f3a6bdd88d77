using System.Runtime.InteropServices;

namespace Translator.Guest.Tests;

// Data types of StructSemantics: each layout rule C# has (natural alignment and tail padding, nesting, explicit
// offsets with overlap, Pack, fixed buffers), so that sizes, offsets and bytes can be compared with .NET's.

public struct Point
{
    public int X;
    public int Y;
}

public struct Rect
{
    public Point TopLeft;
    public Point Size;
    public byte Flags;
}

public struct Mixed
{
    public byte B;
    public long L;
    public short S;
    public char C;
    public bool F;
    public uint U;
}

[StructLayout(LayoutKind.Explicit)]
public struct Overlay
{
    [FieldOffset(0)] public ulong Whole;
    [FieldOffset(0)] public uint Low;
    [FieldOffset(4)] public uint High;
    [FieldOffset(2)] public ushort Middle;
    [FieldOffset(7)] public byte Top;
}

[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct Packed
{
    public byte Tag;
    public uint Value;
    public ushort Extra;
}

public unsafe struct Named
{
    public int Length;
    public fixed byte Text[11];
    public fixed ushort Words[3];
}

/// <summary>An IA-32 segment descriptor, as the SDM draws it.</summary>
public struct GdtEntry
{
    public ushort LimitLow;
    public ushort BaseLow;
    public byte BaseMiddle;
    public byte Access;
    public byte Granularity;
    public byte BaseHigh;
}

public unsafe struct Node
{
    public int Value;
    public Node* Next;
}

/// <summary>A struct with instance methods: [GuestCode] compiles them, with <c>this</c> by reference.</summary>
[Translator.Guest.GuestCode]
public struct Counter
{
    public int Count;
    public long Total;

    public void Add(int value)
    {
        Count++;
        Total += value;
    }

    public readonly long Average() => Count == 0 ? 0 : Total / Count;

    public Counter Doubled()
    {
        Counter c = this;
        c.Total *= 2;
        c.Add(Count);
        return c;
    }
}
