using System.Linq;
using Translator.Tests.Shared;
using Xunit;

namespace Translator.Guest.Tests;

/// <summary>The runtime's defined outcomes, identical on the native machine and on QEMU.</summary>
public sealed class PlatformTests
{
    public static TheoryData<string> Backends => new() { "native", "qemu" };

    private static GuestRun Run(System.ReadOnlySpan<byte> image, string backend)
        => backend == "qemu" ? GuestRunner.Qemu(image.ToArray()) : GuestRunner.Native(image.ToArray());

    [Theory]
    [MemberData(nameof(Backends))]
    public void AnIndexOutOfRangePanics(string backend)
    {
        GuestRun run = Run(PanicKernel.Image, backend);
        Assert.Equal("before\n\nguest panic: index out of range\n", run.Text);
        Assert.Equal((0x70 << 1) | 1, run.ExitCode);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void ReturningFromTheEntryExitsWithZero(string backend)
    {
        GuestRun run = Run(ReturningKernel.Image, backend);
        Assert.Equal("returning\n", run.Text);
        Assert.Equal(1, run.ExitCode);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void LinearAndPhysicalAccessSeeTheSamePage(string backend)
    {
        GuestRun run = Run(MemoryKernel.Image, backend);
        Assert.Equal(
            "physical read of a linear write: cafef00d\n" +
            "linear read of a physical write: 12345678\n" +
            "directory entry (accessed, dirty): 010000e3\n" +
            "page fault at 80000010 error 00000002\n",
            run.Text);
        Assert.Equal(1, run.ExitCode);
    }

    [Fact]
    public void UnusedLibraryCodeIsNotLinked()
    {
        Assert.DoesNotContain(ReturningKernel.Symbols, s => s.Name.StartsWith("Gdt.", System.StringComparison.Ordinal));
        Assert.Contains(MemoryKernel.Symbols, s => s.Name == "Gdt.Install");
        // The loaded bytes (multiboot load_end_addr - load_addr): the image map after them is not loaded.
        System.ReadOnlySpan<byte> image = ReturningKernel.Image;
        uint loaded = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(image[20..]) - System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(image[16..]);
        Assert.True(loaded < 1024, $"a kernel that prints one line loads {loaded} bytes");
    }
}
