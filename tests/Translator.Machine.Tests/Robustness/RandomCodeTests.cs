using Translator.Tests.Shared;
using Xunit;

namespace Translator.Machine.Tests.Robustness;

/// <summary>
/// A hostile guest: random bytes executed as ring-0 code, with random GDT/IDT/CR3/port activity as it happens. Every
/// run must end in one of the machine's defined outcomes (an exit code of the contract) within its budget, in both
/// interpreter tiers, and never with a host exception.
/// </summary>
public sealed class RandomCodeTests
{
    public static TheoryData<int, int> Seeds()
    {
        var data = new TheoryData<int, int>();
        for (int seed = 1; seed <= 60; seed++)
        {
            data.Add(seed, seed % 2 == 0 ? 1 : 0);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomCodeEndsInADefinedOutcome(int seed, int compileThreshold)
    {
        var random = new Random(seed);
        byte[] code = new byte[4096];
        random.NextBytes(code);
        var console = new MemoryStream();
        var machine = new PcMachine(new MachineOptions { MemoryMiB = 4, MaxInstructions = 200_000, CompileThreshold = compileThreshold }, console.WriteByte);
        machine.Load(MultibootImage.Wrap(code, bssBytes: 64 * 1024));

        MachineResult result = machine.Run();

        Assert.Contains(result.ExitCode, new[] { 0, 4, 6 }.Concat(Enumerable.Range(0, 256).Select(v => (v << 1) | 1)));
        Assert.True(machine.Cpu.Retired <= 200_000 + 64, $"ran past its budget: {machine.Cpu.Retired}");
    }
}
