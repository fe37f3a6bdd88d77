using System.Text;
using Translator.Guest;
using Translator.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace Translator.Samples.Tests;

/// <summary>Every sample kernel boots and prints exactly its expected output, on the native machine and on QEMU.</summary>
public sealed class SampleTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names => new(SampleCatalog.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void BootsOnNativeWithItsExpectedOutput(string name)
    {
        SampleKernel sample = SampleCatalog.Find(name)!;
        GuestRun run = GuestRunner.Native(sample.Image);
        output.WriteLine($"{name} ran on {run.Backend}: exit {run.ExitCode}; {run.Message}");
        AssertSameOutput(sample, run);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BootsOnQemuWithTheSameOutput(string name)
    {
        Assert.True(GuestRunner.QemuAvailable, "qemu-system-i386 is a prerequisite (scripts/prerequisites.sh)");
        SampleKernel sample = SampleCatalog.Find(name)!;
        // Holes sets CR4.UMIP, which QEMU's default CPU (qemu32) lacks; its "max" model has it, as this machine does.
        AssertSameOutput(sample, GuestRunner.Qemu(sample.Image, cpuModel: name == "Holes" ? "max" : null));
    }

    [Fact]
    public void TheCatalogFindsSamplesByNameInAnyCase()
    {
        Assert.Equal(["Hello", "Compute", "Multitasking", "Microbench", "Holes", "Report"], SampleCatalog.Names);
        Assert.Same(SampleCatalog.Find("Hello"), SampleCatalog.Find("hello"));
        Assert.Null(SampleCatalog.Find("Nope"));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EachSampleHasAMultibootImageSymbolsAndAListing(string name)
    {
        SampleKernel sample = SampleCatalog.Find(name)!;
        Assert.Equal(0x1BADB002u, BitConverter.ToUInt32(sample.Image, 0));
        Assert.Equal(sample.EntryAddress, BitConverter.ToUInt32(sample.Image, 28));
        GuestSymbol start = sample.SymbolAt(sample.EntryAddress)!;
        Assert.Equal("start", start.Name);
        Assert.Contains(sample.Symbols, s => s.Name == name + ".Main" && s.Kind == GuestSymbolKind.Function);
        Assert.Contains(name + ".Main:", sample.Listing);
    }

    private static void AssertSameOutput(SampleKernel sample, GuestRun run)
    {
        string expected = Encoding.ASCII.GetString(sample.ExpectedOutput);
        Assert.True(expected == run.Text, $"{sample.Name} on {run.Backend} ({run.Message}) printed:\n{run.Text}\nexpected:\n{expected}");
        Assert.Equal(1, run.ExitCode);
    }
}
