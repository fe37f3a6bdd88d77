using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Linq;
using System.Text;
using Translator.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace Translator.Guest.Tests;

/// <summary>
/// <see cref="FormattingKernel"/>'s console output against .NET's own interpolation (invariant culture) of the same
/// templates and values, on the native machine and on QEMU: the guest's build-time lowering must write exactly what
/// string.Format writes.
/// </summary>
public sealed class FormattingTests(ITestOutputHelper output)
{
    private static readonly ulong[] s_edges =
    {
        0, 1, 9, 10, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x8000_0000_0000_0000, 0x7FFF_FFFF_FFFF_FFFF,
        0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_8000_0000, 12345, 0xFFFF_FFFF_FFFF_CFC7, 1_000_000_007, 0xDEAD_BEEF_CAFE_F00D,
    };

    [Theory]
    [InlineData("native")]
    [InlineData("qemu")]
    public void GuestWritesWhatDotNetFormats(string backend)
    {
        ulong[] inputs = Operands();
        byte[] image = PatchInputs(FormattingKernel.Image.ToArray(), inputs);
        GuestRun run = backend == "qemu" ? GuestRunner.Qemu(image) : GuestRunner.Native(image);
        output.WriteLine($"ran on {run.Backend}: exit {run.ExitCode}, {run.Console.Length} console bytes; {run.Message}");

        string[] actual = run.Text.Split('\n');
        string[] expected = string.Concat(Enumerable.Range(0, FormattingKernel.Cases).Select(i => Expected(inputs[i * 2], inputs[i * 2 + 1]))).Split('\n');
        for (int line = 0; line < expected.Length; line++)
        {
            string guest = line < actual.Length ? actual[line] : "(missing)";
            Assert.True(expected[line] == guest, $"line {line}: .NET writes\n{expected[line]}\nthe guest ({run.Backend})\n{guest}\n{run.Message}");
        }

        Assert.Equal(1, run.ExitCode);
    }

    /// <summary>The kernel's templates, formatted by .NET.</summary>
    private static string Expected(ulong a, ulong b)
    {
        int ia = (int)a;
        uint ua = (uint)a;
        long lb = (long)b;
        short sa = (short)a;
        ushort wb = (ushort)b;
        sbyte yb = (sbyte)b;
        byte ba = (byte)a;
        char c = (char)('A' + ua % 26);
        bool flag = (ua & 1) != 0;
        string s_word = "guest";
        var text = new StringBuilder();
        IFormatProvider invariant = CultureInfo.InvariantCulture;
        text.Append(string.Create(invariant, $"int {ia} [{ia,12}] [{ia,-12}] [{ia,3}] {ia:D8} {ia:d2} {ia:X} {ia:x8} [{ia,10:X4}] {ia:G}\n"));
        text.Append(string.Create(invariant, $"uint {ua} [{ua,3}] {ua:D12} {ua:X2} [{ua,-11:x}] [{ua,14:D11}]\n"));
        text.Append(string.Create(invariant, $"long {lb} [{lb,25}] [{lb,-22:D20}] {lb:X16} {lb:x} {lb:X3}\n"));
        text.Append(string.Create(invariant, $"ulong {b} {b:X} [{b,24:D}] {b:x3} [{b,-1}]\n"));
        text.Append(string.Create(invariant, $"narrow {sa} {sa:X} {wb:x} {yb} {yb:X} [{yb,-5:D3}] {ba:X2} [{ba,4}]\n"));
        text.Append(string.Create(invariant, $"text [{c}] [{c,3}] [{c,-3}] [{flag}] [{flag,6}] [{flag,-7}] [{s_word,8}] [{s_word,-8}] [{s_word,2}] {{braces}}\n"));
        text.Append(string.Create(invariant, $"tick {ia,8} cr3={ua:X8} delta={lb - ia}\n"));
        text.Append(string.Format(invariant, "{0} {1} {2} {3} {4}\n", ia, lb, b, ua, flag));
        text.Append(string.Create(invariant, $"log [{ia,-12:x}] {ua:D10} {lb,22} {c}{flag,6} {s_word,-7}| level {sa}\n"));
        text.Append(string.Create(invariant, $"{b:X16} and {yb,4} level 0\n"));
        char[] letters = { 'k', 'e', 'r', 'n' };
        text.Append(string.Create(invariant, $"{lb}\n{b}\n{ia}\n{ua}\n{c}\n{flag}\n{new string(letters)}{new string(letters)}\n{ba}{sa}{wb}{yb}\n"));
        return text.ToString();
    }

    /// <summary>Edge values (int.MinValue, long.MinValue, 0, ...) first, then random ones.</summary>
    private static ulong[] Operands()
    {
        var random = new Random(15);
        var operands = new ulong[FormattingKernel.Cases * 2];
        for (int i = 0; i < operands.Length; i++)
        {
            operands[i] = i < s_edges.Length ? s_edges[i] : i % 2 == 0 ? (ulong)random.NextInt64(long.MinValue, long.MaxValue) : (ulong)random.NextInt64(-100_000, 100_000);
        }

        // Each edge value as b too (a's low half covers the 32-bit ones).
        for (int i = 0; i < s_edges.Length && 2 * i + 1 < operands.Length; i++)
        {
            operands[2 * i + 1] = s_edges[s_edges.Length - 1 - i];
        }

        return operands;
    }

    private static byte[] PatchInputs(byte[] image, ulong[] inputs)
    {
        GuestSymbol symbol = FormattingKernel.Symbols.Single(s => s.Name == "FormattingKernel.Inputs");
        int offset = (int)(symbol.Address - 0x0010_0000);
        for (int i = 0; i < inputs.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(offset + i * 8), inputs[i]);
        }

        return image;
    }
}
