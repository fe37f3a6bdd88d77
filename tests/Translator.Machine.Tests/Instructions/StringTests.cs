using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Devices;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static Translator.Machine.Tests.Instructions.ShiftTests;

namespace Translator.Machine.Tests.Instructions;

public class StringTests
{
    private const uint Src = CpuHarness.Data, Dst = CpuHarness.Data + 0x4000;

    private static CpuHarness WithPattern(int bytes = 256)
    {
        var h = new CpuHarness();
        for (uint i = 0; i < bytes; i++)
        {
            h.Memory.Write8(Src + i, (byte)(i * 7 + 1));
        }

        return h;
    }

    [Fact]
    public void RepWithZeroCountDoesNothing()
    {
        var h = WithPattern();
        h.Execute(a =>
        {
            a.mov(esi, Src);
            a.mov(edi, Dst);
            a.xor(ecx, ecx);
            a.push(AllStatus);
            a.popfd();
            a.rep.movsb();
            a.repe.cmpsd();
            a.repne.scasb();
        });
        Assert.Equal(Src, h.Reg(X86Cpu.ESI));
        Assert.Equal(Dst, h.Reg(X86Cpu.EDI));
        Assert.Equal(Status, h.Flags & Status);
        Assert.Equal(0u, h.Memory.Read32(Dst));
    }

    [Theory]
    [InlineData(3)]     // element by element
    [InlineData(200)]   // bulk inside one page
    [InlineData(3000)]  // crosses a page boundary
    public void RepMovsbCopiesForward(int count)
    {
        var h = WithPattern(count);
        h.Execute(a =>
        {
            a.mov(esi, Src);
            a.mov(edi, Dst + 0xF01);
            a.mov(ecx, count);
            a.rep.movsb();
        });
        Assert.Equal(Src + (uint)count, h.Reg(X86Cpu.ESI));
        Assert.Equal(Dst + 0xF01 + (uint)count, h.Reg(X86Cpu.EDI));
        Assert.Equal(0u, h.Reg(X86Cpu.ECX));
        Assert.True(h.Memory.Span(Src, count).SequenceEqual(h.Memory.Span(Dst + 0xF01, count)));
        Assert.Equal(0, h.Memory.Read8(Dst + 0xF01 + (uint)count));
    }

    [Fact]
    public void ForwardOverlapReplicatesThePatternElementByElement()
    {
        var h = new CpuHarness();
        h.Memory.Write32(Src, 0xCAFE_BABE);
        h.Execute(a =>
        {
            a.mov(esi, Src);
            a.mov(edi, Src + 4);
            a.mov(ecx, 63);
            a.rep.movsd();
        });
        for (uint i = 0; i < 64; i++)
        {
            Assert.Equal(0xCAFE_BABEu, h.Memory.Read32(Src + i * 4));
        }
    }

    [Fact]
    public void StosWithDirectionFlagGoesDown()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(edi, Dst + 6);
            a.mov(eax, 0x1122_3344);
            a.mov(ecx, 4);
            a.std();
            a.rep.stosw();
            a.cld();
        });
        Assert.Equal(Dst - 2, h.Reg(X86Cpu.EDI));
        Assert.Equal(0x3344_3344u, h.Memory.Read32(Dst));
        Assert.Equal(0x3344_3344u, h.Memory.Read32(Dst + 4));
        Assert.Equal(0u, h.Memory.Read32(Dst + 8));
    }

    [Fact]
    public void RepStosdFillsAndIsChunked()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(edi, Dst);
            a.mov(eax, 0x5A5A_5A5A);
            a.mov(ecx, 10_000);
            a.rep.stosd();
        });
        Assert.Equal(0u, h.Reg(X86Cpu.ECX));
        Assert.Equal(Dst + 40_000, h.Reg(X86Cpu.EDI));
        Assert.Equal(0x5A5A_5A5Au, h.Memory.Read32(Dst + 39_996));
        Assert.Equal(0u, h.Memory.Read32(Dst + 40_000));

        // Three MOVs, the REP STOSD three times (4096 + 4096 + 1808 elements), HLT.
        Assert.Equal(3ul + 3 + 1, h.Cpu.Retired);
    }

    [Fact]
    public void RepeCmpsbStopsAtTheFirstDifference()
    {
        var h = WithPattern();
        h.Memory.Span(Src, 100).CopyTo(h.Memory.Span(Dst, 100));
        h.Memory.Write8(Dst + 10, 0xFF);
        h.Execute(a =>
        {
            a.mov(esi, Src);
            a.mov(edi, Dst);
            a.mov(ecx, 100);
            a.repe.cmpsb();
        });
        Assert.Equal(Src + 11, h.Reg(X86Cpu.ESI));
        Assert.Equal(Dst + 11, h.Reg(X86Cpu.EDI));
        Assert.Equal(89u, h.Reg(X86Cpu.ECX));
        Assert.Equal(CF, h.Flags & (ZF | CF)); // 71 - 255 borrows
    }

    [Fact]
    public void RepneScasbFindsTheTerminator()
    {
        var h = new CpuHarness();
        "hello, world\0"u8.CopyTo(h.Memory.Span(Src, 13));
        h.Execute(a =>
        {
            a.mov(edi, Src);
            a.xor(eax, eax);
            a.mov(ecx, -1);
            a.repne.scasb();
            a.not(ecx);
            a.dec(ecx);          // the classic strlen
        });
        Assert.Equal(12u, h.Reg(X86Cpu.ECX));
        Assert.Equal(Src + 13, h.Reg(X86Cpu.EDI));
    }

    [Fact]
    public void LodsLoadsTheAccumulator()
    {
        var h = WithPattern();
        h.Execute(a =>
        {
            a.mov(esi, Src);
            a.mov(eax, -1);
            a.lodsb();
            a.mov(ebx, eax);
            a.lodsd();
        });
        Assert.Equal(0xFFFF_FF01u, h.Reg(X86Cpu.EBX));
        Assert.Equal(h.Memory.Read32(Src + 1), h.Reg(X86Cpu.EAX));
        Assert.Equal(Src + 5, h.Reg(X86Cpu.ESI));
    }

    [Fact]
    public void AddressSizePrefixUsesSiDiCx()
    {
        var h = WithPattern();
        h.Memory.Write8(0xFFFF, 0xAB);
        h.Execute(a =>
        {
            a.mov(esi, 0x1234_FFFF);
            a.mov(edi, 0x0012_5000);
            a.mov(ecx, 0x7777_0002);
            a.db(0x67, 0xF3, 0xA4); // rep movs byte [es:di], [si]: SI wraps from 0xFFFF to 0
        });
        Assert.Equal(0x1234_0001u, h.Reg(X86Cpu.ESI));
        Assert.Equal(0x0012_5002u, h.Reg(X86Cpu.EDI));
        Assert.Equal(0x7777_0000u, h.Reg(X86Cpu.ECX));
        Assert.Equal(0xABu, h.Memory.Read8(0x5000));
        Assert.Equal(h.Memory.Read8(0), h.Memory.Read8(0x5001));
    }

    [Fact]
    public void PageFaultMidwayLeavesRegistersToResume()
    {
        var h = WithPattern();
        h.EnablePaging();
        const uint destination = CpuHarness.HolePage - 0x20;
        Label at = default;
        AssemblerResult result = h.Load(a =>
        {
            a.mov(esi, Src);
            a.mov(edi, destination);
            a.mov(ecx, 0x40);
            at = a.CreateLabel();
            a.Label(ref at);
            a.rep.movsb();
        });
        h.Run();

        uint repEip = (uint)result.GetLabelRIP(at);
        Assert.Equal((int)ExceptionVector.PageFault, h.RaisedVector);
        Assert.Equal(repEip, h.FaultEip(hasErrorCode: true));
        Assert.Equal(2u, h.FaultErrorCode);                 // write to a not-present page, supervisor
        Assert.Equal(CpuHarness.HolePage, h.Cpu.Cr2);
        Assert.Equal(0x20u, h.Reg(X86Cpu.ECX));             // the first 0x20 bytes were done
        Assert.Equal(CpuHarness.HolePage, h.Reg(X86Cpu.EDI));
        Assert.Equal(Src + 0x20, h.Reg(X86Cpu.ESI));

        // "Handle" the fault: map the page and return to the REP, which finishes the copy.
        h.MapHole();
        h.Cpu.SetRegister(X86Cpu.ESP, h.Reg(X86Cpu.ESP) + 16);
        h.Cpu.Eip = repEip;
        h.Run();
        Assert.Equal(0u, h.Reg(X86Cpu.ECX));
        Assert.True(h.Memory.Span(Src, 0x40).SequenceEqual(h.Memory.Span(destination, 0x40)));
    }

    [Fact]
    public void CopyOverDecodedCodeInvalidatesIt()
    {
        const uint function = 0x30000, replacement = 0x30800;
        var h = new CpuHarness();
        byte[] returnOne = [0xB8, 1, 0, 0, 0, 0xC3];   // mov eax, 1; ret
        byte[] returnTwo = [0xB8, 2, 0, 0, 0, 0xC3];   // mov eax, 2; ret
        returnOne.CopyTo(h.Memory.Span(function, 6));
        for (uint i = 0; i < 64; i += 8)
        {
            returnTwo.CopyTo(h.Memory.Span(replacement + i, 6)); // 64 bytes: enough for the bulk path
        }

        h.Execute(a =>
        {
            a.mov(edx, function);
            a.call(edx);
            a.mov(ebx, eax);
            a.mov(esi, replacement);
            a.mov(edi, function);
            a.mov(ecx, 64);
            a.rep.movsb();
            a.call(edx);
        });
        Assert.Equal(1u, h.Reg(X86Cpu.EBX));
        Assert.Equal(2u, h.Reg(X86Cpu.EAX));
    }

    [Fact]
    public void InsAndOutsMoveBetweenPortAndMemory()
    {
        var h = WithPattern();
        var device = new RecordingDevice();
        h.Io.Register(0x300, 4, device);
        h.Execute(a =>
        {
            a.mov(edx, 0x300);
            a.mov(esi, Src);
            a.mov(ecx, 3);
            a.rep.outsb();
            a.mov(edi, Dst);
            a.mov(ecx, 2);
            a.rep.insw();
        });
        Assert.Equal(new uint[] { 1, 8, 15 }, device.Written.ToArray());
        Assert.Equal(0xBEEF_BEEFu, h.Memory.Read32(Dst));
        Assert.Equal(Dst + 4, h.Reg(X86Cpu.EDI));
    }

    private sealed class RecordingDevice : IIoDevice
    {
        public List<uint> Written { get; } = [];

        public uint Read(ushort port, int size) => 0xBEEF;

        public void Write(ushort port, int size, uint value) => Written.Add(value);
    }
}
