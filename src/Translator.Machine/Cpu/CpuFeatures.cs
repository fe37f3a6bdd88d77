namespace Translator.Machine.Cpu;

/// <summary>
/// The processor's optional units (docs/sse.md, "One CPU model, one source of truth"). Each value is its bit in
/// CPUID.01H:EDX, so CPUID, CR4's accepted bits and the instruction table are all computed from one set. A machine
/// gets <see cref="Default"/>, the Pentium 4-class step (x87, MMX, FXSR, SSE, SSE2) that QEMU's default i386 CPU
/// reports too; <see cref="None"/> is the i686 integer core alone.
/// </summary>
[Flags]
public enum CpuFeatures : uint
{
    None = 0,

    /// <summary>The x87 floating-point unit (bit 0; docs/x87.md).</summary>
    Fpu = 1u << 0,

    /// <summary>MMX (bit 23); its registers alias the x87 ones, so it needs <see cref="Fpu"/>.</summary>
    Mmx = 1u << 23,

    /// <summary>FXSAVE/FXRSTOR and CR4.OSFXSR (CPUID.01H:EDX bit 24).</summary>
    Fxsr = 1u << 24,

    /// <summary>SSE: XMM0-XMM7, MXCSR, the single-precision and MMX-extension instructions, CR4.OSXMMEXCPT (bit 25).</summary>
    Sse = 1u << 25,

    /// <summary>SSE2: double precision and 128-bit integer instructions, CLFLUSH (bit 26).</summary>
    Sse2 = 1u << 26,

    /// <summary>What a machine has unless told otherwise: the whole SIMD unit (docs/sse.md, docs/x87.md).</summary>
    Default = Fpu | Mmx | Fxsr | Sse | Sse2,
}

public sealed partial class X86Cpu
{
    /// <summary>The x87 FPU's registers (and MMX's, which alias them); inert unless <see cref="CpuFeatures.Fpu"/> is set.</summary>
    public X87.X87Fpu Fpu { get; } = new();

    /// <summary>FERR#: raised (true) when a waiting x87 instruction finds an unmasked exception with CR0.NE = 0 (the PC's IRQ 13).</summary>
    public Action<bool>? FloatingPointError { get; set; }
}
