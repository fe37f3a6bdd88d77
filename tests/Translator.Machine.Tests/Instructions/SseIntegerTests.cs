using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using Op = System.Func<System.Runtime.Intrinsics.Vector128<byte>, System.Runtime.Intrinsics.Vector128<byte>, System.Runtime.Intrinsics.Vector128<byte>>;

namespace Translator.Machine.Tests.Instructions;

/// <summary>SSE2's integer, logic, shift, shuffle and pack instructions against the host CPU, operand pair by pair.</summary>
public class SseIntegerTests
{
    private static readonly IReadOnlyList<UInt128> s_operands = SseHostOracle.Operands(seed: 16, random: 40);

    public static TheoryData<string> Binary => new(s_binary.Keys);

    private static readonly Dictionary<string, (Action<Assembler> Emit, Op Host)> s_binary = new()
    {
        ["paddb"] = (a => a.paddb(xmm0, xmm1), (x, y) => Sse2.Add(x, y)),
        ["paddw"] = (a => a.paddw(xmm0, xmm1), (x, y) => Sse2.Add(x.AsUInt16(), y.AsUInt16()).AsByte()),
        ["paddd"] = (a => a.paddd(xmm0, xmm1), (x, y) => Sse2.Add(x.AsUInt32(), y.AsUInt32()).AsByte()),
        ["paddq"] = (a => a.paddq(xmm0, xmm1), (x, y) => Sse2.Add(x.AsUInt64(), y.AsUInt64()).AsByte()),
        ["psubb"] = (a => a.psubb(xmm0, xmm1), (x, y) => Sse2.Subtract(x, y)),
        ["psubw"] = (a => a.psubw(xmm0, xmm1), (x, y) => Sse2.Subtract(x.AsUInt16(), y.AsUInt16()).AsByte()),
        ["psubd"] = (a => a.psubd(xmm0, xmm1), (x, y) => Sse2.Subtract(x.AsUInt32(), y.AsUInt32()).AsByte()),
        ["psubq"] = (a => a.psubq(xmm0, xmm1), (x, y) => Sse2.Subtract(x.AsUInt64(), y.AsUInt64()).AsByte()),
        ["paddsb"] = (a => a.paddsb(xmm0, xmm1), (x, y) => Sse2.AddSaturate(x.AsSByte(), y.AsSByte()).AsByte()),
        ["paddsw"] = (a => a.paddsw(xmm0, xmm1), (x, y) => Sse2.AddSaturate(x.AsInt16(), y.AsInt16()).AsByte()),
        ["paddusb"] = (a => a.paddusb(xmm0, xmm1), (x, y) => Sse2.AddSaturate(x, y)),
        ["paddusw"] = (a => a.paddusw(xmm0, xmm1), (x, y) => Sse2.AddSaturate(x.AsUInt16(), y.AsUInt16()).AsByte()),
        ["psubsb"] = (a => a.psubsb(xmm0, xmm1), (x, y) => Sse2.SubtractSaturate(x.AsSByte(), y.AsSByte()).AsByte()),
        ["psubsw"] = (a => a.psubsw(xmm0, xmm1), (x, y) => Sse2.SubtractSaturate(x.AsInt16(), y.AsInt16()).AsByte()),
        ["psubusb"] = (a => a.psubusb(xmm0, xmm1), (x, y) => Sse2.SubtractSaturate(x, y)),
        ["psubusw"] = (a => a.psubusw(xmm0, xmm1), (x, y) => Sse2.SubtractSaturate(x.AsUInt16(), y.AsUInt16()).AsByte()),
        ["pmullw"] = (a => a.pmullw(xmm0, xmm1), (x, y) => Sse2.MultiplyLow(x.AsInt16(), y.AsInt16()).AsByte()),
        ["pmulhw"] = (a => a.pmulhw(xmm0, xmm1), (x, y) => Sse2.MultiplyHigh(x.AsInt16(), y.AsInt16()).AsByte()),
        ["pmulhuw"] = (a => a.pmulhuw(xmm0, xmm1), (x, y) => Sse2.MultiplyHigh(x.AsUInt16(), y.AsUInt16()).AsByte()),
        ["pmuludq"] = (a => a.pmuludq(xmm0, xmm1), (x, y) => Sse2.Multiply(x.AsUInt32(), y.AsUInt32()).AsByte()),
        ["pmaddwd"] = (a => a.pmaddwd(xmm0, xmm1), (x, y) => Sse2.MultiplyAddAdjacent(x.AsInt16(), y.AsInt16()).AsByte()),
        ["psadbw"] = (a => a.psadbw(xmm0, xmm1), (x, y) => Sse2.SumAbsoluteDifferences(x, y).AsByte()),
        ["pavgb"] = (a => a.pavgb(xmm0, xmm1), (x, y) => Sse2.Average(x, y)),
        ["pavgw"] = (a => a.pavgw(xmm0, xmm1), (x, y) => Sse2.Average(x.AsUInt16(), y.AsUInt16()).AsByte()),
        ["pminub"] = (a => a.pminub(xmm0, xmm1), (x, y) => Sse2.Min(x, y)),
        ["pmaxub"] = (a => a.pmaxub(xmm0, xmm1), (x, y) => Sse2.Max(x, y)),
        ["pminsw"] = (a => a.pminsw(xmm0, xmm1), (x, y) => Sse2.Min(x.AsInt16(), y.AsInt16()).AsByte()),
        ["pmaxsw"] = (a => a.pmaxsw(xmm0, xmm1), (x, y) => Sse2.Max(x.AsInt16(), y.AsInt16()).AsByte()),
        ["pcmpeqb"] = (a => a.pcmpeqb(xmm0, xmm1), (x, y) => Sse2.CompareEqual(x, y)),
        ["pcmpeqw"] = (a => a.pcmpeqw(xmm0, xmm1), (x, y) => Sse2.CompareEqual(x.AsUInt16(), y.AsUInt16()).AsByte()),
        ["pcmpeqd"] = (a => a.pcmpeqd(xmm0, xmm1), (x, y) => Sse2.CompareEqual(x.AsUInt32(), y.AsUInt32()).AsByte()),
        ["pcmpgtb"] = (a => a.pcmpgtb(xmm0, xmm1), (x, y) => Sse2.CompareGreaterThan(x.AsSByte(), y.AsSByte()).AsByte()),
        ["pcmpgtw"] = (a => a.pcmpgtw(xmm0, xmm1), (x, y) => Sse2.CompareGreaterThan(x.AsInt16(), y.AsInt16()).AsByte()),
        ["pcmpgtd"] = (a => a.pcmpgtd(xmm0, xmm1), (x, y) => Sse2.CompareGreaterThan(x.AsInt32(), y.AsInt32()).AsByte()),
        ["pand"] = (a => a.pand(xmm0, xmm1), (x, y) => Sse2.And(x, y)),
        ["pandn"] = (a => a.pandn(xmm0, xmm1), (x, y) => Sse2.AndNot(x, y)),
        ["por"] = (a => a.por(xmm0, xmm1), (x, y) => Sse2.Or(x, y)),
        ["pxor"] = (a => a.pxor(xmm0, xmm1), (x, y) => Sse2.Xor(x, y)),
        ["andps"] = (a => a.andps(xmm0, xmm1), (x, y) => Sse.And(x.AsSingle(), y.AsSingle()).AsByte()),
        ["andnpd"] = (a => a.andnpd(xmm0, xmm1), (x, y) => Sse2.AndNot(x.AsDouble(), y.AsDouble()).AsByte()),
        ["orps"] = (a => a.orps(xmm0, xmm1), (x, y) => Sse.Or(x.AsSingle(), y.AsSingle()).AsByte()),
        ["xorpd"] = (a => a.xorpd(xmm0, xmm1), (x, y) => Sse2.Xor(x.AsDouble(), y.AsDouble()).AsByte()),
        ["psllw"] = (a => a.psllw(xmm0, xmm1), (x, y) => Sse2.ShiftLeftLogical(x.AsUInt16(), y.AsUInt16()).AsByte()),
        ["pslld"] = (a => a.pslld(xmm0, xmm1), (x, y) => Sse2.ShiftLeftLogical(x.AsUInt32(), y.AsUInt32()).AsByte()),
        ["psllq"] = (a => a.psllq(xmm0, xmm1), (x, y) => Sse2.ShiftLeftLogical(x.AsUInt64(), y.AsUInt64()).AsByte()),
        ["psrlw"] = (a => a.psrlw(xmm0, xmm1), (x, y) => Sse2.ShiftRightLogical(x.AsUInt16(), y.AsUInt16()).AsByte()),
        ["psrld"] = (a => a.psrld(xmm0, xmm1), (x, y) => Sse2.ShiftRightLogical(x.AsUInt32(), y.AsUInt32()).AsByte()),
        ["psrlq"] = (a => a.psrlq(xmm0, xmm1), (x, y) => Sse2.ShiftRightLogical(x.AsUInt64(), y.AsUInt64()).AsByte()),
        ["psraw"] = (a => a.psraw(xmm0, xmm1), (x, y) => Sse2.ShiftRightArithmetic(x.AsInt16(), y.AsInt16()).AsByte()),
        ["psrad"] = (a => a.psrad(xmm0, xmm1), (x, y) => Sse2.ShiftRightArithmetic(x.AsInt32(), y.AsInt32()).AsByte()),
        ["packsswb"] = (a => a.packsswb(xmm0, xmm1), (x, y) => Sse2.PackSignedSaturate(x.AsInt16(), y.AsInt16()).AsByte()),
        ["packssdw"] = (a => a.packssdw(xmm0, xmm1), (x, y) => Sse2.PackSignedSaturate(x.AsInt32(), y.AsInt32()).AsByte()),
        ["packuswb"] = (a => a.packuswb(xmm0, xmm1), (x, y) => Sse2.PackUnsignedSaturate(x.AsInt16(), y.AsInt16()).AsByte()),
        ["punpcklbw"] = (a => a.punpcklbw(xmm0, xmm1), (x, y) => Sse2.UnpackLow(x, y)),
        ["punpckhbw"] = (a => a.punpckhbw(xmm0, xmm1), (x, y) => Sse2.UnpackHigh(x, y)),
        ["punpcklwd"] = (a => a.punpcklwd(xmm0, xmm1), (x, y) => Sse2.UnpackLow(x.AsUInt16(), y.AsUInt16()).AsByte()),
        ["punpckhwd"] = (a => a.punpckhwd(xmm0, xmm1), (x, y) => Sse2.UnpackHigh(x.AsUInt16(), y.AsUInt16()).AsByte()),
        ["punpckldq"] = (a => a.punpckldq(xmm0, xmm1), (x, y) => Sse2.UnpackLow(x.AsUInt32(), y.AsUInt32()).AsByte()),
        ["punpckhdq"] = (a => a.punpckhdq(xmm0, xmm1), (x, y) => Sse2.UnpackHigh(x.AsUInt32(), y.AsUInt32()).AsByte()),
        ["punpcklqdq"] = (a => a.punpcklqdq(xmm0, xmm1), (x, y) => Sse2.UnpackLow(x.AsUInt64(), y.AsUInt64()).AsByte()),
        ["punpckhqdq"] = (a => a.punpckhqdq(xmm0, xmm1), (x, y) => Sse2.UnpackHigh(x.AsUInt64(), y.AsUInt64()).AsByte()),
        ["unpcklps"] = (a => a.unpcklps(xmm0, xmm1), (x, y) => Sse.UnpackLow(x.AsSingle(), y.AsSingle()).AsByte()),
        ["unpckhpd"] = (a => a.unpckhpd(xmm0, xmm1), (x, y) => Sse2.UnpackHigh(x.AsDouble(), y.AsDouble()).AsByte()),
        ["shufps 0x1B"] = (a => a.shufps(xmm0, xmm1, 0x1B), (x, y) => Sse.Shuffle(x.AsSingle(), y.AsSingle(), 0x1B).AsByte()),
        ["shufps 0xE4"] = (a => a.shufps(xmm0, xmm1, 0xE4), (x, y) => Sse.Shuffle(x.AsSingle(), y.AsSingle(), 0xE4).AsByte()),
        ["shufpd 1"] = (a => a.shufpd(xmm0, xmm1, 1), (x, y) => Sse2.Shuffle(x.AsDouble(), y.AsDouble(), 1).AsByte()),
        ["shufpd 2"] = (a => a.shufpd(xmm0, xmm1, 2), (x, y) => Sse2.Shuffle(x.AsDouble(), y.AsDouble(), 2).AsByte()),
        ["pshufd 0x4E"] = (a => a.pshufd(xmm0, xmm1, 0x4E), (_, y) => Sse2.Shuffle(y.AsUInt32(), 0x4E).AsByte()),
        ["pshufhw 0x93"] = (a => a.pshufhw(xmm0, xmm1, 0x93), (_, y) => Sse2.ShuffleHigh(y.AsUInt16(), 0x93).AsByte()),
        ["pshuflw 0x39"] = (a => a.pshuflw(xmm0, xmm1, 0x39), (_, y) => Sse2.ShuffleLow(y.AsUInt16(), 0x39).AsByte()),
        ["pslldq 3"] = (a => a.pslldq(xmm0, 3), (x, _) => Sse2.ShiftLeftLogical128BitLane(x, 3)),
        ["psrldq 15"] = (a => a.psrldq(xmm0, 15), (x, _) => Sse2.ShiftRightLogical128BitLane(x, 15)),
        ["psrldq 16"] = (a => a.psrldq(xmm0, 16), (x, _) => Sse2.ShiftRightLogical128BitLane(x, 16)),
        ["psllw 15"] = (a => a.psllw(xmm0, 15), (x, _) => Sse2.ShiftLeftLogical(x.AsUInt16(), 15).AsByte()),
        ["psrad 40"] = (a => a.psrad(xmm0, 40), (x, _) => Sse2.ShiftRightArithmetic(x.AsInt32(), 40).AsByte()),
        ["psrlq 63"] = (a => a.psrlq(xmm0, 63), (x, _) => Sse2.ShiftRightLogical(x.AsUInt64(), 63).AsByte()),
        ["movhlps"] = (a => a.movhlps(xmm0, xmm1), (x, y) => Sse.MoveHighToLow(x.AsSingle(), y.AsSingle()).AsByte()),
        ["movlhps"] = (a => a.movlhps(xmm0, xmm1), (x, y) => Sse.MoveLowToHigh(x.AsSingle(), y.AsSingle()).AsByte()),
        ["movss"] = (a => a.movss(xmm0, xmm1), (x, y) => Sse.MoveScalar(x.AsSingle(), y.AsSingle()).AsByte()),
        ["movsd"] = (a => a.movsd(xmm0, xmm1), (x, y) => Sse2.MoveScalar(x.AsDouble(), y.AsDouble()).AsByte()),
        ["movq"] = (a => a.movq(xmm0, xmm1), (_, y) => Sse2.MoveScalar(y.AsUInt64()).AsByte()),
        ["movdqa"] = (a => a.movdqa(xmm0, xmm1), (_, y) => y),
    };

    private static readonly HashSet<string> s_shiftsByRegister = ["psllw", "pslld", "psllq", "psrlw", "psrld", "psrlq", "psraw", "psrad"];

    [Theory]
    [MemberData(nameof(Binary))]
    public void MatchesTheHostCpu(string name)
    {
        (Action<Assembler> emit, Op host) = s_binary[name];
        // A shift by a register counts with its low 64 bits: fold half the operands' counts into 0-70, so each
        // lane width is crossed, and keep the others huge.
        IReadOnlyList<UInt128> operands = s_shiftsByRegister.Contains(name)
            ? s_operands.Select(o => o % 2 == 0 ? o : (o & ~(UInt128)ulong.MaxValue) | (ulong)(o % 71)).ToList()
            : s_operands;
        var oracle = new SseHostOracle();
        List<string> differences = oracle.Compare(name, emit, host, operands);
        Assert.True(differences.Count == 0, string.Join('\n', differences.Take(10)));
    }

    [Fact]
    public void MaskExtractionAndWordInsertMatchTheHost()
    {
        var differences = new List<string>();
        SseHostOracle oracle;
        foreach ((string name, Action<Assembler> emit, Func<Vector128<byte>, uint> host) in new (string, Action<Assembler>, Func<Vector128<byte>, uint>)[]
        {
            ("pmovmskb", a => a.pmovmskb(eax, xmm1), y => (uint)Sse2.MoveMask(y)),
            ("movmskps", a => a.movmskps(eax, xmm1), y => (uint)Sse.MoveMask(y.AsSingle())),
            ("movmskpd", a => a.movmskpd(eax, xmm1), y => (uint)Sse2.MoveMask(y.AsDouble())),
            ("pextrw 5", a => a.pextrw(eax, xmm1, 5), y => Sse2.Extract(y.AsUInt16(), 5)),
        })
        {
            oracle = new SseHostOracle(); // a fresh machine: the code cache does not see a test's direct code writes
            oracle.Harness.Load(emit);
            foreach (UInt128 b in s_operands)
            {
                oracle.Harness.Cpu.SetRegister(0, 0xDEAD_BEEF);
                uint actual = (uint)oracle.Run(0, b, c => c.GetRegister(0));
                uint expected = host(SseHostOracle.ToVector(b));
                if (actual != expected)
                {
                    differences.Add($"{name} {b:X32}: emulated {actual:X8}, host {expected:X8}");
                }
            }
        }

        oracle = new SseHostOracle();
        oracle.Harness.Load(a => a.pinsrw(xmm0, ecx, 6));
        foreach (UInt128 b in s_operands)
        {
            oracle.Harness.Cpu.SetRegister(1, (uint)b);
            UInt128 actual = oracle.Run(b, 0);
            UInt128 expected = SseHostOracle.FromVector(Sse2.Insert(SseHostOracle.ToVector(b).AsUInt16(), (ushort)(uint)b, 6).AsByte());
            if (actual != expected)
            {
                differences.Add($"pinsrw {b:X32}: emulated {actual:X32}, host {expected:X32}");
            }
        }

        Assert.True(differences.Count == 0, string.Join('\n', differences.Take(10)));
    }
}
