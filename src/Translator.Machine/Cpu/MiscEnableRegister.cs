namespace Translator.Machine.Cpu;

/// <summary>
/// IA32_MISC_ENABLE (MSR 0x1A0), per the SDM's architectural MSR table (Vol. 4, table 2-2) for this processor's
/// CPUID: bit 0 (fast strings), 3 (automatic thermal control), 22 (limit CPUID maxval: leaf 0 already reports 1)
/// and 23 (xTPR message disable) are writable; bit 7 (performance monitoring available) reads 0, bits 11 and 12
/// (BTS and PEBS unavailable) read 1, and writes leave these three as they are. Bits 16 (EIST), 18 (MONITOR FSM) and 34
/// (XD disable) exist only where CPUID reports EIST, MONITOR or XD, which this processor does not, so like every
/// other reserved bit setting them is #GP. (KVM and QEMU accept all three whatever their CPUID says.)
/// </summary>
internal static class MiscEnableRegister
{
    public const uint Index = 0x1A0;

    private const ulong FastStrings = 1, BtsUnavailable = 1 << 11, PebsUnavailable = 1 << 12;
    private const ulong Writable = FastStrings | (1 << 3) | (1 << 22) | (1 << 23);
    private const ulong ReadOnly = (1 << 7) | BtsUnavailable | PebsUnavailable;

    /// <summary>Fast strings on (the SDM's default), BTS and PEBS unavailable.</summary>
    public const ulong AtReset = FastStrings | BtsUnavailable | PebsUnavailable;

    /// <summary>The register after WRMSR of <paramref name="value"/>; null (#GP) when a reserved bit is set.</summary>
    public static ulong? Written(ulong value, ulong current) =>
        (value & ~(Writable | ReadOnly)) != 0 ? null : (value & Writable) | (current & ReadOnly);
}
