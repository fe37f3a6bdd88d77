using System.Runtime.InteropServices;
using Iced.Intel;
using Reg = Iced.Intel.Register;
using Translator.Machine.Cpu;
using X87Fpu = Translator.Machine.Cpu.X87.X87Fpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Cpu.SimdFloat;

namespace Translator.Machine.Instructions;

/// <summary>
/// The SSE and SSE2 forms whose operands include an MMX register (docs/sse.md): the unit's own checks (#UD without
/// its CPUID bit; the forms that touch an XMM register also need CR4.OSFXSR), then the MMX rules of
/// <see cref="InstMmx.Enter"/> (#UD with EM, #NM with TS, the pending x87 exception), and on completion the x87
/// aliasing (TOP = 0, every tag valid; a written register's exponent all ones). The lane operations and conversions
/// are the XMM forms' own.
/// </summary>
internal static unsafe partial class InstSse
{
    private static void RegisterMmxForms(InstructionTableBuilder t)
    {
        AddMmxForm(t, Code.Pavgb_mm_mmm64, &PackedMmx<byte, Average8>);
        AddMmxForm(t, Code.Pavgw_mm_mmm64, &PackedMmx<ushort, Average16>);
        AddMmxForm(t, Code.Pminub_mm_mmm64, &PackedMmx<byte, Minimum<byte>>);
        AddMmxForm(t, Code.Pmaxub_mm_mmm64, &PackedMmx<byte, Maximum<byte>>);
        AddMmxForm(t, Code.Pminsw_mm_mmm64, &PackedMmx<short, Minimum<short>>);
        AddMmxForm(t, Code.Pmaxsw_mm_mmm64, &PackedMmx<short, Maximum<short>>);
        AddMmxForm(t, Code.Pmulhuw_mm_mmm64, &PackedMmx<ushort, MultiplyHighU16>);
        AddMmxForm(t, Code.Paddq_mm_mmm64, &PackedMmx<ulong, Add64>);
        AddMmxForm(t, Code.Psubq_mm_mmm64, &PackedMmx<ulong, Sub64>);
        AddMmxForm(t, Code.Pmuludq_mm_mmm64, &PackedMmx<ulong, MultiplyUnsigned32To64>);
        AddMmxForm(t, Code.Psadbw_mm_mmm64, &SumOfAbsoluteDifferencesMmx);
        AddMmxForm(t, Code.Pshufw_mm_mmm64_imm8, &ShuffleMmxWords);
        AddMmxForm(t, Code.Pmovmskb_r32_mm, &SignMaskMmx);
        AddMmxForm(t, Code.Pextrw_r32_mm_imm8, &ExtractMmxWord);
        AddMmxForm(t, Code.Pinsrw_mm_r32m16_imm8, &InsertMmxWord);
        AddMmxForm(t, Code.Maskmovq_rDI_mm_mm, &MaskedMoveMmx);
        AddMmxForm(t, Code.Movntq_m64_mm, &MoveNonTemporalMmx);
        AddMmxForm(t, Code.Movq2dq_xmm_mm, &MoveMmxToXmm);
        AddMmxForm(t, Code.Movdq2q_mm_xmm, &MoveXmmToMmx);
        AddMmxForm(t, Code.Cvtpi2ps_xmm_mmm64, &IntegersToFloats);
        AddMmxForm(t, Code.Cvtpi2pd_xmm_mmm64, &IntegersToFloats);
        foreach (Code code in (Code[])[Code.Cvtps2pi_mm_xmmm64, Code.Cvttps2pi_mm_xmmm64, Code.Cvtpd2pi_mm_xmmm128, Code.Cvttpd2pi_mm_xmmm128])
        {
            AddMmxForm(t, code, &FloatsToIntegers);
        }
    }

    private static void AddMmxForm(InstructionTableBuilder t, Code code, delegate*<X86Cpu, ref DecodedOp, void> handler)
    {
        // PADDQ mm came with SSE2 (the SDM's CPUID column), though Iced lists it as MMX.
        s_requires[(int)code] = code == Code.Paddq_mm_mmm64 ? CpuFeatures.Sse2 : UnitOf(code);
        t.Add(code, handler);
    }

    /// <summary>
    /// The checks of an MMX-register form: #UD without the unit, or (for the forms that touch an XMM register)
    /// without CR4.OSFXSR; then the MMX unit's (SDM Vol. 3 table 2-2; Vol. 2's exception classes for these forms).
    /// </summary>
    private static X87Fpu EnterMmxForm(X86Cpu c, ref DecodedOp op, bool touchesXmm)
    {
        if ((c.Features & s_requires[(int)op.Instruction.Code]) == 0 || (touchesXmm && (c.Cr4 & X86Cpu.Cr4OsFxsr) == 0))
        {
            throw c.InvalidOpcode();
        }

        return InstMmx.Enter(c, ref op);
    }

    private static int MmxOf(ref DecodedOp op, int n) => op.Instruction.GetOpRegister(n) - Reg.MM0;

    /// <summary>Operand <paramref name="n"/> as 64 bits: an MMX register or an m64.</summary>
    private static ulong SourceMmx(X86Cpu c, X87Fpu f, ref DecodedOp op, int n) =>
        IsMemory(ref op, n) ? Read64(c, Operands.EffectiveAddress(c, ref op)) : f.ReadMmx(MmxOf(ref op, n));

    private static Span<T> Lanes<T>(ref ulong value) where T : struct =>
        MemoryMarshal.Cast<ulong, T>(MemoryMarshal.CreateSpan(ref value, 1));

    /// <summary>Completes an MMX-register form: the x87 aliasing, then the destination written (if any).</summary>
    private static void WriteMmxResult(X87Fpu f, int destination, ulong value)
    {
        f.EnterMmx();
        f.WriteMmx(destination, value);
    }

    private static void PackedMmx<T, TOp>(X86Cpu c, ref DecodedOp op) where T : struct where TOp : ILaneOp<T>
    {
        X87Fpu f = EnterMmxForm(c, ref op, touchesXmm: false);
        ulong source = SourceMmx(c, f, ref op, 1); // may fault: before anything changes
        int d = MmxOf(ref op, 0);
        ulong result = f.ReadMmx(d);
        Span<T> r = Lanes<T>(ref result);
        ReadOnlySpan<T> s = Lanes<T>(ref source);
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = TOp.Apply(r[i], s[i]);
        }

        WriteMmxResult(f, d, result);
    }

    /// <summary>PSADBW mm: the eight bytes' absolute differences summed into the low word, the rest zero.</summary>
    private static void SumOfAbsoluteDifferencesMmx(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterMmxForm(c, ref op, touchesXmm: false);
        ulong source = SourceMmx(c, f, ref op, 1);
        int d = MmxOf(ref op, 0);
        ulong a = f.ReadMmx(d), sum = 0;
        for (int i = 0; i < 64; i += 8)
        {
            sum += (ulong)Math.Abs((int)((a >> i) & 0xFF) - (int)((source >> i) & 0xFF));
        }

        WriteMmxResult(f, d, sum);
    }

    /// <summary>PSHUFW: each destination word is the source word the immediate's two bits for it select.</summary>
    private static void ShuffleMmxWords(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterMmxForm(c, ref op, touchesXmm: false);
        ulong source = SourceMmx(c, f, ref op, 1), result = 0;
        uint order = op.Immediate;
        for (int i = 0; i < 4; i++)
        {
            result |= ((source >> (16 * (int)((order >> (2 * i)) & 3))) & 0xFFFF) << (16 * i);
        }

        WriteMmxResult(f, MmxOf(ref op, 0), result);
    }

    private static void SignMaskMmx(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterMmxForm(c, ref op, touchesXmm: false);
        ulong value = f.ReadMmx(MmxOf(ref op, 1));
        uint mask = 0;
        for (int i = 0; i < 8; i++)
        {
            mask |= (uint)(value >> (8 * i + 7) & 1) << i;
        }

        f.EnterMmx();
        c.Reg(op.Instruction.Op0Register - Reg.EAX) = mask;
    }

    private static void ExtractMmxWord(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterMmxForm(c, ref op, touchesXmm: false);
        uint word = (uint)(f.ReadMmx(MmxOf(ref op, 1)) >> (16 * ((int)op.Immediate & 3))) & 0xFFFF;
        f.EnterMmx();
        c.Reg(op.Instruction.Op0Register - Reg.EAX) = word;
    }

    private static void InsertMmxWord(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterMmxForm(c, ref op, touchesXmm: false);
        ulong value = IsMemory(ref op, 1) ? c.Mmu.Read16(Operands.EffectiveAddress(c, ref op)) : (ushort)c.Reg(op.Instruction.Op1Register - Reg.EAX);
        int d = MmxOf(ref op, 0), shift = 16 * ((int)op.Immediate & 3);
        WriteMmxResult(f, d, (f.ReadMmx(d) & ~(0xFFFFul << shift)) | (value << shift));
    }

    /// <summary>MASKMOVQ: the bytes of the first register whose mask byte's top bit is set, to DS:(E)DI.</summary>
    private static void MaskedMoveMmx(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterMmxForm(c, ref op, touchesXmm: false);
        uint address = MaskedMoveAddress(c, ref op);
        ulong data = f.ReadMmx(MmxOf(ref op, 1)), mask = f.ReadMmx(MmxOf(ref op, 2));
        ProbeWrite(c, address, 8);
        for (int i = 0; i < 8; i++)
        {
            if (((mask >> (8 * i + 7)) & 1) != 0)
            {
                c.Mmu.Write8(address + (uint)i, (byte)(data >> (8 * i)));
            }
        }

        f.EnterMmx();
    }

    private static void MoveNonTemporalMmx(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterMmxForm(c, ref op, touchesXmm: false);
        Write64(c, Operands.EffectiveAddress(c, ref op), f.ReadMmx(MmxOf(ref op, 1)));
        f.EnterMmx();
    }

    /// <summary>MOVQ2DQ: the MMX register zero-extended into the XMM register.</summary>
    private static void MoveMmxToXmm(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterMmxForm(c, ref op, touchesXmm: true);
        c.Xmm[XmmOf(ref op, 0)] = f.ReadMmx(MmxOf(ref op, 1));
        f.EnterMmx();
    }

    private static void MoveXmmToMmx(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterMmxForm(c, ref op, touchesXmm: true);
        WriteMmxResult(f, MmxOf(ref op, 0), (ulong)c.Xmm[XmmOf(ref op, 1)]);
    }

    /// <summary>
    /// CVTPI2PS (the low two singles, the high half kept, rounded by MXCSR) and CVTPI2PD (two doubles, exact). From
    /// an m64 they are plain SSE instructions: no MMX transition and no pending x87 exception (SDM Vol. 2).
    /// </summary>
    private static void IntegersToFloats(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu? f = null;
        ulong source;
        if (IsMemory(ref op, 1))
        {
            Enter(c, ref op);
            source = Read64(c, Operands.EffectiveAddress(c, ref op));
        }
        else
        {
            f = EnterMmxForm(c, ref op, touchesXmm: true);
            source = f.ReadMmx(MmxOf(ref op, 1));
        }

        bool toDouble = op.Instruction.Mnemonic == Mnemonic.Cvtpi2pd;
        FloatFormat format = toDouble ? FloatFormat.Double : FloatFormat.Single;
        uint flags = 0, mxcsr = c.Mxcsr;
        ulong low = FromInteger(format, (int)source, mxcsr, ref flags), high = FromInteger(format, (int)(source >> 32), mxcsr, ref flags);
        f?.EnterMmx(); // before an #XM too, as the host processor does
        Commit(c, flags);
        ref UInt128 d = ref c.Xmm[XmmOf(ref op, 0)];
        d = toDouble ? new UInt128(high, low) : (d & High64) | (high << 32 | low);
    }

    /// <summary>CVT(T)PS2PI from an xmm/m64 and CVT(T)PD2PI from an xmm/m128 (aligned): two signed doublewords.</summary>
    private static void FloatsToIntegers(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = EnterMmxForm(c, ref op, touchesXmm: true);
        Mnemonic m = op.Instruction.Mnemonic;
        bool fromDouble = m is Mnemonic.Cvtpd2pi or Mnemonic.Cvttpd2pi, truncate = m is Mnemonic.Cvttps2pi or Mnemonic.Cvttpd2pi;
        UInt128 source = fromDouble ? Source128(c, ref op, 1) : Source64(c, ref op, 1);
        FloatFormat format = fromDouble ? FloatFormat.Double : FloatFormat.Single;
        int width = fromDouble ? 64 : 32;
        ulong laneMask = fromDouble ? ulong.MaxValue : uint.MaxValue;
        uint flags = 0, mxcsr = c.Mxcsr;
        ulong low = ToInteger(format, (ulong)source & laneMask, truncate, mxcsr, ref flags);
        ulong high = ToInteger(format, (ulong)(source >> width) & laneMask, truncate, mxcsr, ref flags);
        f.EnterMmx(); // before an #XM too, as the host processor does
        Commit(c, flags);
        f.WriteMmx(MmxOf(ref op, 0), high << 32 | low);
    }
}
