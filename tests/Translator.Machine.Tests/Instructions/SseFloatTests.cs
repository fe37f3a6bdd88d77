using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using Op = System.Func<System.Runtime.Intrinsics.Vector128<byte>, System.Runtime.Intrinsics.Vector128<byte>, System.Runtime.Intrinsics.Vector128<byte>>;

namespace Translator.Machine.Tests.Instructions;

/// <summary>
/// SSE/SSE2 floating point against the host CPU under the default MXCSR (all exceptions masked, round to nearest),
/// operand pair by pair over specials (zeros, denormals, infinities, QNaN/SNaN with payloads, boundaries) and random
/// values. Other MXCSR settings and the flags: <see cref="SseMxcsrTests"/>.
/// </summary>
public class SseFloatTests
{
    private static readonly IReadOnlyList<UInt128> s_operands = Mixed(SseHostOracle.Operands(seed: 17, random: 24));

    /// <summary>The lanes of two operands swapped in half the cases, so each lane meets each special.</summary>
    private static List<UInt128> Mixed(IReadOnlyList<UInt128> values)
    {
        var mixed = new List<UInt128>(values);
        for (int i = 0; i + 1 < values.Count; i += 2)
        {
            mixed.Add((values[i] & ulong.MaxValue) | (values[i + 1] & (UInt128.MaxValue << 64)));
            mixed.Add(new UInt128(0x8000_0001_0000_0003, 0x0000_0000_8000_0000) ^ values[i]);
        }

        return mixed;
    }

    public static TheoryData<string> Names => new(s_cases.Keys);

    private static readonly Dictionary<string, (Action<Assembler> Emit, Op Host)> s_cases = new()
    {
        ["addps"] = (a => a.addps(xmm0, xmm1), (x, y) => Sse.Add(x.AsSingle(), y.AsSingle()).AsByte()),
        ["subps"] = (a => a.subps(xmm0, xmm1), (x, y) => Sse.Subtract(x.AsSingle(), y.AsSingle()).AsByte()),
        ["mulps"] = (a => a.mulps(xmm0, xmm1), (x, y) => Sse.Multiply(x.AsSingle(), y.AsSingle()).AsByte()),
        ["divps"] = (a => a.divps(xmm0, xmm1), (x, y) => Sse.Divide(x.AsSingle(), y.AsSingle()).AsByte()),
        ["sqrtps"] = (a => a.sqrtps(xmm0, xmm1), (_, y) => Sse.Sqrt(y.AsSingle()).AsByte()),
        ["minps"] = (a => a.minps(xmm0, xmm1), (x, y) => Sse.Min(x.AsSingle(), y.AsSingle()).AsByte()),
        ["maxps"] = (a => a.maxps(xmm0, xmm1), (x, y) => Sse.Max(x.AsSingle(), y.AsSingle()).AsByte()),
        ["addpd"] = (a => a.addpd(xmm0, xmm1), (x, y) => Sse2.Add(x.AsDouble(), y.AsDouble()).AsByte()),
        ["subpd"] = (a => a.subpd(xmm0, xmm1), (x, y) => Sse2.Subtract(x.AsDouble(), y.AsDouble()).AsByte()),
        ["mulpd"] = (a => a.mulpd(xmm0, xmm1), (x, y) => Sse2.Multiply(x.AsDouble(), y.AsDouble()).AsByte()),
        ["divpd"] = (a => a.divpd(xmm0, xmm1), (x, y) => Sse2.Divide(x.AsDouble(), y.AsDouble()).AsByte()),
        ["sqrtpd"] = (a => a.sqrtpd(xmm0, xmm1), (_, y) => Sse2.Sqrt(y.AsDouble()).AsByte()),
        ["minpd"] = (a => a.minpd(xmm0, xmm1), (x, y) => Sse2.Min(x.AsDouble(), y.AsDouble()).AsByte()),
        ["maxpd"] = (a => a.maxpd(xmm0, xmm1), (x, y) => Sse2.Max(x.AsDouble(), y.AsDouble()).AsByte()),
        ["addss"] = (a => a.addss(xmm0, xmm1), (x, y) => Sse.AddScalar(x.AsSingle(), y.AsSingle()).AsByte()),
        ["subsd"] = (a => a.subsd(xmm0, xmm1), (x, y) => Sse2.SubtractScalar(x.AsDouble(), y.AsDouble()).AsByte()),
        ["mulss"] = (a => a.mulss(xmm0, xmm1), (x, y) => Sse.MultiplyScalar(x.AsSingle(), y.AsSingle()).AsByte()),
        ["divsd"] = (a => a.divsd(xmm0, xmm1), (x, y) => Sse2.DivideScalar(x.AsDouble(), y.AsDouble()).AsByte()),
        ["sqrtss"] = (a => a.sqrtss(xmm0, xmm1), (x, y) => Sse.SqrtScalar(x.AsSingle(), y.AsSingle()).AsByte()),
        ["sqrtsd"] = (a => a.sqrtsd(xmm0, xmm1), (x, y) => Sse2.SqrtScalar(x.AsDouble(), y.AsDouble()).AsByte()),
        ["minss"] = (a => a.minss(xmm0, xmm1), (x, y) => Sse.MinScalar(x.AsSingle(), y.AsSingle()).AsByte()),
        ["maxsd"] = (a => a.maxsd(xmm0, xmm1), (x, y) => Sse2.MaxScalar(x.AsDouble(), y.AsDouble()).AsByte()),
        ["cmpeqps"] = (a => a.cmpps(xmm0, xmm1, 0), (x, y) => Sse.CompareEqual(x.AsSingle(), y.AsSingle()).AsByte()),
        ["cmpltps"] = (a => a.cmpps(xmm0, xmm1, 1), (x, y) => Sse.CompareLessThan(x.AsSingle(), y.AsSingle()).AsByte()),
        ["cmpleps"] = (a => a.cmpps(xmm0, xmm1, 2), (x, y) => Sse.CompareLessThanOrEqual(x.AsSingle(), y.AsSingle()).AsByte()),
        ["cmpunordps"] = (a => a.cmpps(xmm0, xmm1, 3), (x, y) => Sse.CompareUnordered(x.AsSingle(), y.AsSingle()).AsByte()),
        ["cmpneqpd"] = (a => a.cmppd(xmm0, xmm1, 4), (x, y) => Sse2.CompareNotEqual(x.AsDouble(), y.AsDouble()).AsByte()),
        ["cmpnltpd"] = (a => a.cmppd(xmm0, xmm1, 5), (x, y) => Sse2.CompareNotLessThan(x.AsDouble(), y.AsDouble()).AsByte()),
        ["cmpnlepd"] = (a => a.cmppd(xmm0, xmm1, 6), (x, y) => Sse2.CompareNotLessThanOrEqual(x.AsDouble(), y.AsDouble()).AsByte()),
        ["cmpordpd"] = (a => a.cmppd(xmm0, xmm1, 7), (x, y) => Sse2.CompareOrdered(x.AsDouble(), y.AsDouble()).AsByte()),
        ["cmpltss"] = (a => a.cmpss(xmm0, xmm1, 1), (x, y) => Sse.CompareScalarLessThan(x.AsSingle(), y.AsSingle()).AsByte()),
        ["cmpeqsd"] = (a => a.cmpsd(xmm0, xmm1, 0), (x, y) => Sse2.CompareScalarEqual(x.AsDouble(), y.AsDouble()).AsByte()),
        ["cvtps2pd"] = (a => a.cvtps2pd(xmm0, xmm1), (_, y) => Sse2.ConvertToVector128Double(y.AsSingle()).AsByte()),
        ["cvtpd2ps"] = (a => a.cvtpd2ps(xmm0, xmm1), (_, y) => Sse2.ConvertToVector128Single(y.AsDouble()).AsByte()),
        ["cvtss2sd"] = (a => a.cvtss2sd(xmm0, xmm1), (x, y) => Sse2.ConvertScalarToVector128Double(x.AsDouble(), y.AsSingle()).AsByte()),
        ["cvtsd2ss"] = (a => a.cvtsd2ss(xmm0, xmm1), (x, y) => Sse2.ConvertScalarToVector128Single(x.AsSingle(), y.AsDouble()).AsByte()),
        ["cvtdq2ps"] = (a => a.cvtdq2ps(xmm0, xmm1), (_, y) => Sse2.ConvertToVector128Single(y.AsInt32()).AsByte()),
        ["cvtdq2pd"] = (a => a.cvtdq2pd(xmm0, xmm1), (_, y) => Sse2.ConvertToVector128Double(y.AsInt32()).AsByte()),
        ["cvtps2dq"] = (a => a.cvtps2dq(xmm0, xmm1), (_, y) => Sse2.ConvertToVector128Int32(y.AsSingle()).AsByte()),
        ["cvttps2dq"] = (a => a.cvttps2dq(xmm0, xmm1), (_, y) => Sse2.ConvertToVector128Int32WithTruncation(y.AsSingle()).AsByte()),
        ["cvtpd2dq"] = (a => a.cvtpd2dq(xmm0, xmm1), (_, y) => Sse2.ConvertToVector128Int32(y.AsDouble()).AsByte()),
        ["cvttpd2dq"] = (a => a.cvttpd2dq(xmm0, xmm1), (_, y) => Sse2.ConvertToVector128Int32WithTruncation(y.AsDouble()).AsByte()),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesTheHostCpu(string name)
    {
        (Action<Assembler> emit, Op host) = s_cases[name];
        List<string> differences = new SseHostOracle().Compare(name, emit, host, s_operands);
        Assert.True(differences.Count == 0, $"{differences.Count} differences:\n" + string.Join('\n', differences.Take(10)));
    }

    [Fact]
    public void ScalarIntegerConversionsAndOrderedComparesMatchTheHost()
    {
        var differences = new List<string>();
        foreach ((string name, Action<Assembler> emit, Func<Vector128<byte>, uint> host) in new (string, Action<Assembler>, Func<Vector128<byte>, uint>)[]
        {
            ("cvtss2si", a => a.cvtss2si(eax, xmm1), y => (uint)Sse.ConvertToInt32(y.AsSingle())),
            ("cvttss2si", a => a.cvttss2si(eax, xmm1), y => (uint)Sse.ConvertToInt32WithTruncation(y.AsSingle())),
            ("cvtsd2si", a => a.cvtsd2si(eax, xmm1), y => (uint)Sse2.ConvertToInt32(y.AsDouble())),
            ("cvttsd2si", a => a.cvttsd2si(eax, xmm1), y => (uint)Sse2.ConvertToInt32WithTruncation(y.AsDouble())),
        })
        {
            var oracle = new SseHostOracle();
            oracle.Harness.Load(emit);
            foreach (UInt128 b in s_operands)
            {
                uint actual = (uint)oracle.Run(0, b, c => c.GetRegister(0));
                uint expected = host(SseHostOracle.ToVector(b));
                if (actual != expected)
                {
                    differences.Add($"{name} {b:X32}: emulated {actual:X8}, host {expected:X8}");
                }
            }
        }

        foreach ((string name, Action<Assembler> emit, Func<Vector128<byte>, Vector128<byte>, uint> host) in new (string, Action<Assembler>, Func<Vector128<byte>, Vector128<byte>, uint>)[]
        {
            ("cvtsi2ss", a => a.cvtsi2ss(xmm0, ecx), (x, y) => (uint)SseHostOracle.FromVector(Sse.ConvertScalarToVector128Single(x.AsSingle(), y.AsInt32().GetElement(0)).AsByte())),
            ("comiss", a => { a.comiss(xmm0, xmm1); a.pushfd(); a.pop(eax); }, (x, y) => Flags(Sse.CompareScalarOrderedEqual(x.AsSingle(), y.AsSingle()), Sse.CompareScalarOrderedLessThan(x.AsSingle(), y.AsSingle()), float.IsNaN(x.AsSingle().GetElement(0)) || float.IsNaN(y.AsSingle().GetElement(0)))),
            ("ucomisd", a => { a.ucomisd(xmm0, xmm1); a.pushfd(); a.pop(eax); }, (x, y) => Flags(Sse2.CompareScalarUnorderedEqual(x.AsDouble(), y.AsDouble()), Sse2.CompareScalarUnorderedLessThan(x.AsDouble(), y.AsDouble()), double.IsNaN(x.AsDouble().GetElement(0)) || double.IsNaN(y.AsDouble().GetElement(0)))),
        })
        {
            var oracle = new SseHostOracle();
            oracle.Harness.Load(emit);
            foreach (UInt128 a in s_operands.Take(40))
            {
                foreach (UInt128 b in s_operands.Take(40))
                {
                    oracle.Harness.Cpu.SetRegister(1, (uint)b);
                    UInt128 result = oracle.Run(a, b, c => name == "cvtsi2ss" ? c.GetXmm(0) : c.GetRegister(0) & 0x8D5);
                    uint expected = host(SseHostOracle.ToVector(a), SseHostOracle.ToVector(b));
                    if ((uint)result != expected)
                    {
                        differences.Add($"{name} {a:X32}, {b:X32}: emulated {(uint)result:X8}, host {expected:X8}");
                    }
                }
            }
        }

        Assert.True(differences.Count == 0, string.Join('\n', differences.Take(10)));
    }

    /// <summary>The EFLAGS COMISS/UCOMISS leave (ZF PF CF; OF SF AF clear) from the host's view of the pair.</summary>
    private static uint Flags(bool equal, bool less, bool unordered) => unordered ? 0x45u : equal ? 0x40u : less ? 0x1u : 0u;

    /// <summary>
    /// RCP/RSQRT are the host's (AMD's) to the bit: every table entry at both exponent parities, and a sweep with a
    /// stride of 65,521 through all 2^32 single-precision inputs (specials, denormals, both signs), lane by lane.
    /// </summary>
    [AmdHostFact]
    public void ReciprocalApproximationsEqualTheHostsEverywhere()
    {
        var inputs = new List<uint>();
        for (uint i = 0; i < 4096; i++)
        {
            inputs.Add(0x3F80_0000 | (i << 11) | (i * 7 & 0x7FF));
            inputs.Add(0x4000_0000 | (i << 11));
        }

        for (ulong x = 0; x <= uint.MaxValue; x += 65_521)
        {
            inputs.Add((uint)x);
        }

        var differences = new List<string>();
        for (int n = 0; n + 4 <= inputs.Count; n += 4)
        {
            Vector128<float> v = Vector128.Create(inputs[n], inputs[n + 1], inputs[n + 2], inputs[n + 3]).AsSingle();
            Vector128<uint> rcp = Sse.Reciprocal(v).AsUInt32(), rsqrt = Sse.ReciprocalSqrt(v).AsUInt32();
            for (int lane = 0; lane < 4; lane++)
            {
                uint x = inputs[n + lane];
                if (Translator.Machine.Cpu.SimdApproximations.Reciprocal(x) != rcp.GetElement(lane)
                    || Translator.Machine.Cpu.SimdApproximations.ReciprocalSquareRoot(x) != rsqrt.GetElement(lane))
                {
                    differences.Add($"{x:X8}: rcp {Translator.Machine.Cpu.SimdApproximations.Reciprocal(x):X8} host {rcp.GetElement(lane):X8}, " +
                        $"rsqrt {Translator.Machine.Cpu.SimdApproximations.ReciprocalSquareRoot(x):X8} host {rsqrt.GetElement(lane):X8}");
                }
            }
        }

        // And through the instructions, packed and scalar.
        foreach ((string name, Action<Assembler> emit, Op host) in new (string, Action<Assembler>, Op)[]
        {
            ("rcpps", a => a.rcpps(xmm0, xmm1), (_, y) => Sse.Reciprocal(y.AsSingle()).AsByte()),
            ("rsqrtps", a => a.rsqrtps(xmm0, xmm1), (_, y) => Sse.ReciprocalSqrt(y.AsSingle()).AsByte()),
            ("rcpss", a => a.rcpss(xmm0, xmm1), (x, y) => Sse.ReciprocalScalar(x.AsSingle(), y.AsSingle()).AsByte()),
            ("rsqrtss", a => a.rsqrtss(xmm0, xmm1), (x, y) => Sse.ReciprocalSqrtScalar(x.AsSingle(), y.AsSingle()).AsByte()),
        })
        {
            differences.AddRange(new SseHostOracle().Compare(name, emit, host, s_operands.Take(40).ToList()));
        }

        Assert.True(differences.Count == 0, $"{differences.Count} differ (the host is not the AMD processor the tables were recorded on?):\n" + string.Join('\n', differences.Take(10)));
    }
}

/// <summary>Runs only on an AMD host: RCP/RSQRT are modelled on AMD's approximations, which Intel's differ from.</summary>
public sealed class AmdHostFactAttribute : FactAttribute
{
    public AmdHostFactAttribute()
    {
        if (!X86Base.IsSupported || Vendor() != "AuthenticAMD")
        {
            Skip = "RCPPS/RSQRTPS model AMD's approximations; this host is not an AMD processor (Intel's values differ)";
        }
    }

    private static string Vendor()
    {
        (_, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        return string.Concat(new[] { ebx, edx, ecx }.Select(r => System.Text.Encoding.ASCII.GetString(BitConverter.GetBytes(r))));
    }
}
