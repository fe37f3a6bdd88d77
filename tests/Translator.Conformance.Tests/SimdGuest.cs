using System.Text;
using Translator.Machine.Cpu;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>Runs a nasm guest of the SIMD preview (every unit on) and compares its console with NAME.expected.txt.</summary>
internal static class SimdGuest
{
    public const CpuFeatures AllUnits = CpuFeatures.Fpu | CpuFeatures.Mmx | CpuFeatures.Fxsr | CpuFeatures.Sse | CpuFeatures.Sse2;

    public static void AssertPrintsItsTranscript(string name, string configuration)
    {
        var console = new List<byte>();
        VmOptions options = BackendConfigurations.Options(configuration, console.Add) with { CpuFeatures = AllUnits };
        VmRunResult run = VirtualMachine.Create(File.ReadAllBytes(GuestImages.Instance.PathOf($"{name}.bin")), options).Run();
        string text = Encoding.ASCII.GetString(console.ToArray());
        Assert.True(run.ExitCode == 1, $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
        Assert.Equal(File.ReadAllText(Path.Combine(GuestImages.Instance.RepositoryRoot, "tests", "guests", "asm", $"{name}.expected.txt")), text);
    }
}
