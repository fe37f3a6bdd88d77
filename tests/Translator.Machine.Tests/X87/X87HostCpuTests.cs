using Translator.Machine.Cpu;
using Translator.Machine.Tests.Instructions;
using Xunit;
using Xunit.Abstractions;

namespace Translator.Machine.Tests.X87;

/// <summary>
/// The x87 unit against the host processor, case by case: the same instruction bytes run between the same prologue
/// (FNINIT, FLDCW, two FLD m80) and epilogue (FNSAVE, PUSHF) on the host (x87-host.c) and on the emulated CPU, over
/// edge operands (zeros, denormals, pseudo-denormals, unnormals, infinities, QNaNs and SNaNs, the indefinite, ties
/// at 24, 53 and 64 bits, overflow and underflow) under every rounding and precision control, masked and unmasked.
/// Compared: FCW, FSW (flags, C0-C3, TOP, ES, B), the tag word, ST(0)-ST(7) and the memory operand; EFLAGS' status
/// bits for FCOMI-class instructions.
/// </summary>
public sealed class X87HostCpuTests(ITestOutputHelper output)
{
    private const uint Data = CpuHarness.Data;

    [X87HostFact]
    public void ArithmeticAgreesWithTheHostCpu() => Compare(X87Cases.Arithmetic, 24_000, seed: 1);

    [X87HostFact]
    public void LoadsStoresAndConversionsAgreeWithTheHostCpu() => Compare(X87Cases.Transfers, 12_000, seed: 2);

    [X87HostFact]
    public void ComparisonsAndClassificationAgreeWithTheHostCpu() => Compare(X87Cases.Comparisons, 8_000, seed: 3);

    [X87HostFact]
    public void OneOperandInstructionsAgreeWithTheHostCpu() => Compare(X87Cases.OneOperand, 12_000, seed: 4);

    [X87HostFact]
    public void MmxAgreesWithTheHostCpu() => Compare(X87Cases.Mmx, 8_000, seed: 5);

    private void Compare(IReadOnlyList<X87Op> ops, int count, int seed)
    {
        var random = new Random(seed);
        var cases = new List<(byte[] Code, byte[] Context)>(count);
        var caseOps = new List<X87Op>(count);
        for (int n = 0; n < count; n++)
        {
            X87Op op = ops[n % ops.Count];
            caseOps.Add(op);
            cases.Add((op.Bytes, X87Cases.Context(random, op)));
        }

        List<byte[]> host = X87HostCpu.Run(cases);
        var emulated = new EmulatedX87(ops);
        var failures = new List<string>();
        for (int n = 0; n < count; n++)
        {
            byte[] mine = emulated.Run(caseOps[n], cases[n].Context);
            if (X87Cases.Difference(caseOps[n], host[n], mine) is string difference)
            {
                failures.Add($"{caseOps[n].Name} in {Convert.ToHexString(cases[n].Context, 0, 48)}: {difference}");
            }
        }

        foreach (string failure in failures.Take(40))
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {count} cases differ from the host CPU; first: {failures.FirstOrDefault()}");
    }

    /// <summary>The emulated CPU running the same prologue, instruction and epilogue, in 32-bit mode.</summary>
    internal sealed class EmulatedX87
    {
        private readonly CpuHarness _harness = new(CpuFeatures.Fpu | CpuFeatures.Mmx);
        private readonly Dictionary<X87Op, uint> _code = [];

        public EmulatedX87(IReadOnlyList<X87Op> ops)
        {
            byte[] prologue = [0xDB, 0xE3, 0xD9, 0x2F, 0xDB, 0x6F, 0x10, 0xDB, 0x6F, 0x20, 0x8D, 0x47, 0x30];
            byte[] epilogue = [0xDD, 0x77, 0x50, 0x9C, 0x58, 0x89, 0x47, 0x08, 0xF4];
            uint at = CpuHarness.CodeBase;
            foreach (X87Op op in ops)
            {
                byte[] code = [.. prologue, .. op.Bytes, .. epilogue];
                code.CopyTo(_harness.Memory.Span(at, code.Length));
                _code[op] = at;
                at += 64;
            }
        }

        public byte[] Run(X87Op op, byte[] context)
        {
            context.CopyTo(_harness.Memory.Span(Data, context.Length));
            _harness.Cpu.SetRegister(X86Cpu.EDI, Data);
            _harness.Cpu.Eip = _code[op];
            _harness.Run();
            Assert.True(_harness.RaisedVector == -1, $"{op.Name} raised vector {_harness.RaisedVector}");
            return _harness.Memory.Span(Data, context.Length).ToArray();
        }
    }
}
