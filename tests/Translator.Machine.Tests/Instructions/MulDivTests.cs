using Iced.Intel;
using Translator.Machine.Cpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static Translator.Machine.Tests.Instructions.ShiftTests;

namespace Translator.Machine.Tests.Instructions;

public class MulDivTests
{
    [Fact]
    public void MulOf32BitsFillsEdxAndSetsCarryAndOverflow()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0xFFFF_FFFF);
            a.mov(ecx, 0xFFFF_FFFF);
            a.mul(ecx);
        });
        Assert.Equal(1u, h.Reg(X86Cpu.EAX));
        Assert.Equal(0xFFFF_FFFEu, h.Reg(X86Cpu.EDX));
        Assert.Equal(CF | OF, h.Flags & (CF | OF));
    }

    [Fact]
    public void MulWithoutHighHalfClearsCarryAndOverflow()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.stc();
            a.mov(eax, 0x1234_000F);
            a.mov(ecx, 0x10);
            a.mul(cl); // AX = 0x0F * 0x10: AH = 0
        });
        Assert.Equal(0x1234_00F0u, h.Reg(X86Cpu.EAX));
        Assert.Equal(0u, h.Flags & (CF | OF));
    }

    [Fact]
    public void ImulOfBytesSignExtends()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(eax, 0xFF);   // -1
            a.mov(ecx, 0x80);   // -128
            a.imul(cl);         // AX = 128: does not fit in AL
        });
        Assert.Equal(0x0080u, h.Reg(X86Cpu.EAX));
        Assert.Equal(CF | OF, h.Flags & (CF | OF));
    }

    [Fact]
    public void ImulTwoAndThreeOperandForms()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(ecx, 1000);
            a.imul(eax, ecx, -3);       // imm8 form
            a.mov(ebx, 0x7FFF);
            a.imul(bx, bx);             // 16-bit overflow
            a.mov(edx, 0x10000);
            a.imul(edx, edx, 0x10000);  // imm32 form, overflows 32 bits
        });
        Assert.Equal(unchecked((uint)-3000), h.Reg(X86Cpu.EAX));
        Assert.Equal(0x0001u, h.Reg(X86Cpu.EBX));
        Assert.Equal(0u, h.Reg(X86Cpu.EDX));
        Assert.Equal(CF | OF, h.Flags & (CF | OF));
    }

    [Fact]
    public void DivAndIdivProduceQuotientAndRemainder()
    {
        var h = new CpuHarness();
        h.Execute(a =>
        {
            a.mov(edx, 1);
            a.mov(eax, 6);         // 0x1_0000_0006 / 3
            a.mov(ecx, 3);
            a.div(ecx);
            a.mov(esi, eax);
            a.mov(edi, edx);
            a.mov(eax, -7);
            a.cdq();
            a.mov(ecx, 2);
            a.idiv(ecx);           // -3 rem -1 (truncation toward zero)
            a.mov(ebx, eax);
            a.mov(ebp, edx);
            a.mov(eax, 0xFF81);    // AX = -127
            a.idiv(cl);            // AL = -63, AH = -1
        });
        Assert.Equal(0x5555_5557u, h.Reg(X86Cpu.ESI));
        Assert.Equal(1u, h.Reg(X86Cpu.EDI));
        Assert.Equal(unchecked((uint)-3), h.Reg(X86Cpu.EBX));
        Assert.Equal(unchecked((uint)-1), h.Reg(X86Cpu.EBP));
        Assert.Equal(0x0000_FFC1u, h.Reg(X86Cpu.EAX)); // AH = 0xFF (-1), AL = 0xC1 (-63)
    }

    [Theory]
    [InlineData(0u, 0u, 0u)]                       // divide by zero
    [InlineData(1u, 0u, 1u)]                       // quotient 2^32 does not fit
    public void DivFaultsWithDivideErrorAndChangesNothing(uint high, uint low, uint divisor)
    {
        AssertDivideError(high, low, divisor, signed: false);
    }

    [Theory]
    [InlineData(0xFFFF_FFFFu, 0x8000_0000u, 0xFFFF_FFFFu)] // INT_MIN / -1
    [InlineData(0x0000_0000u, 0x8000_0000u, 1u)]           // +2^31 does not fit
    [InlineData(0u, 7u, 0u)]
    public void IdivFaultsWithDivideErrorAndChangesNothing(uint high, uint low, uint divisor)
    {
        AssertDivideError(high, low, divisor, signed: true);
    }

    [Fact]
    public void IdivOfBytesFaultsWhenTheQuotientLeavesTheByte()
    {
        var h = new CpuHarness();
        h.Load(a =>
        {
            a.mov(eax, 0x8000); // -32768 / -1 = 32768
            a.mov(ecx, 0xFF);
            a.idiv(cl);
        });
        h.Run();
        Assert.Equal((int)ExceptionVector.DivideError, h.RaisedVector);
        Assert.Equal(0x8000u, h.Reg(X86Cpu.EAX));
    }

    private static void AssertDivideError(uint high, uint low, uint divisor, bool signed)
    {
        var h = new CpuHarness();
        Label at = default;
        AssemblerResult result = h.Load(a =>
        {
            a.mov(edx, unchecked((int)high));
            a.mov(eax, unchecked((int)low));
            a.mov(ecx, unchecked((int)divisor));
            a.push(AllStatus);
            a.popfd();
            at = a.CreateLabel();
            a.Label(ref at);
            if (signed)
            {
                a.idiv(ecx);
            }
            else
            {
                a.div(ecx);
            }
        });
        h.Run();
        Assert.Equal((int)ExceptionVector.DivideError, h.RaisedVector);
        Assert.Equal((uint)result.GetLabelRIP(at), h.FaultEip(hasErrorCode: false)); // a fault: EIP of the DIV itself
        Assert.Equal(low, h.Reg(X86Cpu.EAX));
        Assert.Equal(high, h.Reg(X86Cpu.EDX));
        Assert.Equal(Status, h.Memory.Read32(h.Reg(X86Cpu.ESP) + 8) & Status); // saved EFLAGS untouched
    }
}
