using System.Collections.Generic;
using Translator.KernelCompiler.CodeGen;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Linking;

internal sealed partial class KernelLinker
{
    /// <summary>
    /// A table of strings or arrays: each row laid out in the image (with its length word), then the table, whose
    /// elements are the rows' absolute addresses, written once the data segment's base is known (as pointer cells).
    /// </summary>
    private DataAddress PlaceTable(GuestField table)
    {
        var rows = new List<DataAddress>();
        foreach (GuestField row in table.Rows!.Value)
        {
            DataAddress address = row.Storage == FieldStorage.String ? PlaceString(row.Text ?? "") : PlaceRow(row);
            uint size = row.Storage == FieldStorage.String ? (uint)(row.Text ?? "").Length * 2 : (uint)(row.Length * row.Type.ElementType.StorageSize);
            _dataSymbols.Add((row.Name, address, size));
            rows.Add(address);
        }

        DataAddress start = ReserveWithLength(_data, (uint)rows.Count * 4, 4);
        _data.Write(start with { Offset = start.Offset - 4 }, (uint)rows.Count, 4);
        for (int i = 0; i < rows.Count; i++)
        {
            _pointerCells.Add((start with { Offset = start.Offset + (uint)i * 4 }, rows[i]));
        }

        _dataSymbols.Add((table.Name, start, (uint)rows.Count * 4));
        return start;
    }

    /// <summary>One array row of a jagged table: its length word and its elements (zero past the given ones).</summary>
    private DataAddress PlaceRow(GuestField row)
    {
        uint elementSize = (uint)row.Type.ElementType.StorageSize;
        DataAddress address = ReserveWithLength(_data, elementSize * (uint)row.Length, 4);
        _data.Write(address with { Offset = address.Offset - 4 }, (uint)row.Length, 4);
        for (int i = 0; i < row.Initial.Count; i++)
        {
            _data.Write(address with { Offset = address.Offset + (uint)i * elementSize }, row.Initial[i], (int)elementSize);
        }

        return address;
    }
}
