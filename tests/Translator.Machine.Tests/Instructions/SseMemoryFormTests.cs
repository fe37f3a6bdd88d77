using Iced.Intel;
using Translator.Machine.Cpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Machine.Tests.Instructions;

/// <summary>
/// The memory forms: each load form gives what its register form gives for the same bits (m128, and the m64/m32 of
/// scalar, widening and half-register forms), and each store writes exactly its bytes and nothing around them.
/// </summary>
public class SseMemoryFormTests
{
    private const uint Data = CpuHarness.Data;

    private static readonly UInt128 s_a = new(0xC008_0000_0000_0000, 0x3FF8_0000_4040_0000), s_b = new(0x7FF4_0000_0000_0001, 0x4008_0000_BF80_0001);

    private static UInt128 Run(Action<Assembler> build, UInt128 a, UInt128 b, Action<CpuHarness>? setUp = null)
    {
        var oracle = new SseHostOracle();
        oracle.Harness.Memory.Write32(Data, (uint)b);
        oracle.Harness.Memory.Write32(Data + 4, (uint)(b >> 32));
        oracle.Harness.Memory.Write32(Data + 8, (uint)(b >> 64));
        oracle.Harness.Memory.Write32(Data + 12, (uint)(b >> 96));
        setUp?.Invoke(oracle.Harness);
        oracle.Harness.Load(build);
        return oracle.Run(a, b);
    }

    public static TheoryData<string> Loads => new(s_loads.Keys);

    private static readonly Dictionary<string, (Action<Assembler> Register, Action<Assembler> Memory)> s_loads = new()
    {
        ["paddw"] = (a => a.paddw(xmm0, xmm1), a => a.paddw(xmm0, __xmmword_ptr[Data])),
        ["pshufd"] = (a => a.pshufd(xmm0, xmm1, 0x39), a => a.pshufd(xmm0, __xmmword_ptr[Data], 0x39)),
        ["psllw"] = (a => a.psllw(xmm0, xmm1), a => a.psllw(xmm0, __xmmword_ptr[Data])),
        ["addps"] = (a => a.addps(xmm0, xmm1), a => a.addps(xmm0, __xmmword_ptr[Data])),
        ["addss"] = (a => a.addss(xmm0, xmm1), a => a.addss(xmm0, __dword_ptr[Data])),
        ["divsd"] = (a => a.divsd(xmm0, xmm1), a => a.divsd(xmm0, __qword_ptr[Data])),
        ["sqrtss"] = (a => a.sqrtss(xmm0, xmm1), a => a.sqrtss(xmm0, __dword_ptr[Data])),
        ["cmpsd"] = (a => a.cmpsd(xmm0, xmm1, 5), a => a.cmpsd(xmm0, __qword_ptr[Data], 5)),
        ["cvtss2sd"] = (a => a.cvtss2sd(xmm0, xmm1), a => a.cvtss2sd(xmm0, __dword_ptr[Data])),
        ["cvtsd2ss"] = (a => a.cvtsd2ss(xmm0, xmm1), a => a.cvtsd2ss(xmm0, __qword_ptr[Data])),
        ["cvtps2pd"] = (a => a.cvtps2pd(xmm0, xmm1), a => a.cvtps2pd(xmm0, __qword_ptr[Data])),
        ["cvtdq2pd"] = (a => a.cvtdq2pd(xmm0, xmm1), a => a.cvtdq2pd(xmm0, __qword_ptr[Data])),
        ["cvtpd2dq"] = (a => a.cvtpd2dq(xmm0, xmm1), a => a.cvtpd2dq(xmm0, __xmmword_ptr[Data])),
        ["movq"] = (a => a.movq(xmm0, xmm1), a => a.movq(xmm0, __qword_ptr[Data])),
        ["punpcklbw"] = (a => a.punpcklbw(xmm0, xmm1), a => a.punpcklbw(xmm0, __xmmword_ptr[Data])),
        ["minsd"] = (a => a.minsd(xmm0, xmm1), a => a.minsd(xmm0, __qword_ptr[Data])),
        ["movdqu"] = (a => a.movdqa(xmm0, xmm1), a => a.movdqu(xmm0, __xmmword_ptr[Data])),
    };

    [Theory]
    [MemberData(nameof(Loads))]
    public void ALoadFormGivesWhatItsRegisterFormGives(string name)
    {
        (Action<Assembler> register, Action<Assembler> memory) = s_loads[name];
        Assert.Equal(Run(register, s_a, s_b), Run(memory, s_a, s_b));
    }

    [Fact]
    public void HalfAndScalarLoadsKeepOrZeroTheRestAsTheSdmSays()
    {
        ulong low = (ulong)s_b, high = (ulong)(s_a >> 64);
        Assert.Equal(new UInt128(high, low), Run(a => a.movlps(xmm0, __qword_ptr[Data]), s_a, s_b));
        Assert.Equal(new UInt128(low, (ulong)s_a), Run(a => a.movhpd(xmm0, __qword_ptr[Data]), s_a, s_b));
        Assert.Equal((UInt128)(uint)s_b, Run(a => a.movss(xmm0, __dword_ptr[Data]), s_a, s_b));
        Assert.Equal((UInt128)low, Run(a => a.movsd(xmm0, __qword_ptr[Data]), s_a, s_b));
        Assert.Equal((UInt128)(uint)s_b, Run(a => a.movd(xmm0, __dword_ptr[Data]), s_a, s_b));
        Assert.Equal((s_a & ~(UInt128)0xFFFF_0000) | ((UInt128)(ushort)s_b << 16), Run(a => a.pinsrw(xmm0, __word_ptr[Data], 1), s_a, s_b));
    }

    [Fact]
    public void StoresWriteExactlyTheirBytes()
    {
        foreach ((string name, Action<Assembler> store, int offset, int size, UInt128 value) in new (string, Action<Assembler>, int, int, UInt128)[]
        {
            ("movups", a => a.movups(__xmmword_ptr[Data + 20], xmm0), 20, 16, s_a),
            ("movntdq", a => a.movntdq(__xmmword_ptr[Data + 16], xmm0), 16, 16, s_a),
            ("movhps", a => a.movhps(__qword_ptr[Data + 20], xmm0), 20, 8, s_a >> 64),
            ("movlpd", a => a.movlpd(__qword_ptr[Data + 20], xmm0), 20, 8, (ulong)s_a),
            ("movq", a => a.movq(__qword_ptr[Data + 20], xmm0), 20, 8, (ulong)s_a),
            ("movsd", a => a.movsd(__qword_ptr[Data + 20], xmm0), 20, 8, (ulong)s_a),
            ("movss", a => a.movss(__dword_ptr[Data + 21], xmm0), 21, 4, (uint)s_a),
            ("movd", a => a.movd(__dword_ptr[Data + 21], xmm0), 21, 4, (uint)s_a),
            ("movnti", a => { a.mov(ecx, 0x1234_5678); a.movnti(__dword_ptr[Data + 21], ecx); }, 21, 4, 0x1234_5678),
            ("stmxcsr", a => a.stmxcsr(__dword_ptr[Data + 21]), 21, 4, 0x1F80),
        })
        {
            var h = new SseHostOracle().Harness;
            for (uint i = 0; i < 64; i++)
            {
                h.Memory.Write8(Data + i, 0xEE);
            }

            h.Cpu.SetXmm(0, s_a);
            h.Execute(store);
            for (int i = 0; i < 64; i++)
            {
                byte expected = i >= offset && i < offset + size ? (byte)(value >> (8 * (i - offset))) : (byte)0xEE;
                Assert.True(h.Memory.Read8(Data + (uint)i) == expected, $"{name}: byte {i} is {h.Memory.Read8(Data + (uint)i):X2}, expected {expected:X2}");
            }
        }
    }

    [Fact]
    public void MaskmovdquWritesTheSelectedBytesAtEdi()
    {
        var h = new SseHostOracle().Harness;
        for (uint i = 0; i < 16; i++)
        {
            h.Memory.Write8(Data + i, 0xEE);
        }

        h.Cpu.SetXmm(0, s_a);
        h.Cpu.SetXmm(1, new UInt128(0x8000_0000_0000_0000, 0x0000_0000_FF00_0080)); // bytes 0, 3 and 15
        h.Cpu.SetRegister(X86Cpu.EDI, Data);
        h.Execute(a => a.maskmovdqu(xmm0, xmm1));
        for (int i = 0; i < 16; i++)
        {
            byte expected = i is 0 or 3 or 15 ? (byte)(s_a >> (8 * i)) : (byte)0xEE;
            Assert.Equal(expected, h.Memory.Read8(Data + (uint)i));
        }
    }
}
