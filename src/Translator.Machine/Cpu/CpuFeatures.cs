namespace Translator.Machine.Cpu;

/// <summary>
/// The processor's optional units beyond the i686 integer core (docs/sse.md, "One CPU model, one source of truth"):
/// CPUID leaf 1's EDX, the CR0/CR4 rules and which instructions execute are all computed from this one set.
/// </summary>
[Flags]
public enum CpuFeatures
{
    /// <summary>The integer core only (the default): x87 and SIMD instructions raise #UD, or #NM under CR0.EM/TS.</summary>
    None = 0,

    /// <summary>The x87 floating-point unit (CPUID.01H:EDX bit 0).</summary>
    Fpu = 1 << 0,

    /// <summary>MMX (CPUID.01H:EDX bit 23); its registers alias the x87 ones, so it needs <see cref="Fpu"/>.</summary>
    Mmx = 1 << 23,
}

public sealed partial class X86Cpu
{
    /// <summary>The optional units this processor has (<see cref="CpuFeatures"/>); set once, before the guest runs.</summary>
    public CpuFeatures Features { get; set; }

    /// <summary>The x87 FPU's registers (and MMX's, which alias them); inert unless <see cref="CpuFeatures.Fpu"/> is set.</summary>
    public X87.X87Fpu Fpu { get; } = new();

    /// <summary>FERR#: raised (true) when a waiting x87 instruction finds an unmasked exception with CR0.NE = 0 (the PC's IRQ 13).</summary>
    public Action<bool>? FloatingPointError { get; set; }
}
