using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Translator.Machine.Memory;

/// <summary>
/// The TLB fast path for translated code (part of the ABI of translated code): a hit is a plain RAM access; a miss
/// returns false and the caller takes the slow path (<see cref="Read32"/>, <see cref="Write32"/> ...) after making
/// its state precise, since the slow path may fault. A write hit never touches a page holding cached code (such
/// pages have no write entries), so only the slow path can require translated code to stop.
/// </summary>
public sealed unsafe partial class Mmu
{
    /// <summary>
    /// The current privilege class's TLB: 1024 entries of four words (read tag, write tag, read page, write page;
    /// a tag is a linear page number, 0xFFFFFFFF when empty). Valid until the CPL class changes.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public uint* TcTlb
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (uint*)_current;
    }

    /// <summary>Guest RAM (physical address 0), for the TLB's page frames.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public byte* TcRam
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _ram;
    }

    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TcTryRead8(uint la, out uint value)
    {
        uint page = la >> 12;
        TlbEntry* e = _current + (page & (TlbSize - 1));
        if (e->ReadTag == page)
        {
            value = _ram[e->ReadPage | (la & 0xFFF)];
            return true;
        }

        value = 0;
        return false;
    }

    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TcTryRead16(uint la, out uint value)
    {
        uint page = la >> 12;
        TlbEntry* e = _current + (page & (TlbSize - 1));
        if (e->ReadTag == page && (la & 0xFFF) <= 0xFFE)
        {
            value = Unsafe.ReadUnaligned<ushort>(_ram + (e->ReadPage | (la & 0xFFF)));
            return true;
        }

        value = 0;
        return false;
    }

    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TcTryRead32(uint la, out uint value)
    {
        uint page = la >> 12;
        TlbEntry* e = _current + (page & (TlbSize - 1));
        if (e->ReadTag == page && (la & 0xFFF) <= 0xFFC)
        {
            value = Unsafe.ReadUnaligned<uint>(_ram + (e->ReadPage | (la & 0xFFF)));
            return true;
        }

        value = 0;
        return false;
    }

    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TcTryWrite8(uint la, uint value)
    {
        uint page = la >> 12;
        TlbEntry* e = _current + (page & (TlbSize - 1));
        if (e->WriteTag == page)
        {
            _ram[e->WritePage | (la & 0xFFF)] = (byte)value;
            return true;
        }

        return false;
    }

    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TcTryWrite16(uint la, uint value)
    {
        uint page = la >> 12;
        TlbEntry* e = _current + (page & (TlbSize - 1));
        if (e->WriteTag == page && (la & 0xFFF) <= 0xFFE)
        {
            Unsafe.WriteUnaligned(_ram + (e->WritePage | (la & 0xFFF)), (ushort)value);
            return true;
        }

        return false;
    }

    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TcTryWrite32(uint la, uint value)
    {
        uint page = la >> 12;
        TlbEntry* e = _current + (page & (TlbSize - 1));
        if (e->WriteTag == page && (la & 0xFFF) <= 0xFFC)
        {
            Unsafe.WriteUnaligned(_ram + (e->WritePage | (la & 0xFFF)), value);
            return true;
        }

        return false;
    }
}
