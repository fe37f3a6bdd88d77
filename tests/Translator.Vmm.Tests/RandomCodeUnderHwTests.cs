using Translator.Tests.Shared;
using Xunit;

namespace Translator.Vmm.Tests;

/// <summary>
/// Random bytes executed as a ring-0 guest under the hardware-assisted backend, with and without EPT: every run ends
/// in a defined outcome within its budget and exactly as it does on bare metal (same console bytes, same exit code).
/// </summary>
public sealed class RandomCodeUnderHwTests
{
    public static TheoryData<int, MemoryVirtualization> Seeds()
    {
        var data = new TheoryData<int, MemoryVirtualization>();
        for (int seed = 1; seed <= 40; seed++)
        {
            data.Add(seed, seed % 2 == 0 ? MemoryVirtualization.NestedPaging : MemoryVirtualization.ShadowPaging);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomCodeBehavesAsOnBareMetal(int seed, MemoryVirtualization paging)
    {
        var random = new Random(seed);
        byte[] code = new byte[4096];
        random.NextBytes(code);
        byte[] image = MultibootImage.Wrap(code, bssBytes: 64 * 1024);

        VmRunResult native = Run(image, BackendKind.Native, paging);
        VmRunResult hw = Run(image, BackendKind.HardwareAssisted, paging);

        Assert.Equal(native.ExitCode, hw.ExitCode);
        Assert.Equal(native.Console, hw.Console);
        Assert.True(hw.Statistics.GuestInstructions <= 200_000 + 64);
    }

    private static VmRunResult Run(byte[] image, BackendKind backend, MemoryVirtualization paging) =>
        VirtualMachine.Create(image, new VmOptions { Backend = backend, Paging = paging, MemoryMiB = 4, MaxInstructions = 200_000 }).Run();
}
