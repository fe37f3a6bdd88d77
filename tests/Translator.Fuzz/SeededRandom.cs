namespace Translator.Fuzz;

/// <summary>SplitMix64: a generator whose sequence is fixed by its seed forever (System.Random promises less).</summary>
public sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong Next64()
    {
        ulong z = _state += 0x9E37_79B9_7F4A_7C15;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
        return z ^ (z >> 31);
    }

    public uint Next32() => (uint)(Next64() >> 32);

    /// <summary>0 ≤ result &lt; bound.</summary>
    public int Below(int bound) => (int)((Next64() >> 33) % (ulong)bound);

    public bool Chance(int percent) => Below(100) < percent;

    public T Pick<T>(IReadOnlyList<T> items) => items[Below(items.Count)];

    /// <summary>Edge values are where implementations differ: 0, ±1, sign boundaries; otherwise any value.</summary>
    public uint Interesting()
    {
        uint[] edges = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFFE];
        return Chance(30) ? edges[Below(edges.Length)] : Next32();
    }
}
