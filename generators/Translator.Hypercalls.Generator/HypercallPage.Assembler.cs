using System.Collections.Generic;
using System.IO;
using Iced.Intel;
using Translator.Hypercalls.Generator.Model;
using Translator.KernelCompiler.Model;
using Translator.Paravirt.Abi;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Hypercalls.Generator;

/// <summary>One 32-byte stub of the hypercall page: its bytes and their disassembly.</summary>
internal sealed class HypercallStub
{
    public HypercallStub(int number, string name, byte[] bytes, string disassembly)
    {
        Number = number;
        Name = name;
        Bytes = bytes;
        Disassembly = disassembly;
    }

    public int Number { get; }

    /// <summary>The hypercall's name, or empty for a number the table does not define (its stub returns -ENOSYS).</summary>
    public string Name { get; }

    public byte[] Bytes { get; }

    public string Disassembly { get; }
}

/// <summary>
/// Assembles the hypercall page with Iced at generation time: 128 stubs of 32 bytes, stub n at offset 32 * n,
/// <c>mov eax, n; int 0x82; ret</c> (a NoReturn hypercall: <c>push eax; mov eax, n; int 0x82</c>), the rest int3.
/// </summary>
internal static class HypercallPageAssembler
{
    public const int StubBytes = HypercallNumber.StubBytes;
    public const byte Int3 = 0xCC;

    public static List<HypercallStub> Assemble(EquatableArray<HypercallModel> hypercalls)
    {
        var byNumber = new Dictionary<int, HypercallModel>();
        foreach (HypercallModel hypercall in hypercalls)
        {
            byNumber[hypercall.Number] = hypercall;
        }

        var formatter = new NasmFormatter();
        formatter.Options.HexPrefix = "0x";
        formatter.Options.HexSuffix = null;
        formatter.Options.UppercaseHex = false;
        formatter.Options.SpaceAfterOperandSeparator = true;

        var stubs = new List<HypercallStub>(HypercallNumber.StubCount);
        for (int number = 0; number < HypercallNumber.StubCount; number++)
        {
            byNumber.TryGetValue(number, out HypercallModel? hypercall);
            var assembler = new Assembler(32);
            if (hypercall?.NoReturn == true)
            {
                assembler.push(eax);
                assembler.mov(eax, number);
                assembler.@int(HypercallNumber.Vector);
            }
            else
            {
                assembler.mov(eax, number);
                assembler.@int(HypercallNumber.Vector);
                assembler.ret();
            }

            using var code = new MemoryStream();
            assembler.Assemble(new StreamCodeWriter(code), 0);
            byte[] bytes = new byte[StubBytes];
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = i < code.Length ? code.GetBuffer()[i] : Int3;
            }

            stubs.Add(new HypercallStub(number, hypercall?.Name ?? "", bytes, Disassemble(formatter, bytes, (int)code.Length)));
        }

        return stubs;
    }

    private static string Disassemble(Formatter formatter, byte[] bytes, int length)
    {
        var decoder = Decoder.Create(32, new ByteArrayCodeReader(bytes, 0, length));
        var output = new StringOutput();
        var parts = new List<string>();
        while (decoder.IP < (ulong)length)
        {
            decoder.Decode(out Instruction instruction);
            formatter.Format(instruction, output);
            parts.Add(output.ToStringAndReset());
        }

        parts.Add($"int3 x {StubBytes - length}");
        return string.Join("; ", parts);
    }
}
