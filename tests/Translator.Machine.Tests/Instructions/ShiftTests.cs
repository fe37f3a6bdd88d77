using Translator.Machine.Cpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Machine.Tests.Instructions;

public class ShiftTests
{
    internal const uint CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
    internal const uint Status = CF | PF | AF | ZF | SF | OF;

    /// <summary>EFLAGS with every status flag set (and the reserved bit 1), loaded by PUSH/POPFD.</summary>
    internal const int AllStatus = (int)(Status | 2);

    [Fact]
    public void ShlByOneSetsOverflowWhenTheSignChanges()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0x4000_0000);
            a.shl(eax, 1);
        });
        Assert.Equal(0x8000_0000u, h.Reg(X86Cpu.EAX));
        Assert.Equal(OF | SF | PF, h.Flags & Status);
    }

    [Fact]
    public void ShlCarriesTheLastBitOut()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0x3000_0001);
            a.shl(eax, 4);
        });
        Assert.Equal(0x0000_0010u, h.Reg(X86Cpu.EAX));
        Assert.Equal(CF | OF, h.Flags & (CF | OF | ZF | SF)); // OF by the count-1 rule: CF ^ MSB
    }

    [Fact]
    public void MaskedCountOfZeroLeavesValueAndFlags()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0x1234_5678);
            a.mov(ecx, 32); // masked to 0
            a.push(AllStatus);
            a.popfd();
            a.shl(eax, cl);
            a.sar(eax, cl);
            a.rcl(eax, cl);
            a.shld(eax, edx, cl);
        });
        Assert.Equal(0x1234_5678u, h.Reg(X86Cpu.EAX));
        Assert.Equal(Status, h.Flags & Status);
    }

    [Fact]
    public void ShrByOneSetsOverflowToTheOriginalSign()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0x8000_0001);
            a.shr(eax, 1);
        });
        Assert.Equal(0x4000_0000u, h.Reg(X86Cpu.EAX));
        Assert.Equal(CF | OF | PF, h.Flags & Status);
    }

    [Fact]
    public void SarOfAByteKeepsTheSignAndClearsOverflow()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0xAAAA_AA81);
            a.sar(al, 1);
        });
        Assert.Equal(0xAAAA_AAC0u, h.Reg(X86Cpu.EAX)); // only AL changes
        Assert.Equal(CF | SF | PF, h.Flags & Status);
    }

    [Fact]
    public void SarBeyondTheByteWidthFillsWithTheSign()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0x80);
            a.mov(ecx, 20);
            a.sar(al, cl);
        });
        Assert.Equal(0xFFu, h.Reg(X86Cpu.EAX));
        Assert.Equal(CF, h.Flags & CF);
    }

    [Fact]
    public void RolByTheWidthKeepsTheValueButSetsCarryFromBitZero()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.xor(ebx, ebx); // ZF = PF = 1, which a rotate must not touch
            a.mov(eax, 0x81);
            a.rol(al, 8);
        });
        Assert.Equal(0x81u, h.Reg(X86Cpu.EAX));
        Assert.Equal(CF | ZF | PF, h.Flags & Status);
    }

    [Fact]
    public void RorSetsOverflowFromTheTwoTopBits()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 1);
            a.ror(eax, 1);
        });
        Assert.Equal(0x8000_0000u, h.Reg(X86Cpu.EAX));
        Assert.Equal(CF | OF, h.Flags & (CF | OF));
    }

    [Fact]
    public void RclOfAByteRotatesNinePositions()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0x55);
            a.stc();
            a.rcl(al, 9); // a full turn through CF: nothing changes
            a.mov(ebx, eax);
            a.rcl(al, 1);
        });
        Assert.Equal(0x55u, h.Reg(X86Cpu.EBX));
        Assert.Equal(0xABu, h.Reg(X86Cpu.EAX));
        Assert.Equal(OF, h.Flags & (CF | OF)); // new CF = old MSB (0), OF = MSB(result) ^ CF
    }

    [Fact]
    public void RcrOfAWordRotatesSeventeenPositions()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0x1234_8001);
            a.clc();
            a.mov(ecx, 17);
            a.rcr(ax, cl);   // identity
            a.mov(ebx, eax);
            a.rcr(ax, 1);    // 0x8001 -> 0x4000, CF = 1
        });
        Assert.Equal(0x1234_8001u, h.Reg(X86Cpu.EBX));
        Assert.Equal(0x1234_4000u, h.Reg(X86Cpu.EAX));
        Assert.Equal(CF | OF, h.Flags & (CF | OF));
    }

    [Fact]
    public void RcrOfADwordShiftsTheCarryIn()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 2);
            a.stc();
            a.rcr(eax, 1);
        });
        Assert.Equal(0x8000_0001u, h.Reg(X86Cpu.EAX));
        Assert.Equal(OF, h.Flags & (CF | OF));
    }

    [Fact]
    public void ShldAndShrdShiftInBitsFromTheSource()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0x1234_5678);
            a.mov(edx, 0x9ABC_DEF0);
            a.shld(eax, edx, 8);
            a.mov(ebx, eax);
            a.mov(eax, 0x1234_5678);
            a.mov(edx, 0xF);
            a.mov(ecx, 4);
            a.shrd(eax, edx, cl);
        });
        Assert.Equal(0x3456_789Au, h.Reg(X86Cpu.EBX));
        Assert.Equal(0xF123_4567u, h.Reg(X86Cpu.EAX));
        Assert.Equal(CF | SF, h.Flags & (CF | SF | ZF));
    }

    [Fact]
    public void SixteenBitShldBeyondSixteenShiftsTheDestSourceDestString()
    {
        // Undefined in the SDM; QEMU (and so this CPU) models Intel's a:b:a behaviour.
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0x1234);
            a.mov(edx, 0x5678);
            a.mov(ecx, 20);
            a.shld(ax, dx, cl);
        });
        Assert.Equal(0x6781u, h.Reg(X86Cpu.EAX));
    }

    [Fact]
    public void ShiftOfMemoryWritesBack()
    {
        var h = new CpuHarness();
        h.Memory.Write32(CpuHarness.Data, 0x0000_00F0);
        h.Memory.Write32(CpuHarness.Data + 4, 0xAAAA_1234);
        h.Execute(a =>
        {
            a.mov(ebx, CpuHarness.Data);
            a.shl(__dword_ptr[ebx], 28);      // CF = bit 4, result 0
            a.rol(__word_ptr[ebx + 4], 4);    // CF = OF = 1; ZF/PF stay from the SHL
        });
        Assert.Equal(0u, h.Memory.Read32(CpuHarness.Data));
        Assert.Equal(0xAAAA_2341u, h.Memory.Read32(CpuHarness.Data + 4));
        Assert.Equal(CF | ZF | PF | OF, h.Flags & Status);
    }
}
