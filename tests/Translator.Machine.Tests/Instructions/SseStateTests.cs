using Translator.Machine.Cpu;
using Translator.Machine.Snapshots;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Machine.Tests.Instructions;

/// <summary>The SSE unit's state, its CPUID/CR4 face and the exception rules of docs/sse.md (SDM Vol. 3 table 2-2).</summary>
public class SseStateTests
{
    private const CpuFeatures Simd = SseHostOracle.Simd;
    private const int UD = 6, NM = 7, GP = 13, PF = 14, XM = 19;

    private static CpuHarness WithSse(uint cr4 = X86Cpu.Cr4OsFxsr)
    {
        var h = new CpuHarness(Simd);
        h.Cpu.Cr4 = cr4;
        return h;
    }

    [Fact]
    public void CpuidReportsExactlyTheFeaturesTheMachineHas()
    {
        foreach ((CpuFeatures features, uint edx) in new[] { (CpuFeatures.None, 0u), (Simd, (1u << 24) | (1u << 25) | (1u << 26) | (1u << 19)) })
        {
            var h = new CpuHarness(features);
            h.Execute(a => { a.mov(eax, 1); a.cpuid(); });
            Assert.Equal(edx, h.Reg(X86Cpu.EDX) & ((1u << 24) | (1u << 25) | (1u << 26) | (1u << 19) | 1u | (1u << 23)));
            Assert.Equal(features == Simd ? 8u : 0u, (h.Reg(X86Cpu.EBX) >> 8) & 0xFF); // CLFLUSH line: 8 x 8 bytes
        }
    }

    [Fact]
    public void Cr4AcceptsOsfxsrAndOsxmmexcptOnlyWithTheUnits()
    {
        foreach (CpuFeatures features in new[] { CpuFeatures.None, Simd })
        {
            var h = new CpuHarness(features);
            h.Execute(a => { a.mov(eax, 0x600); a.mov(cr4, eax); });
            Assert.Equal(features == Simd ? -1 : GP, h.RaisedVector);
            Assert.Equal(features == Simd ? 0x600u : 0u, h.Cpu.Cr4);
        }
    }

    [Fact]
    public void ResetStateIsZeroRegistersAndMxcsr1F80()
    {
        var h = WithSse();
        h.Cpu.SetXmm(3, 42);
        h.Cpu.Reset();
        Assert.Equal(UInt128.Zero, h.Cpu.GetXmm(3));
        Assert.Equal(0x1F80u, h.Cpu.GetMxcsr());
    }

    [Fact]
    public void UndefinedWithoutOsfxsrWithEmOrWithoutTheUnit_DeviceNotAvailableWithTs()
    {
        Assert.Equal(UD, Raised(WithSse(cr4: 0), a => a.addps(xmm0, xmm1)));
        Assert.Equal(UD, Raised(new CpuHarness(), a => a.movdqa(xmm0, xmm1)));
        var em = WithSse();
        em.Cpu.Cr0 |= 4;
        Assert.Equal(UD, Raised(em, a => a.paddb(xmm0, xmm1)));
        var ts = WithSse();
        ts.Cpu.Cr0 |= 8;
        Assert.Equal(NM, Raised(ts, a => a.movaps(xmm0, xmm1)));

        // #NM before #GP and #PF: TS is checked before the misaligned, unmapped operand is looked at.
        var tsFirst = WithSse();
        tsFirst.Cpu.Cr0 |= 8;
        tsFirst.EnablePaging();
        Assert.Equal(NM, Raised(tsFirst, a => a.movaps(__xmmword_ptr[CpuHarness.HolePage + 8], xmm0)));

        // Fences and MOVNTI need only the unit, not OSFXSR (they do not touch the SSE state).
        var fences = WithSse(cr4: 0);
        Assert.Equal(-1, Raised(fences, a => { a.mfence(); a.lfence(); a.sfence(); a.movnti(__dword_ptr[CpuHarness.Data], eax); }));
    }

    [Fact]
    public void AlignedFormsFaultOnAMisalignedOperandBeforeTouchingMemory()
    {
        var h = WithSse();
        h.EnablePaging();
        // Misaligned and on a not-present page: #GP(0), not #PF, so alignment is checked first.
        Assert.Equal(GP, Raised(h, a => a.movaps(__xmmword_ptr[CpuHarness.HolePage + 8], xmm0)));
        Assert.Equal(0u, h.FaultErrorCode);
        Assert.Equal(GP, Raised(WithSse(), a => a.paddd(xmm0, __xmmword_ptr[CpuHarness.Data + 4])));
        Assert.Equal(-1, Raised(WithSse(), a => a.movups(xmm0, __xmmword_ptr[CpuHarness.Data + 4])));
        Assert.Equal(-1, Raised(WithSse(), a => a.movsd(xmm0, __qword_ptr[CpuHarness.Data + 4]))); // scalar: no alignment rule
    }

    [Fact]
    public void AStoreAcrossIntoANotPresentPageWritesNothing()
    {
        var h = WithSse();
        h.EnablePaging();
        uint address = CpuHarness.HolePage - 8;
        h.Memory.Write32(address, 0x1111_1111);
        h.Memory.Write32(address + 4, 0x2222_2222);
        h.Cpu.SetXmm(0, UInt128.MaxValue);
        Assert.Equal(PF, Raised(h, a => a.movups(__xmmword_ptr[address], xmm0)));
        Assert.Equal(CpuHarness.HolePage, h.Cpu.Cr2);
        Assert.Equal(0x1111_1111u, h.Memory.Read32(address));
        Assert.Equal(0x2222_2222u, h.Memory.Read32(address + 4));
    }

    [Fact]
    public void LdmxcsrFaultsOnReservedBitsAndStmxcsrReadsItBack()
    {
        var h = WithSse();
        h.Memory.Write32(CpuHarness.Data, 0x1F80 | 0x2000); // every mask, round down
        Assert.Equal(-1, Raised(h, a => { a.ldmxcsr(__dword_ptr[CpuHarness.Data]); a.stmxcsr(__dword_ptr[CpuHarness.Data + 4]); }));
        Assert.Equal(0x3F80u, h.Memory.Read32(CpuHarness.Data + 4));

        foreach (uint reserved in new[] { 0x40u, 0x1_0000u, 0x8000_0000u }) // DAZ is not implemented (MXCSR_MASK 0xFFBF)
        {
            var r = WithSse();
            r.Memory.Write32(CpuHarness.Data, 0x1F80 | reserved);
            Assert.Equal(GP, Raised(r, a => a.ldmxcsr(__dword_ptr[CpuHarness.Data])));
            Assert.Equal(0x1F80u, r.Cpu.GetMxcsr());
        }
    }

    [Fact]
    public void SnapshotsCarryTheXmmRegistersAndMxcsr()
    {
        var h = WithSse();
        h.Cpu.SetXmm(7, new UInt128(0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210));
        h.Memory.Write32(CpuHarness.Data, 0x1F80 | 0x8000 | 0x21);
        h.Execute(a => a.ldmxcsr(__dword_ptr[CpuHarness.Data]));
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            CpuState.Capture(h.Cpu).Write(writer);
        }

        stream.Position = 0;
        CpuState state = CpuState.Read(new BinaryReader(stream));
        var other = new CpuHarness(Simd);
        state.ApplyTo(other.Cpu);
        Assert.Equal(h.Cpu.GetXmm(7), other.Cpu.GetXmm(7));
        Assert.Equal(0x9FA1u, other.Cpu.GetMxcsr());

        // A state written before the unit existed (no SIMD fields) reads with the reset values.
        stream.SetLength(stream.Length - 8 * 16 - 4);
        stream.Position = 0;
        CpuState old = CpuState.Read(new BinaryReader(stream), withSimd: false);
        Assert.Equal(UInt128.Zero, old.Xmm[7]);
        Assert.Equal(0x1F80u, old.Mxcsr);
    }

    internal static int Raised(CpuHarness h, Action<Iced.Intel.Assembler> build)
    {
        h.Execute(build);
        return h.RaisedVector;
    }
}
