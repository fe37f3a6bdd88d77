using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Tests.Instructions;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Machine.Tests.Execution;

/// <summary>Stores into decoded code take effect, in both interpreter tiers; stores next to code do not discard it.</summary>
public sealed class SelfModifyingCodeTests
{
    private static void LoadBytes(CpuHarness h, params byte[] code)
    {
        code.CopyTo(h.Memory.Span(CpuHarness.CodeBase, code.Length));
        h.Cpu.Eip = CpuHarness.CodeBase;
    }

    private static byte[] Le(uint value) => BitConverter.GetBytes(value);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void StoreIntoTheNextInstructionTakesEffect(int compileThreshold)
    {
        var h = new CpuHarness();
        h.Interpreter.CompileThreshold = compileThreshold;
        const uint immediate = CpuHarness.CodeBase + 8;

        // mov byte [immediate], 0x42 ; mov eax, 0x11 (whose low immediate byte is at +8) ; hlt
        LoadBytes(h, [0xC6, 0x05, .. Le(immediate), 0x42, 0xB8, 0x11, 0x00, 0x00, 0x00, 0xF4]);
        h.Run();

        Assert.Equal(0x42u, h.Reg(X86Cpu.EAX));
        Assert.True(h.Cpu.Counters.CodeInvalidations > 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void LoopRewritingItsOwnImmediateSeesEachNewValue(int compileThreshold)
    {
        var h = new CpuHarness();
        h.Interpreter.CompileThreshold = compileThreshold;
        const uint immediate = CpuHarness.CodeBase + 9;

        // mov ecx, 5 ; xor edx, edx
        // loop: add edx, 0x01000001 ; inc dword [immediate] ; dec ecx ; jnz loop ; hlt
        LoadBytes(h,
        [
            0xB9, 0x05, 0x00, 0x00, 0x00,
            0x31, 0xD2,
            0x81, 0xC2, 0x01, 0x00, 0x00, 0x01,
            0xFF, 0x05, .. Le(immediate),
            0x49,
            0x75, 0xF1,
            0xF4,
        ]);
        h.Run();

        // The immediate grows by one each iteration: 0x01000001 + 0x01000002 + ... + 0x01000005.
        Assert.Equal((5u * 0x0100_0000) + 15, h.Reg(X86Cpu.EDX));
    }

    [Fact]
    public void DataStoresBesideCodeKeepTheDecodedBlocks()
    {
        var h = new CpuHarness();
        h.Interpreter.CompileThreshold = 0;
        h.Load(a =>
        {
            Label loop = a.CreateLabel();
            a.mov(ecx, 1000);
            a.Label(ref loop);
            a.mov(__dword_ptr[CpuHarness.CodeBase + 0x800], ecx); // same page as the code, far from it
            a.dec(ecx);
            a.jnz(loop);
        });

        h.Run();

        Assert.Equal(0, h.Cpu.Counters.CodeInvalidations);
        Assert.Equal(1u, h.Memory.Read32(CpuHarness.CodeBase + 0x800));
    }
}
