using System.Globalization;
using Iced.Intel;
using Translator.Tests.Shared;
using Xunit;

namespace Translator.Translation.Tests;

/// <summary>
/// Where code is cut into translated methods: at function starts, so a function that fits in one method (a weight
/// of at most 384: one per instruction, two for one that accesses memory or may fault) is never split, even where it
/// runs on into the next page. A split function's loops and jump-table dispatch cross methods (an indirect jump to
/// another method goes through the image's dispatch and that method's entry switch): interp.elf's bytecode loop ran
/// 1.4x slower cut in two, bench.elf's quicksort, cut at a page boundary, 1.1x.
/// </summary>
public sealed class MethodFormationTests
{
    private const int MaxMethodWeight = 384;

    [Theory]
    [InlineData("interp-small.elf", "run")]
    [InlineData("bench.elf", "quick.constprop.0")] // runs from 0x00100F00 on into the page at 0x00101000
    [InlineData("sort.elf", null)]
    public void NoMethodStartsInsideAFunctionThatFitsInOne(string name, string? mustBeWhole)
    {
        byte[] image = GuestImageTests.Load(name);
        TranslationResult result = BinaryTranslator.Translate(image, new TranslationOptions { LayoutOnly = true });
        uint[] methodStarts = result.Layout!.Methods.Select(m => m.CodeStart).ToArray();
        List<(string Name, uint Start, uint Size)> functions = FunctionSymbols(name);
        Assert.NotEmpty(functions);

        var checkedFunctions = new List<string>();
        foreach ((string function, uint start, uint size) in functions)
        {
            uint end = start + size;
            if (size == 0 || ((end - 1) >> 12) - (start >> 12) > 1 || Weigh(image, result, start, end) > MaxMethodWeight)
            {
                continue; // spans more than two pages (a method holds at most two) or is too long for one method
            }

            checkedFunctions.Add(function);
            uint[] inside = methodStarts.Where(s => s > start && s < end).ToArray();
            Assert.True(inside.Length == 0,
                $"{name}: {function} (0x{start:X8}-0x{end:X8}) is cut by methods starting at {string.Join(", ", inside.Select(s => $"0x{s:X8}"))}");
        }

        Assert.True(checkedFunctions.Count > 3, $"{name}: only {checkedFunctions.Count} functions checked");
        if (mustBeWhole is not null)
        {
            Assert.Contains(mustBeWhole, checkedFunctions);
        }
    }

    /// <summary>
    /// The weight of [start, end): its instructions, with those that touch memory (or push, pop, call, return or
    /// divide) counted twice; 0 when the function was not translated at all.
    /// </summary>
    private static int Weigh(byte[] image, TranslationResult result, uint start, uint end)
    {
        TranslatedMethodSource? holder = result.Layout!.Methods.FirstOrDefault(m => m.CodeStart <= start && start < m.CodeStart + (uint)m.GuestBytes.Length);
        if (holder is null)
        {
            return 0; // not translated (unreached)
        }

        // The function may run past this method's bytes (that is what the test looks for): decode from the ELF file.
        byte[] code = FunctionBytes(image, start, end);
        var decoder = Decoder.Create(32, new ByteArrayCodeReader(code), start);
        int weight = 0;
        while (decoder.IP < end)
        {
            decoder.Decode(out Instruction instruction);
            bool touchesMemory = instruction.Mnemonic is not (Mnemonic.Lea or Mnemonic.Nop)
                && Enumerable.Range(0, instruction.OpCount).Any(n => instruction.GetOpKind(n) == OpKind.Memory);
            bool mayFault = touchesMemory || instruction.Mnemonic is Mnemonic.Push or Mnemonic.Pop or Mnemonic.Call or Mnemonic.Ret
                or Mnemonic.Leave or Mnemonic.Div or Mnemonic.Idiv;
            weight += mayFault ? 2 : 1;
        }

        return weight;
    }

    /// <summary>The bytes at linear [start, end) from the ELF's program headers.</summary>
    private static byte[] FunctionBytes(byte[] elf, uint start, uint end)
    {
        uint phoff = BitConverter.ToUInt32(elf, 28);
        int phentsize = BitConverter.ToUInt16(elf, 42), phnum = BitConverter.ToUInt16(elf, 44);
        for (int p = 0; p < phnum; p++)
        {
            int h = (int)phoff + p * phentsize;
            uint offset = BitConverter.ToUInt32(elf, h + 4), vaddr = BitConverter.ToUInt32(elf, h + 8), filesz = BitConverter.ToUInt32(elf, h + 16);
            if (BitConverter.ToUInt32(elf, h) == 1 && start >= vaddr && end <= vaddr + filesz)
            {
                return elf.AsSpan((int)(offset + (start - vaddr)), (int)(end - start)).ToArray();
            }
        }

        throw new InvalidOperationException($"0x{start:X8}-0x{end:X8} is not in a loaded segment");
    }

    /// <summary>The image's function symbols with their sizes, as binutils' nm reads them.</summary>
    private static List<(string Name, uint Start, uint Size)> FunctionSymbols(string name)
    {
        string path = Path.Combine(RepositoryRoot.Path, "tests", "guests", "build", name);
        ProcessResult nm = ProcessRunner.Run("nm", ["-S", "--defined-only", path], TimeSpan.FromMinutes(1));
        Assert.Equal(0, nm.ExitCode);
        var functions = new List<(string, uint, uint)>();
        foreach (string line in nm.StandardOutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 4 && fields[2] is "t" or "T")
            {
                functions.Add((fields[3], uint.Parse(fields[0], NumberStyles.HexNumber), uint.Parse(fields[1], NumberStyles.HexNumber)));
            }
        }

        return functions;
    }
}
