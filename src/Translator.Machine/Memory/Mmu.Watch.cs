namespace Translator.Machine.Memory;

/// <summary>
/// Data breakpoints' side of the MMU: the linear ranges DR0-DR3 watch. A page holding one is never entered in the
/// TLB while it is watched, so every access to it, from any tier, takes the slow path, which records the
/// breakpoints it touches in <see cref="WatchHits"/> for the processor to report after the instruction.
/// </summary>
public sealed unsafe partial class Mmu
{
    private readonly uint[] _watchStart = new uint[4], _watchLast = new uint[4];
    private readonly bool[] _watchReads = new bool[4];
    private int _watched;

    /// <summary>Whether any data breakpoint is armed (bulk string copies then go element by element).</summary>
    internal bool Watching => _watched != 0;

    /// <summary>DR6 B bits of the data breakpoints the accesses since the last clear touched.</summary>
    internal uint WatchHits;

    /// <summary>
    /// Watches <paramref name="length"/> bytes from <paramref name="start"/> (aligned to the length) for breakpoint
    /// <paramref name="n"/>: writes, and reads too with <paramref name="reads"/>; a length of 0 stops watching.
    /// </summary>
    internal void Watch(int n, uint start, uint length, bool reads)
    {
        int bit = 1 << n;
        if (length == 0)
        {
            _watched &= ~bit;
        }
        else
        {
            _watchStart[n] = start & ~(length - 1);
            _watchLast[n] = _watchStart[n] + length - 1;
            _watchReads[n] = reads;
            _watched |= bit;
        }

        FlushAll(); // a watched page leaves the TLB (and an unwatched one may enter it again)
    }

    private bool IsWatchedPage(uint la)
    {
        uint page = la & 0xFFFF_F000;
        for (int n = 0; n < 4; n++)
        {
            if ((_watched & (1 << n)) != 0 && (_watchStart[n] & 0xFFFF_F000) <= page && page <= (_watchLast[n] & 0xFFFF_F000))
            {
                return true;
            }
        }

        return false;
    }

    private void RecordWatchedAccess(uint la, int size, bool write)
    {
        uint last = la + (uint)size - 1;
        for (int n = 0; n < 4; n++)
        {
            if ((_watched & (1 << n)) != 0 && (write || _watchReads[n]) && la <= _watchLast[n] && _watchStart[n] <= last)
            {
                WatchHits |= 1u << n;
            }
        }
    }
}
