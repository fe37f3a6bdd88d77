using Translator.Machine.Memory;

namespace Translator.Vmm.Backends.Deprivileged;

/// <summary>
/// The real GDT of ring compression, in VMM memory: a copy of the guest's GDT in which every code and data
/// descriptor of DPL 0 has DPL 1, so the guest kernel's own selectors (same index, RPL 0) load at CPL 1. System
/// descriptors (TSS, LDT, gates) are left out: the real task register and LDT stay the VMM's, the guest's are virtual.
/// Accessed bits are pre-set so the processor never writes this table.
/// </summary>
internal sealed class CompressedGdt(PhysicalMemory host, uint baseAddress)
{
    /// <summary>The architectural maximum: 8192 descriptors.</summary>
    public const uint Bytes = 0x10000;

    private const uint SystemSegment = 1u << 12, DplMask = 3u << 13, Accessed = 1u << 8;

    public uint Base => baseAddress;

    /// <summary>Rewrites the table from the guest's descriptors; <paramref name="readGuest"/> returns null for an unreadable one.</summary>
    public void Rebuild(uint guestLimit, Func<uint, ulong?> readGuest)
    {
        host.Span(baseAddress, (int)Bytes).Clear();
        for (uint offset = 0; offset + 7 <= guestLimit && offset < Bytes; offset += 8)
        {
            if (readGuest(offset) is not ulong descriptor)
            {
                continue;
            }

            uint low = (uint)descriptor, high = (uint)(descriptor >> 32);
            if ((high & SystemSegment) == 0)
            {
                continue;
            }

            host.Write32(baseAddress + offset, low);
            host.Write32(baseAddress + offset + 4, Compress(high) | Accessed);
        }
    }

    /// <summary>DPL 0 becomes DPL 1; other levels are kept (a guest using ring 1 itself shares it with its kernel).</summary>
    public static uint Compress(uint high) => (high & DplMask) == 0 ? high | (1u << 13) : high;
}
