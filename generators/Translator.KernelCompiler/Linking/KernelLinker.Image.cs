using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Iced.Intel;
using Translator.KernelCompiler.CodeGen;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Linking;

internal sealed partial class KernelLinker
{
    /// <summary>Writes the multiboot header, code and data into the image and builds the symbol map and listing.</summary>
    private KernelImageModel Finish(EncodedCode encoded, Label start, List<(string Name, int Instruction)> functionStarts)
    {
        byte[] data = _data.ToArray();
        uint loadEnd = encoded.DataBase + (uint)data.Length;
        uint bssEnd = encoded.BssBase + _bss.Size;
        var image = new byte[loadEnd - LoadAddress];
        uint entry = encoded.LabelAddress(start);

        uint flags = MultibootAddressFields;
        WriteWord(image, 0, MultibootMagic);
        WriteWord(image, 4, flags);
        WriteWord(image, 8, unchecked(0u - MultibootMagic - flags));
        WriteWord(image, 12, LoadAddress);
        WriteWord(image, 16, LoadAddress);
        WriteWord(image, 20, loadEnd);
        WriteWord(image, 24, bssEnd);
        WriteWord(image, 28, entry);
        Array.Copy(encoded.Bytes, 0, image, encoded.CodeBase - LoadAddress, encoded.Bytes.Length);
        Array.Copy(data, 0, image, encoded.DataBase - LoadAddress, data.Length);

        var symbols = new List<ImageSymbol>();
        var names = new Dictionary<uint, string>();
        for (int i = 0; i < functionStarts.Count; i++)
        {
            uint address = encoded.InstructionAddress(functionStarts[i].Instruction);
            uint end = i + 1 < functionStarts.Count
                ? encoded.InstructionAddress(functionStarts[i + 1].Instruction)
                : encoded.CodeBase + (uint)encoded.Bytes.Length;
            symbols.Add(new ImageSymbol(functionStarts[i].Name, address, end - address, true));
            names[address] = functionStarts[i].Name;
        }

        foreach ((string name, DataAddress address, uint size) in _dataSymbols)
        {
            uint absolute = Absolute(encoded, address);
            symbols.Add(new ImageSymbol(name, absolute, size, false));
            if (!names.ContainsKey(absolute))
            {
                names[absolute] = name;
            }
        }

        var header = new StringBuilder();
        header.Append("; kernel ").Append(_kernel.Key).Append('\n');
        header.Append("; multiboot image: load 0x").Append(Hex(LoadAddress)).Append("-0x").Append(Hex(loadEnd))
            .Append(", bss to 0x").Append(Hex(bssEnd)).Append(", entry 0x").Append(Hex(entry)).Append('\n');
        header.Append("; code 0x").Append(Hex(encoded.CodeBase)).Append(" (").Append(encoded.Bytes.Length.ToString(CultureInfo.InvariantCulture))
            .Append(" bytes), data 0x").Append(Hex(encoded.DataBase)).Append(" (").Append(data.Length.ToString(CultureInfo.InvariantCulture))
            .Append(" bytes), bss 0x").Append(Hex(encoded.BssBase)).Append(" (").Append(_bss.Size.ToString(CultureInfo.InvariantCulture)).Append(" bytes)\n");
        header.Append(";\n; data\n");
        foreach (ImageSymbol symbol in symbols.Where(s => !s.IsFunction).OrderBy(s => s.Address))
        {
            header.Append(";   ").Append(Hex(symbol.Address)).Append("  ").Append(symbol.Size.ToString(CultureInfo.InvariantCulture).PadLeft(6))
                .Append("  ").Append(symbol.Name).Append('\n');
        }

        header.Append('\n');
        string listing = _listing.Write(encoded, names, header.ToString());
        return new KernelImageModel(_kernel.Namespace, _kernel.Name, _kernel.Modifiers, new EquatableArray<byte>(image), entry,
            symbols.OrderBy(s => s.Address).ToEquatableArray(), listing, _diagnostics.ToEquatableArray());
    }

    private static string Hex(uint value) => value.ToString("x8", CultureInfo.InvariantCulture);

    private static void WriteWord(byte[] image, int offset, uint value)
    {
        image[offset] = (byte)value;
        image[offset + 1] = (byte)(value >> 8);
        image[offset + 2] = (byte)(value >> 16);
        image[offset + 3] = (byte)(value >> 24);
    }
}
