using System.Text;
using Translator.Guest;
using Translator.Vmm;
using Xunit;

namespace Translator.Samples.Tests;

/// <summary>
/// One source, two builds: every sample's PV build (its <c>ParavirtImage</c>, compiled from the same C# against the
/// hypercall interface) prints exactly what its bare-metal build prints on <c>native</c> and exits the same, on the
/// pv backend's interpreter and on its translated fast path, with no privileged instruction left to trap.
/// </summary>
public sealed class ParavirtSampleTests
{
    public static TheoryData<string, ExecutionTier> Runs()
    {
        var data = new TheoryData<string, ExecutionTier>();
        foreach (string name in SampleCatalog.Names)
        {
            data.Add(name, ExecutionTier.Interpreter);
            data.Add(name, ExecutionTier.Translated);
        }

        return data;
    }

    public static TheoryData<string> Names => new(SampleCatalog.Names);

    [Theory]
    [MemberData(nameof(Runs))]
    public void PrintsExactlyWhatTheBareMetalBuildPrintsOnNative(string name, ExecutionTier execution)
    {
        SampleKernel sample = SampleCatalog.Find(name)!;
        Assert.NotNull(sample.ParavirtImage);
        VmRunResult native = VirtualMachine.Create(sample.Image, new VmOptions { Backend = BackendKind.Native }).Run();
        VmRunResult pv = VirtualMachine.Create(sample.ParavirtImage!, new VmOptions { Backend = BackendKind.Paravirtual, Execution = execution }).Run();
        Assert.True(native.Console.AsSpan().SequenceEqual(pv.Console),
            $"{name} under pv ({execution}, {pv.Result.Message}) printed:\n{Encoding.ASCII.GetString(pv.Console)}\nnative printed:\n{Encoding.ASCII.GetString(native.Console)}");
        Assert.Equal(native.ExitCode, pv.ExitCode);
        Assert.Equal(sample.ExpectedOutput, pv.Console);
    }

    /// <summary>The PV image is a PV image (TPV1 header, checksum), and the bare-metal backends refuse it.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void ThePvBuildIsATpv1ImageThatOnlyPvRuns(string name)
    {
        byte[] image = SampleCatalog.Find(name)!.ParavirtImage!;
        Assert.Equal(0x3156_5054u, BitConverter.ToUInt32(image, 0));
        uint sum = 0;
        for (int i = 0; i < 48; i += 4)
        {
            sum += BitConverter.ToUInt32(image, i);
        }

        Assert.Equal(0u, sum);
        Assert.ThrowsAny<Exception>(() => VirtualMachine.Create(image, new VmOptions { Backend = BackendKind.Native }));
    }

    /// <summary>Where Xen batches, the PV build batches: a string is one console_io, not two port accesses per character.</summary>
    [Fact]
    public void ReportWritesWholeStringsThroughConsoleIo()
    {
        SampleKernel sample = SampleCatalog.Find("Report")!;
        VmRunResult pv = VirtualMachine.Create(sample.ParavirtImage!, new VmOptions { Backend = BackendKind.Paravirtual }).Run();
        long consoleIo = pv.Statistics.Events.GetValueOrDefault("hypercall.console_io");
        long physdev = pv.Statistics.Events.GetValueOrDefault("hypercall.physdev_op");
        Assert.True(consoleIo > 0 && consoleIo < sample.ExpectedOutput.Length, $"console_io {consoleIo} for {sample.ExpectedOutput.Length} bytes");
        Assert.True(physdev <= 2, $"physdev_op {physdev}: the console should not go through the UART's ports");
    }
}
