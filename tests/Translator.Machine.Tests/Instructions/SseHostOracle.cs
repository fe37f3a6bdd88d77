using System.Runtime.Intrinsics;
using Iced.Intel;
using Translator.Machine.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Machine.Tests.Instructions;

/// <summary>
/// Runs one SSE instruction on the emulated CPU over many operand pairs and compares every result with the host
/// CPU's (System.Runtime.Intrinsics.X86), case by case.
/// </summary>
internal sealed class SseHostOracle
{
    public const CpuFeatures Simd = CpuFeatures.Fxsr | CpuFeatures.Sse | CpuFeatures.Sse2;

    private readonly CpuHarness _harness = new(Simd);

    public SseHostOracle()
    {
        _harness.Cpu.Cr4 = X86Cpu.Cr4OsFxsr | X86Cpu.Cr4OsXmmExcpt;
    }

    public CpuHarness Harness => _harness;

    /// <summary>Edge operands (zeros, ones, lane sign bits, saturation boundaries, float specials) and seeded random ones.</summary>
    public static IReadOnlyList<UInt128> Operands(int seed, int random = 96)
    {
        var values = new List<UInt128>
        {
            0, UInt128.MaxValue, 1, Splat8(0x80), Splat8(0x7F), Splat8(0x01), Splat8(0xFF) >> 8,
            Splat16(0x8000), Splat16(0x7FFF), Splat16(0x8001), Splat32(0x8000_0000), Splat32(0x7FFF_FFFF),
            Splat32(0x7F80_0000), Splat32(0xFF80_0000), Splat32(0x7FC0_0000), Splat32(0x7FA0_0001), Splat32(0x0000_0001),
            Splat32(0x3F80_0000), Splat32(0xBF80_0000), Splat32(0x4F00_0000), Splat32(0xCF00_0000), Splat32(0x0080_0000),
            Splat64(0x7FF0_0000_0000_0000), Splat64(0xFFF0_0000_0000_0000), Splat64(0x7FF8_0000_0000_0000),
            Splat64(0x7FF4_0000_0000_0001), Splat64(0x0000_0000_0000_0001), Splat64(0x3FF0_0000_0000_0000),
            Splat64(0x41E0_0000_0000_0000), Splat64(0xC1E0_0000_0000_0000), Splat64(0x8000_0000_0000_0000),
            new UInt128(0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210),
        };
        var rng = new Random(seed);
        Span<byte> bytes = stackalloc byte[16];
        for (int i = 0; i < random; i++)
        {
            rng.NextBytes(bytes);
            values.Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(bytes));
        }

        return values;
    }

    public static UInt128 Splat8(byte v) => Splat16((ushort)(v | v << 8));

    public static UInt128 Splat16(ushort v) => Splat32((uint)(v | v << 16));

    public static UInt128 Splat32(uint v) => Splat64(v | (ulong)v << 32);

    public static UInt128 Splat64(ulong v) => new(v, v);

    public static Vector128<byte> ToVector(UInt128 value) => Vector128.Create((ulong)value, (ulong)(value >> 64)).AsByte();

    public static UInt128 FromVector(Vector128<byte> value) => new(value.AsUInt64().GetElement(1), value.AsUInt64().GetElement(0));

    /// <summary>
    /// Runs <paramref name="instruction"/> (on XMM0 and XMM1) for every pair of <paramref name="operands"/> and
    /// returns the cases where XMM0 differs from <paramref name="host"/>'s result, as readable lines.
    /// </summary>
    public List<string> Compare(string name, Action<Assembler> instruction, Func<Vector128<byte>, Vector128<byte>, Vector128<byte>> host,
        IReadOnlyList<UInt128> operands, Func<X86Cpu, UInt128>? result = null)
    {
        _harness.Load(instruction);
        var differences = new List<string>();
        foreach (UInt128 a in operands)
        {
            foreach (UInt128 b in operands)
            {
                UInt128 expected = FromVector(host(ToVector(a), ToVector(b)));
                UInt128 actual = Run(a, b, result);
                if (actual != expected)
                {
                    differences.Add($"{name} {a:X32}, {b:X32}: emulated {actual:X32}, host {expected:X32}");
                }
            }
        }

        return differences;
    }

    /// <summary>Runs the loaded snippet with XMM0 = a, XMM1 = b and returns XMM0 (or what <paramref name="result"/> reads).</summary>
    public UInt128 Run(UInt128 a, UInt128 b, Func<X86Cpu, UInt128>? result = null)
    {
        X86Cpu cpu = _harness.Cpu;
        cpu.SetXmm(0, a);
        cpu.SetXmm(1, b);
        cpu.Eip = CpuHarness.CodeBase;
        _harness.Run();
        if (_harness.RaisedVector >= 0)
        {
            throw new InvalidOperationException($"exception {_harness.RaisedVector} for {a:X32}, {b:X32}");
        }

        return result?.Invoke(cpu) ?? cpu.GetXmm(0);
    }

    public static Action<Assembler> Xmm01(Action<Assembler, AssemblerRegisterXMM, AssemblerRegisterXMM> emit) => a => emit(a, xmm0, xmm1);
}
