using Translator.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace Translator.Guest.Tests;

/// <summary>
/// <see cref="StructSemantics.Evaluate"/> as .NET code and as guest code over the same operands: struct layouts and
/// copies, explicit layouts, fixed buffers, pointer arithmetic and refs must agree bit for bit, natively and on QEMU.
/// </summary>
public sealed class StructSemanticsTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(5, "native")]
    [InlineData(6, "native")]
    [InlineData(7, "qemu")]
    public void GuestAgreesWithDotNet(int seed, string backend)
    {
        ulong[] inputs = IntegerSemanticsTests.Operands(seed);
        byte[] image = IntegerSemanticsTests.PatchInputs(StructSemantics.Image.ToArray(), inputs, StructSemantics.Symbols, "StructSemantics.Inputs");

        GuestRun run = backend == "qemu" ? GuestRunner.Qemu(image) : GuestRunner.Native(image);
        output.WriteLine($"ran on {run.Backend}: exit {run.ExitCode}, {run.Console.Length} console bytes; {run.Message}");

        IntegerSemanticsTests.AssertAgrees(run, inputs, StructSemantics.Cases, StructSemantics.Operations, StructSemantics.Evaluate);
    }
}
