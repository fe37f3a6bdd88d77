using Translator.Tests.Shared;
using Xunit;

namespace Translator.Vmm.Tests;

/// <summary>
/// Random bytes executed as a guest kernel deprivileged by <c>bt</c>: every run ends in a defined outcome within its
/// budget and exactly as on bare metal (same console bytes, same exit code), whatever sensitive instruction, fault or
/// garbage descriptor the bytes happen to contain. Under <c>trap</c> the outcome may differ (the holes), but it is a
/// defined one: never a host exception.
/// </summary>
public sealed class RandomCodeDeprivilegedTests
{
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (int seed = 1; seed <= 60; seed++)
        {
            data.Add(seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomCodeUnderBtBehavesAsOnBareMetal(int seed)
    {
        byte[] image = Image(seed);
        VmRunResult native = Run(image, BackendKind.Native);
        VmRunResult bt = Run(image, BackendKind.BinaryTranslation);

        Assert.True(native.ExitCode == bt.ExitCode, $"seed {seed}: native {native.ExitCode} ({native.Result.Message}), bt {bt.ExitCode} ({bt.Result.Message})");
        Assert.Equal(native.Console, bt.Console);
        Assert.True(bt.Statistics.GuestInstructions <= 200_000 + 64);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomCodeUnderTrapEndsInADefinedOutcome(int seed)
    {
        VmRunResult trap = Run(Image(seed), BackendKind.TrapAndEmulate);
        Assert.True(trap.ExitCode is 0 or 4 or 6 || (trap.ExitCode & 1) == 1, $"seed {seed}: exit code {trap.ExitCode}");
        Assert.True(trap.Statistics.GuestInstructions <= 200_000 + 64);
    }

    private static byte[] Image(int seed)
    {
        var random = new Random(seed);
        byte[] code = new byte[4096];
        random.NextBytes(code);
        return MultibootImage.Wrap(code, bssBytes: 64 * 1024);
    }

    private static VmRunResult Run(byte[] image, BackendKind backend) =>
        VirtualMachine.Create(image, new VmOptions { Backend = backend, MemoryMiB = 4, MaxInstructions = 200_000, Translation = TranslationSource.InterpreterOnly }).Run();
}
