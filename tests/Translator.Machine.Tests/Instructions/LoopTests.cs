using Iced.Intel;
using Translator.Machine.Cpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Machine.Tests.Instructions;

/// <summary>
/// The LOOP family counts in the register the address size names: CX under a 0x67 prefix in 32-bit code, ECX
/// otherwise (SDM Vol. 2 LOOP/LOOPcc). The bug this pins down counted all of ECX whatever the prefix.
/// </summary>
public class LoopTests
{
    /// <summary>ECX = 0x00010001: with CX as the counter one decrement reaches 0 and falls through; with ECX it loops.</summary>
    [Theory]
    [InlineData(0xE2, 0x0001_0000u, false)] // addr16 LOOP: CX 1 -> 0, upper half untouched, not taken
    [InlineData(0xE1, 0x0001_0000u, false)] // addr16 LOOPE with ZF = 1
    [InlineData(0xE0, 0x0001_0000u, false)] // addr16 LOOPNE with ZF = 0
    public void AnAddressSizePrefixCountsInCx(byte opcode, uint ecxAfter, bool taken)
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            Label target = a.CreateLabel(), done = a.CreateLabel();
            a.mov(edx, 0u);
            a.mov(ecx, 0x0001_0001u);
            if (opcode == 0xE1)
            {
                a.cmp(ecx, ecx); // ZF = 1
            }
            else
            {
                a.test(ecx, ecx); // ZF = 0
            }

            a.db(0x67, opcode, 0x07); // addr16 loop(cc) +7: over the next two instructions (5 + 2 bytes)
            a.mov(edx, 1u);           // fell through
            a.jmp(done);
            a.Label(ref target);
            a.mov(edx, 2u);           // taken
            a.Label(ref done);
        });

        Assert.Equal(ecxAfter, h.Reg(X86Cpu.ECX));
        Assert.Equal(taken ? 2u : 1u, h.Reg(X86Cpu.EDX));
    }

    [Fact]
    public void CxWrapsWithinItsSixteenBits()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(ecx, 0x1234_0000u);
            a.mov(edx, 0u);
            a.db(0x67, 0xE2, 0x05); // addr16 loop +5: taken (CX 0 -> 0xFFFF)
            a.mov(edx, 1u);
            a.mov(ebx, 7u);         // the target
        });

        Assert.Equal(0x1234_FFFFu, h.Reg(X86Cpu.ECX));
        Assert.Equal(0u, h.Reg(X86Cpu.EDX));
    }

    [Fact]
    public void WithoutThePrefixAllOfEcxCounts()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(ecx, 0x0001_0001u);
            a.mov(edx, 0u);
            a.db(0xE2, 0x05); // loop +5: ECX 0x10001 -> 0x10000, taken
            a.mov(edx, 1u);
            a.mov(ebx, 7u);
        });

        Assert.Equal(0x0001_0000u, h.Reg(X86Cpu.ECX));
        Assert.Equal(0u, h.Reg(X86Cpu.EDX));
    }
}
