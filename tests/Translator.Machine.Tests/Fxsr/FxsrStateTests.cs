using Translator.Machine.Cpu;
using Translator.Machine.Cpu.X87;
using Translator.Machine.Tests.Instructions;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Machine.Tests.Fxsr;

/// <summary>FXSAVE/FXRSTOR's exception rules, CR4.OSFXSR, the tag conversion and faults (docs/sse.md, SDM Vol. 2).</summary>
public class FxsrStateTests
{
    private const CpuFeatures All = CpuFeatures.Fpu | CpuFeatures.Mmx | CpuFeatures.Fxsr | CpuFeatures.Sse | CpuFeatures.Sse2;
    private const int UD = 6, NM = 7, GP = 13, PF = 14;
    private const uint Image = CpuHarness.Data; // 16-byte aligned

    private static CpuHarness Machine(CpuFeatures features = All, uint cr4 = X86Cpu.Cr4OsFxsr)
    {
        var h = new CpuHarness(features);
        h.Cpu.Cr4 = cr4;
        return h;
    }

    private static int Raised(CpuHarness h, Action<Iced.Intel.Assembler> build)
    {
        h.Execute(build);
        return h.RaisedVector;
    }

    [Fact]
    public void UndefinedWithoutFxsr_DeviceNotAvailableWithEmOrTs_GeneralProtectionWhenMisaligned()
    {
        Assert.Equal(UD, Raised(Machine(CpuFeatures.Fpu | CpuFeatures.Mmx), a => a.fxsave(__[Image])));
        foreach (uint cr0 in new[] { 4u, 8u })
        {
            var h = Machine();
            h.Cpu.Cr0 |= cr0;
            Assert.Equal(NM, Raised(h, a => a.fxsave(__[Image + 8]))); // #NM before the alignment check
            var r = Machine();
            r.Cpu.Cr0 |= cr0;
            Assert.Equal(NM, Raised(r, a => a.fxrstor(__[Image])));
        }

        Assert.Equal(GP, Raised(Machine(), a => a.fxsave(__[Image + 8])));
        Assert.Equal(GP, Raised(Machine(), a => a.fxrstor(__[Image + 4])));
        Assert.Equal(-1, Raised(Machine(cr4: 0), a => a.fxsave(__[Image]))); // needs FXSR, not OSFXSR
    }

    [Fact]
    public void NeitherWaitsForAPendingX87Exception()
    {
        var h = Machine();
        h.Cpu.Cr0 |= 0x20; // NE: a waiting instruction would take #MF
        h.Cpu.Fpu.Control = 0x037E; // IE unmasked
        h.Cpu.Fpu.Status = 0x0001;
        h.Cpu.Fpu.UpdateSummary();
        Assert.Equal(-1, Raised(h, a => { a.fxsave(__[Image]); a.fxrstor(__[Image]); }));
        Assert.Equal(0x8081, h.Memory.Read16(Image + 2)); // ES and B saved with IE
        Assert.True(h.Cpu.Fpu.ExceptionPending);
    }

    [Fact]
    public void FxrstorRejectsMxcsrBitsOutsideTheMaskAndChangesNothing()
    {
        foreach (uint bad in new[] { 0x40u, 0x1_0000u, 0x8000_0000u })
        {
            var h = Machine();
            h.Memory.Write16(Image, 0x027F);
            h.Memory.Write32(Image + 24, 0x1F80 | bad);
            h.Memory.Write32(Image + 160, 0x1234);
            Assert.Equal(GP, Raised(h, a => a.fxrstor(__[Image])));
            Assert.Equal(0u, h.FaultErrorCode);
            Assert.Equal(X87Fpu.InitialControl, h.Cpu.Fpu.Control);
            Assert.Equal(UInt128.Zero, h.Cpu.GetXmm(0));
        }
    }

    [Fact]
    public void WithoutOsfxsrTheXmmRegistersAndMxcsrAreNeitherSavedNorRestored()
    {
        var h = Machine(cr4: 0);
        h.Cpu.SetXmm(0, 0x1111);
        h.Memory.Span(Image, 512).Fill(0xA5);
        Assert.Equal(-1, Raised(h, a => a.fxsave(__[Image])));
        Assert.Equal(0x037F, h.Memory.Read16(Image)); // the x87 part is saved
        Assert.Equal(0xA5A5_A5A5u, h.Memory.Read32(Image + 24)); // MXCSR
        Assert.Equal(0xA5A5_A5A5u, h.Memory.Read32(Image + 28)); // MXCSR_MASK
        Assert.Equal(0xA5A5_A5A5u, h.Memory.Read32(Image + 160)); // XMM0
        Assert.Equal(0xA5A5_A5A5u, h.Memory.Read32(Image + 284));

        h.Memory.Write32(Image + 24, 0xFFFF_FFFF); // would be #GP with OSFXSR
        Assert.Equal(-1, Raised(h, a => a.fxrstor(__[Image])));
        Assert.Equal(X86Cpu.MxcsrAtReset, h.Cpu.GetMxcsr());
        Assert.Equal((UInt128)0x1111, h.Cpu.GetXmm(0));

        var sse = Machine();
        sse.Cpu.SetXmm(7, UInt128.MaxValue);
        Assert.Equal(-1, Raised(sse, a => a.fxsave(__[Image])));
        Assert.Equal(X86Cpu.MxcsrAtReset, sse.Memory.Read32(Image + 24));
        Assert.Equal(0xFFBFu, sse.Memory.Read32(Image + 28));
        Assert.Equal(0xFFFF_FFFFu, sse.Memory.Read32(Image + 284));
    }

    [Fact]
    public void FxrstorRecomputesTheFullTagWordFromTheAbridgedOneAndTheContents()
    {
        var h = Machine();
        h.Memory.Write16(Image, 0x037F);
        h.Memory.Write16(Image + 2, 5 << 11); // TOP = 5: ST(i) is R((5 + i) mod 8)
        h.Memory.Write32(Image + 4, 0b1111_0111); // R3 empty
        (ushort Exponent, ulong Significand)[] slots =
            [(0x3FFF, 1UL << 63), (0, 0), (0x7FFF, 1UL << 63), (0x4000, 1), (0, 1), (0x8000, 0), (0x1234, 0), (0xFFFF, 5)];
        for (int i = 0; i < 8; i++)
        {
            BitConverter.TryWriteBytes(h.Memory.Span(Image + 32 + 16 * (uint)i, 8), slots[i].Significand);
            h.Memory.Write16(Image + 40 + 16 * (uint)i, slots[i].Exponent);
        }

        Assert.Equal(-1, Raised(h, a => { a.fxrstor(__[Image]); a.fnstenv(__[Image + 512]); a.fxsave(__[Image + 1024]); }));
        // R5 = ST0 valid, R6 = ST1 zero, R7 = ST2 special, R0 = ST3 unnormal: special, R1 = ST4 denormal: special,
        // R2 = ST5 zero, R3 = ST6 empty, R4 = ST7 special.
        ushort expected = 2 << 0 | 2 << 2 | 1 << 4 | 3 << 6 | 2 << 8 | 0 << 10 | 1 << 12 | 2 << 14;
        Assert.Equal(expected, h.Memory.Read16(Image + 512 + 8));
        Assert.Equal(0b1111_0111, h.Memory.Read8(Image + 1024 + 4));
        Assert.Equal(5 << 11, h.Memory.Read16(Image + 1024 + 2) & 0x3800);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(slots[i].Significand, BitConverter.ToUInt64(h.Memory.Span(Image + 1024 + 32 + 16 * (uint)i, 8)));
        }
    }

    [Fact]
    public void FopAndThePointersRoundTrip()
    {
        var h = Machine();
        h.Memory.Write16(Image, 0x037F);
        h.Memory.Write32(Image + 4, 0xFFFF_0000); // FOP keeps 11 bits
        h.Memory.Write32(Image + 8, 0x1234_5678);
        h.Memory.Write32(Image + 12, 0xFFFF_0023);
        h.Memory.Write32(Image + 16, 0x9ABC_DEF0);
        h.Memory.Write32(Image + 20, 0xFFFF_002B);
        Assert.Equal(-1, Raised(h, a => { a.fxrstor(__[Image]); a.fxsave(__[Image + 512]); }));
        Assert.Equal(0x07FF_0000u, h.Memory.Read32(Image + 512 + 4));
        Assert.Equal(0x1234_5678u, h.Memory.Read32(Image + 512 + 8));
        Assert.Equal(0x23u, h.Memory.Read32(Image + 512 + 12));
        Assert.Equal(0x9ABC_DEF0u, h.Memory.Read32(Image + 512 + 16));
        Assert.Equal(0x2Bu, h.Memory.Read32(Image + 512 + 20));
    }

    [Fact]
    public void AnImageReachingANotPresentPageIsNotWrittenAtAll()
    {
        var h = Machine();
        h.EnablePaging();
        uint address = CpuHarness.HolePage - 256;
        h.Memory.Span(address, 256).Fill(0x5A);
        Assert.Equal(PF, Raised(h, a => a.fxsave(__[address])));
        Assert.Equal(CpuHarness.HolePage, h.Cpu.Cr2);
        Assert.All(h.Memory.Span(address, 256).ToArray(), b => Assert.Equal(0x5A, b));

        // Without OSFXSR the image ends at byte 160: the same address then does not reach the hole.
        var small = Machine(cr4: 0);
        small.EnablePaging();
        Assert.Equal(-1, Raised(small, a => a.fxsave(__[CpuHarness.HolePage - 160])));
    }
}
