using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Iced.Intel;

namespace Translator.KernelCompiler.CodeGen;

/// <summary>
/// The human-readable listing of an image: every instruction with its address, bytes and disassembly, under the
/// function and source line it came from, with branch targets named.
/// </summary>
internal sealed class Listing
{
    private readonly List<(int Instruction, string Text)> _marks = new();
    private readonly List<(int Instruction, string File, int Line)> _lines = new();

    /// <summary>Puts <paramref name="text"/> above the next instruction emitted.</summary>
    public void Mark(CodeBuffer code, string text) => _marks.Add((code.InstructionCount, text));

    /// <summary>As <see cref="Mark"/>, for a source line: the next instruction is the first of <paramref name="file"/>:<paramref name="line"/>.</summary>
    public void MarkLine(CodeBuffer code, string file, int line, string text)
    {
        Mark(code, text);
        _lines.Add((code.InstructionCount, file, line));
    }

    /// <summary>The first address of each source line's code, in code order: the image map's line table.</summary>
    public IEnumerable<(uint Address, string File, int Line)> LineTable(EncodedCode code)
    {
        foreach ((int instruction, string file, int line) in _lines)
        {
            yield return (code.InstructionAddress(instruction), file, line);
        }
    }

    public string Write(EncodedCode code, IReadOnlyDictionary<uint, string> names, string header)
    {
        var marksByAddress = new Dictionary<uint, List<string>>();
        foreach ((int instruction, string text) in _marks)
        {
            uint address = code.InstructionAddress(instruction);
            if (!marksByAddress.TryGetValue(address, out List<string>? list))
            {
                list = new List<string>();
                marksByAddress[address] = list;
            }

            list.Add(text);
        }

        var formatter = new NasmFormatter(new NameResolver(names));
        formatter.Options.HexPrefix = "0x";
        formatter.Options.HexSuffix = null;
        formatter.Options.UppercaseHex = false;
        formatter.Options.SpaceAfterOperandSeparator = true;
        formatter.Options.FirstOperandCharIndex = 8;

        var listing = new StringBuilder(header);
        var output = new StringOutput();
        var decoder = Iced.Intel.Decoder.Create(32, new ByteArrayCodeReader(code.Bytes), code.CodeBase);
        while (decoder.IP < code.CodeBase + (ulong)code.Bytes.Length)
        {
            uint address = (uint)decoder.IP;
            if (marksByAddress.TryGetValue(address, out List<string>? marks))
            {
                foreach (string mark in marks)
                {
                    listing.Append(mark).Append('\n');
                }
            }

            decoder.Decode(out Instruction instruction);
            formatter.Format(instruction, output);
            listing.Append("  ").Append(address.ToString("x8", CultureInfo.InvariantCulture)).Append("  ");
            int offset = (int)(address - code.CodeBase);
            var bytes = new StringBuilder();
            for (int i = 0; i < instruction.Length; i++)
            {
                bytes.Append(code.Bytes[offset + i].ToString("x2", CultureInfo.InvariantCulture));
            }

            listing.Append(bytes.ToString().PadRight(20)).Append(output.ToStringAndReset()).Append('\n');
        }

        return listing.ToString();
    }

    private sealed class NameResolver(IReadOnlyDictionary<uint, string> names) : ISymbolResolver
    {
        public bool TryGetSymbol(in Instruction instruction, int operand, int instructionOperand, ulong address, int addressSize, out SymbolResult symbol)
        {
            if (address <= uint.MaxValue && names.TryGetValue((uint)address, out string? name))
            {
                symbol = new SymbolResult(address, name);
                return true;
            }

            symbol = default;
            return false;
        }
    }
}
