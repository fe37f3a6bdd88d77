using Translator.Machine.Cpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static Translator.Machine.Tests.Instructions.ShiftTests;

namespace Translator.Machine.Tests.Instructions;

public class BitTests
{
    [Fact]
    public void BtOfARegisterTakesTheOffsetModuloTheWidth()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.xor(edx, edx);      // ZF = 1 must survive: BT* change only CF
            a.mov(eax, 0x8000_0000);
            a.mov(ecx, 63);       // bit 31
            a.bt(eax, ecx);
        });
        Assert.Equal(CF | ZF, h.Flags & (CF | ZF));
    }

    [Fact]
    public void BtsBtrBtcModifyAndReportTheOldBit()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0x0000_00F0);
            a.bts(eax, 0);        // CF = 0
            a.setb(bl);
            a.btr(eax, 4);        // CF = 1
            a.setb(bh);
            a.btc(ax, 17);        // 16-bit: bit 1, CF = 0
            a.setb(cl);
        });
        Assert.Equal(0x0000_00E3u, h.Reg(X86Cpu.EAX));
        Assert.Equal(0x0100u, h.Reg(X86Cpu.EBX) & 0xFFFF);
        Assert.Equal(0u, h.Reg(X86Cpu.ECX) & 0xFF);
    }

    [Fact]
    public void RegisterOffsetIntoMemoryReachesOutsideTheOperand()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(ebx, CpuHarness.Data + 0x100);
            a.mov(ecx, -1);                       // bit 31 of the dword at ebx-4
            a.bts(__dword_ptr[ebx], ecx);
            a.mov(ecx, 40);                       // bit 8 of the dword at ebx+4
            a.bts(__dword_ptr[ebx], ecx);
            a.mov(ecx, -17);                      // 16-bit: bit 15 of the word at ebx-4
            a.bts(__word_ptr[ebx], cx);
            a.mov(ecx, 1);
            a.bt(__dword_ptr[ebx + 4], 40);       // immediate: modulo 32, bit 8 of ebx+4 -> CF = 1
        });
        Assert.Equal(0x8000_8000u, h.Memory.Read32(CpuHarness.Data + 0xFC));
        Assert.Equal(0x0000_0100u, h.Memory.Read32(CpuHarness.Data + 0x104));
        Assert.Equal(0u, h.Memory.Read32(CpuHarness.Data + 0x100));
        Assert.Equal(CF, h.Flags & CF);
    }

    [Fact]
    public void BsfAndBsrFindTheLowestAndHighestSetBit()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(ecx, 0x0010_0100);
            a.bsf(eax, ecx);
            a.bsr(ebx, ecx);
            a.mov(edx, 0x8000);
            a.bsr(dx, dx);
        });
        Assert.Equal(8u, h.Reg(X86Cpu.EAX));
        Assert.Equal(20u, h.Reg(X86Cpu.EBX));
        Assert.Equal(15u, h.Reg(X86Cpu.EDX));
        Assert.Equal(0u, h.Flags & ZF);
    }

    [Fact]
    public void BitScanOfZeroSetsZeroFlagAndKeepsTheDestination()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0x1234_5678);
            a.mov(ebx, 0x1234_5678);
            a.xor(ecx, ecx);
            a.add(ecx, 0);       // ZF = 1 ...
            a.or(edx, 1);        // ... then ZF = 0 before the scans
            a.bsf(eax, ecx);
            a.bsr(bx, cx);
        });
        Assert.Equal(0x1234_5678u, h.Reg(X86Cpu.EAX));
        Assert.Equal(0x1234_5678u, h.Reg(X86Cpu.EBX));
        Assert.Equal(ZF, h.Flags & ZF);
    }

    [Fact]
    public void TzcntEncodingRunsAsBsfOnThisCpu()
    {
        // No BMI1 in CPUID: F3 0F BC is BSF with an ignored prefix (GCC's "rep bsf").
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 77);
            a.xor(ecx, ecx);
            a.or(edx, 1);
            a.tzcnt(eax, ecx);   // zero source: destination kept, ZF = 1 (TZCNT would give 32, ZF = 0)
            a.mov(ecx, 0x40);
            a.tzcnt(ebx, ecx);
        });
        Assert.Equal(77u, h.Reg(X86Cpu.EAX));
        Assert.Equal(6u, h.Reg(X86Cpu.EBX));
    }
}
