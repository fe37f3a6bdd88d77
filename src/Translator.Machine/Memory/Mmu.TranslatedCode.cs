using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Translator.Machine.Memory;

/// <summary>
/// The TLB for translated code (part of the ABI of translated code): generated code probes the current TLB inline;
/// a hit is a plain RAM access, a miss takes the slow path (<see cref="Read32"/>, <see cref="Write32"/> ...) after
/// making its state precise, since the slow path may fault. A write hit never touches a page holding cached code
/// (such pages have no write entries), so only the slow path can require translated code to stop.
/// </summary>
public sealed unsafe partial class Mmu
{
    /// <summary>
    /// The current privilege class's TLB: 1024 entries of eight words: read tag, write tag (a tag is a linear page
    /// address, 0xFFFFFFFF when empty), read page, write page, then at words 4 and 6 the read and write host addends
    /// (native-sized: the host address of a byte is its linear address plus the addend). Valid until the CPL class
    /// changes.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public uint* TcTlb
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (uint*)_current;
    }
}
