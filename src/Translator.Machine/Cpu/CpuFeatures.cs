namespace Translator.Machine.Cpu;

/// <summary>
/// The processor's optional units (docs/sse.md, "One CPU model, one source of truth"). Each value is its bit in
/// CPUID.01H:EDX, so CPUID, CR4's accepted bits and the instruction table are all computed from one set. The default,
/// <see cref="None"/>, is the i686 integer core; the SIMD bits together make a Pentium 4-class step.
/// </summary>
[Flags]
public enum CpuFeatures : uint
{
    None = 0,

    /// <summary>FXSAVE/FXRSTOR and CR4.OSFXSR (CPUID.01H:EDX bit 24).</summary>
    Fxsr = 1u << 24,

    /// <summary>SSE: XMM0-XMM7, MXCSR, the single-precision and MMX-extension instructions, CR4.OSXMMEXCPT (bit 25).</summary>
    Sse = 1u << 25,

    /// <summary>SSE2: double precision and 128-bit integer instructions, CLFLUSH (bit 26).</summary>
    Sse2 = 1u << 26,
}
