using Iced.Intel;
using Translator.Machine.Cpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Machine.Tests.Instructions;

/// <summary>
/// The exception rules of the SSE/SSE2 forms on MMX registers (docs/sse.md) and their memory forms, which the host
/// comparison (<see cref="SseMmxFormTests"/>) does not reach: the unit's CPUID bit, CR4.OSFXSR only for the forms that
/// touch an XMM register, EM/TS, a pending x87 exception (not for CVTPI2PS/CVTPI2PD from memory), MASKMOVQ, MOVNTQ.
/// </summary>
public class SseMmxFormRulesTests
{
    private const CpuFeatures All = SseHostOracle.Simd | CpuFeatures.Fpu | CpuFeatures.Mmx;
    private const int UD = 6, NM = 7, GP = 13, MF = 16;

    private static CpuHarness Machine(CpuFeatures features = All, uint cr4 = X86Cpu.Cr4OsFxsr)
    {
        var h = new CpuHarness(features);
        h.Cpu.Cr4 = cr4;
        h.Cpu.Cr0 |= 0x20; // NE
        return h;
    }

    private static int Raised(CpuHarness h, Action<Assembler> build)
    {
        h.Execute(build);
        return h.RaisedVector;
    }

    [Fact]
    public void UnitBitsOsfxsrEmAndTsAreCheckedPerForm()
    {
        Assert.Equal(UD, Raised(Machine(CpuFeatures.Fpu | CpuFeatures.Mmx), a => a.pavgb(mm0, mm1)));
        Assert.Equal(UD, Raised(Machine(CpuFeatures.Fpu | CpuFeatures.Mmx | CpuFeatures.Fxsr | CpuFeatures.Sse), a => a.paddq(mm0, mm1)));
        Assert.Equal(-1, Raised(Machine(CpuFeatures.Fpu | CpuFeatures.Mmx | CpuFeatures.Fxsr | CpuFeatures.Sse), a => a.pshufw(mm0, mm1, 0)));

        // Without CR4.OSFXSR the forms on MMX registers alone still run; those touching an XMM register are #UD.
        Assert.Equal(-1, Raised(Machine(cr4: 0), a => a.pmaxsw(mm0, mm1)));
        Assert.Equal(-1, Raised(Machine(cr4: 0), a => a.paddq(mm0, mm1)));
        Assert.Equal(UD, Raised(Machine(cr4: 0), a => a.cvtpi2ps(xmm0, mm1)));
        Assert.Equal(UD, Raised(Machine(cr4: 0), a => a.movq2dq(xmm0, mm1)));
        Assert.Equal(UD, Raised(Machine(cr4: 0), a => a.cvttpd2pi(mm0, xmm1)));

        var em = Machine();
        em.Cpu.Cr0 |= 4;
        Assert.Equal(UD, Raised(em, a => a.pmovmskb(eax, mm1)));
        var ts = Machine();
        ts.Cpu.Cr0 |= 8;
        Assert.Equal(NM, Raised(ts, a => a.psadbw(mm0, mm1)));
        var tsConversion = Machine();
        tsConversion.Cpu.Cr0 |= 8;
        Assert.Equal(NM, Raised(tsConversion, a => a.cvtps2pi(mm0, xmm1)));
    }

    [Fact]
    public void PendingX87ExceptionIsMathFaultExceptForConversionsFromMemory()
    {
        foreach (Action<Assembler> form in new Action<Assembler>[]
                 {
                     a => a.pminub(mm0, mm1), a => a.movdq2q(mm0, xmm1), a => a.cvtpi2pd(xmm0, mm1), a => a.maskmovq(mm0, mm1),
                 })
        {
            CpuHarness h = Machine();
            h.Cpu.Fpu.Status = 0x0081; // IE unmasked-pending: ES set
            Assert.Equal(MF, Raised(h, form));
        }

        CpuHarness memory = Machine();
        memory.Cpu.Fpu.Status = 0x0081;
        memory.Cpu.Fpu.Top = 5;
        memory.Memory.Write32(CpuHarness.Data, 3);
        memory.Memory.Write32(CpuHarness.Data + 4, unchecked((uint)-2));
        Assert.Equal(-1, Raised(memory, a => a.cvtpi2ps(xmm0, __qword_ptr[CpuHarness.Data])));
        Assert.Equal(((UInt128)0xC000_0000u << 32) | 0x4040_0000u, memory.Cpu.GetXmm(0) & ulong.MaxValue);
        Assert.Equal(5, memory.Cpu.Fpu.Top); // no MMX transition
        Assert.Equal(0xFF, memory.Cpu.Fpu.EmptyMask);
    }

    [Fact]
    public void MemoryFormsReadAndWriteExactlyTheirBytes()
    {
        CpuHarness h = Machine();
        const uint d = CpuHarness.Data;
        for (uint i = 0; i < 32; i++)
        {
            h.Memory.Write8(d + i, 0xEE);
        }

        h.Memory.Write32(d + 32, 0x4444_3333);
        h.Memory.Write32(d + 36, 0x2222_1111);
        h.Execute(a =>
        {
            a.mov(eax, 0x8877_6655);
            a.movd(mm0, eax);
            a.pinsrw(mm0, __word_ptr[d + 36], 2); // mm0 = 0x0000_1111_8877_6655
            a.mov(eax, 0x8000_FF7F);
            a.movd(mm1, eax);
            a.mov(eax, 0x8000_8000);
            a.movd(mm2, eax);
            a.punpckldq(mm1, mm2); // mask bytes 7F FF 00 80 00 80 00 80: bytes 1, 3, 5, 7
            a.mov(edi, d);
            a.maskmovq(mm0, mm1);
            a.movntq(__qword_ptr[d + 8], mm0);
            a.pshufw(mm3, __qword_ptr[d + 32], 0x1B);
            a.movq(__qword_ptr[d + 16], mm3);
        });
        Assert.Equal(-1, h.RaisedVector);
        Assert.Equal(0x0000_1111_8877_6655ul, h.Memory.Read32(d + 8) | (ulong)h.Memory.Read32(d + 12) << 32);
        Assert.Equal(0x00EE_11EE_88EE_66EEul, h.Memory.Read32(d) | (ulong)h.Memory.Read32(d + 4) << 32);
        Assert.Equal(0x3333_4444_1111_2222ul, h.Memory.Read32(d + 16) | (ulong)h.Memory.Read32(d + 20) << 32);

        // CVTPD2PI's m128 must be aligned.
        Assert.Equal(GP, Raised(Machine(), a => a.cvtpd2pi(mm0, __xmmword_ptr[d + 8])));
    }
}
