using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.Parsing;

/// <summary>
/// Tables of strings and of arrays (<c>static readonly string[] Names = { "idle", "run" }</c>,
/// <c>static readonly byte[][] Rows = { new byte[] { 1, 2 }, [3] }</c>): every row is laid out in the image at build
/// time (a string or an array with its length word) and the table holds the rows' addresses. Every row must be given:
/// a guest reference is never null (guest code has no null to test), so a table with an empty row would read
/// memory .NET refuses to read (a NullReferenceException).
/// </summary>
internal static class ConstantTables
{
    private const string Instead = "list every row at build time, e.g. static readonly string[] Names = { \"idle\", \"run\" }; or static readonly byte[][] Rows = { new byte[] { 1, 2 }, new byte[4] };";

    public static GuestField? Parse(string key, string name, GuestType type, bool isReadOnly, IOperation? initializer, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        IEnumerable<IOperation>? elements = initializer switch
        {
            IArrayCreationOperation { Initializer: { } given } => given.ElementValues,
            IArrayInitializerOperation given => given.ElementValues,
            ICollectionExpressionOperation collection => collection.Elements,
            _ => null,
        };

        var rows = new List<GuestField>();
        foreach (IOperation element in elements ?? System.Array.Empty<IOperation>())
        {
            IOperation row = element;
            while (row is IConversionOperation { IsImplicit: true } conversion && !row.ConstantValue.HasValue)
            {
                row = conversion.Operand;
            }

            string rowKey = key + "[" + rows.Count + "]";
            string rowName = name + "[" + rows.Count + "]";
            GuestField? parsed = type.Element == ValueKind.String
                ? row.ConstantValue is { HasValue: true, Value: string text }
                    ? new GuestField(rowKey, rowName, GuestType.String, FieldStorage.String, true, text.Length, EquatableArray<ulong>.Empty, text, 4, true)
                    : null
                : GuestClassParser.ParseArray(rowKey, rowName, type.ElementType, true, row, 4, inImage: true);
            if (parsed is null)
            {
                Refuse(diagnostics, location, name, type.Element == ValueKind.String ? "row " + rows.Count + " is not a string constant" : "row " + rows.Count + " is not an array of constants or new T[length]");
                return null;
            }

            rows.Add(parsed);
        }

        if (elements is null)
        {
            Refuse(diagnostics, location, name, initializer is null ? "it has no initializer, so its rows would be null" : "its rows are not listed, so they would be null");
            return null;
        }

        return new GuestField(key, name, type, FieldStorage.Array, isReadOnly, rows.Count, EquatableArray<ulong>.Empty, null, 4, true, rows.ToEquatableArray());
    }

    private static void Refuse(List<DiagnosticInfo> diagnostics, LocationInfo? location, string name, string reason)
        => diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TableInitializer, location, name, reason, Instead));
}
