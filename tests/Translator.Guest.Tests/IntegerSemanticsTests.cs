using System;
using System.Buffers.Binary;
using System.Linq;
using System.Text;
using Translator.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace Translator.Guest.Tests;

/// <summary>
/// Property tests of the kernel compiler's semantics: <see cref="IntegerSemantics.Evaluate"/> runs as .NET code and
/// as guest code over the same random and edge-case operands, and every result must agree bit for bit.
/// </summary>
public sealed class IntegerSemanticsTests(ITestOutputHelper output)
{
    private static readonly ulong[] s_edges =
    {
        0, 1, 2, 3, 5, 7, 10, 31, 32, 33, 63, 64, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
        0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 0x1_0000_0001, 0x7FFF_FFFF_FFFF_FFFF,
        0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFE, 0xFFFF_FFFF_8000_0000,
        0xFFFF_FFFF_7FFF_FFFF, 0xFFFF_FFFF_FFFF_FFF9, 1_000_000_007, 0xDEAD_BEEF_CAFE_F00D,
    };

    [Theory]
    [InlineData(1, "native")]
    [InlineData(2, "native")]
    [InlineData(3, "native")]
    [InlineData(4, "qemu")]
    public void GuestAgreesWithDotNet(int seed, string backend)
    {
        ulong[] inputs = Operands(seed);
        byte[] image = PatchInputs(IntegerSemantics.Image.ToArray(), inputs, IntegerSemantics.Symbols, "IntegerSemantics.Inputs");

        GuestRun run = backend == "qemu" ? GuestRunner.Qemu(image) : GuestRunner.Native(image);
        output.WriteLine($"ran on {run.Backend}: exit {run.ExitCode}, {run.Console.Length} console bytes; {run.Message}");

        AssertAgrees(run, inputs, IntegerSemantics.Cases, IntegerSemantics.Operations, IntegerSemantics.Evaluate);
    }

    /// <summary>Each line the guest printed is <paramref name="evaluate"/>'s .NET result for its case and operation.</summary>
    internal static void AssertAgrees(GuestRun run, ulong[] inputs, int cases, int operations, Func<int, ulong, ulong, ulong> evaluate)
    {
        string[] lines = run.Text.Split('\n');
        int line = 0;
        for (int i = 0; i < cases; i++)
        {
            ulong a = inputs[i * 2], b = inputs[i * 2 + 1];
            for (int op = 0; op < operations; op++, line++)
            {
                string expected = evaluate(op, a, b).ToString("x16");
                string actual = line < lines.Length ? lines[line] : "(missing)";
                Assert.True(expected == actual,
                    $"operation {op} on a=0x{a:x16} b=0x{b:x16}: .NET gives {expected}, the guest ({run.Backend}) {actual}; {run.Message}");
            }
        }

        Assert.Equal(1, run.ExitCode);
    }

    internal static ulong[] Operands(int seed)
    {
        var random = new Random(seed);
        var operands = new ulong[IntegerSemantics.Cases * 2];
        for (int i = 0; i < operands.Length; i++)
        {
            operands[i] = random.Next(5) switch
            {
                0 or 1 => s_edges[random.Next(s_edges.Length)],
                2 => (ulong)random.NextInt64(-1000, 1000),
                3 => (ulong)(long)random.Next(int.MinValue, int.MaxValue),
                _ => (ulong)random.NextInt64(long.MinValue, long.MaxValue),
            };
        }

        return operands;
    }

    /// <summary>Writes the operands into the image's <c>Inputs</c> array (an [InImage] field, so it is in the file).</summary>
    internal static byte[] PatchInputs(byte[] image, ulong[] inputs, System.Collections.Generic.IEnumerable<GuestSymbol> symbols, string name)
    {
        GuestSymbol symbol = symbols.Single(s => s.Name == name);
        Assert.Equal((uint)(inputs.Length * 8), symbol.Size);
        int offset = (int)(symbol.Address - 0x0010_0000);
        for (int i = 0; i < inputs.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(offset + i * 8), inputs[i]);
        }

        return image;
    }
}
