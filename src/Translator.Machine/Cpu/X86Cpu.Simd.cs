using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Translator.Machine.Cpu;

/// <summary>The SSE/SSE2 unit's state (docs/sse.md): XMM0-XMM7 and MXCSR, present when <see cref="Features"/> has SSE.</summary>
public sealed partial class X86Cpu
{
    public const uint Cr4OsFxsr = 1u << 9, Cr4OsXmmExcpt = 1u << 10;

    /// <summary>The CR0 bits that govern the x87/SIMD unit (SDM Vol. 3 table 2-2): monitor coprocessor, task switched, native errors.</summary>
    public const uint Cr0Mp = 1u << 1, Cr0Ts = 1u << 3, Cr0Ne = 1u << 5;

    /// <summary>MXCSR at reset: every exception masked, round to nearest, no flags.</summary>
    public const uint MxcsrAtReset = 0x1F80;

    /// <summary>The MXCSR bits this unit implements (FXSAVE's MXCSR_MASK): all of 0-15 but DAZ (bit 6), the early Pentium 4's.</summary>
    public const uint MxcsrMask = 0xFFBF;

    /// <summary>The optional units this processor has (fixed when it is built).</summary>
    public CpuFeatures Features { get; init; }

    /// <summary>
    /// XMM0-XMM7. An array, not an inline field: a UInt128 field would give X86Cpu a layout whose alignment crossgen2
    /// does not take as fixed across assemblies, and it would then precompile no translated method that touches the
    /// CPU (every one), leaving the JIT to compile them (TranslationCacheTests).
    /// </summary>
    internal readonly UInt128[] Xmm = new UInt128[8];

    /// <summary>SSE control/status: flags IE DE ZE OE UE PE (0-5), masks (7-12), rounding (13-14), FTZ (15).</summary>
    internal uint Mxcsr = MxcsrAtReset;

    /// <summary>The CR4 bits the units add: OSFXSR with FXSR, OSXMMEXCPT with SSE (reserved, #GP, without them).</summary>
    internal uint Cr4FeatureBits =>
        ((Features & CpuFeatures.Fxsr) != 0 ? Cr4OsFxsr : 0) | ((Features & CpuFeatures.Sse) != 0 ? Cr4OsXmmExcpt : 0);

    public UInt128 GetXmm(int index) => Xmm[index];

    public void SetXmm(int index, UInt128 value) => Xmm[index] = value;

    public uint GetMxcsr() => Mxcsr;

    internal void ResetSimd()
    {
        Array.Clear(Xmm);
        Mxcsr = MxcsrAtReset;
    }

    /// <summary>The lanes of XMM register <paramref name="index"/> as elements of <typeparamref name="T"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Span<T> XmmLanes<T>(int index) where T : struct =>
        MemoryMarshal.Cast<UInt128, T>(MemoryMarshal.CreateSpan(ref Xmm[index], 1));
}
