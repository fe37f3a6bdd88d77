using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Iced.Intel;
using Translator.KernelCompiler.CodeGen;
using Translator.KernelCompiler.Model;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.KernelCompiler.Linking;

/// <summary>
/// The link stage: from the kernel class and every guest code class, keeps what the entry point and the interrupt
/// handlers reach, lays out data, compiles and encodes the code, and wraps it all in a flat multiboot image:
/// <c>[header][code][data]</c> loaded at 1 MiB, then the zeroed segment (bss) with the boot stack.
/// </summary>
internal sealed partial class KernelLinker
{
    public const uint LoadAddress = 0x0010_0000;
    private const uint HeaderSize = 32;
    private const uint MultibootMagic = 0x1BAD_B002;
    private const uint MultibootAddressFields = 1u << 16;
    private const uint BootStackBytes = 16 * 1024;

    private readonly GuestClassModel _kernel;
    private readonly Dictionary<string, GuestFunction> _functions = new();
    private readonly Dictionary<string, GuestClassModel> _owners = new();
    private readonly Dictionary<string, GuestField> _fields = new();
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly List<DiagnosticInfo> _specializationDiagnostics = new();
    private readonly CodeBuffer _code = new();
    private readonly SegmentBuilder _data = new(Segment.Data);
    private readonly SegmentBuilder _bss = new(Segment.Bss);
    private readonly Listing _listing = new();
    private readonly ImageSymbols _symbols;
    private readonly List<(string Name, DataAddress Address, uint Size)> _dataSymbols = new();

    private KernelLinker(GuestClassModel kernel, IEnumerable<GuestClassModel> classes)
    {
        _kernel = kernel;
        _symbols = new ImageSymbols(_code);
        var specializer = new BuildSpecializer(Build.BareMetal, kernel.Name, _specializationDiagnostics);
        foreach (GuestClassModel model in classes)
        {
            foreach (GuestFunction function in model.Functions)
            {
                _functions[function.Key] = specializer.Specialize(function);
                _owners[function.Key] = model;
            }

            foreach (GuestField field in model.Fields)
            {
                _fields[field.Key] = field;
            }
        }
    }

    public static KernelImageModel Link(GuestClassModel kernel, ImmutableArray<GuestClassModel> code, CancellationToken cancellation)
    {
        var classes = new List<GuestClassModel> { kernel };
        classes.AddRange(code.Where(c => c.Key != kernel.Key).OrderBy(c => c.Key, StringComparer.Ordinal));
        var linker = new KernelLinker(kernel, classes);
        try
        {
            if (classes.Any(c => c.Diagnostics.Count > 0))
            {
                // The classes' own diagnostics say what is wrong; an image would only hide them.
                return linker.Empty();
            }

            return linker.LinkImage(cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            linker._diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InternalError, kernel.Location, kernel.Name, e.Message));
            return linker.Empty();
        }
    }

    private KernelImageModel Empty() => new(_kernel.Namespace, _kernel.Name, _kernel.Modifiers, EquatableArray<byte>.Empty, 0,
        EquatableArray<ImageSymbol>.Empty, "", _diagnostics.ToEquatableArray());

    private KernelImageModel LinkImage(CancellationToken cancellation)
    {
        GuestFunction entry = _kernel.Functions.First(f => f.Kind == FunctionKind.Entry);
        (List<GuestFunction> functions, List<string> fields, List<string> strings) = Reach(entry);
        ReportReachedSpecializationDiagnostics(functions);
        if (_diagnostics.Count > 0)
        {
            return Empty();
        }

        List<GuestFunction> handlers = functions.Where(f => f.Kind == FunctionKind.InterruptHandler).OrderBy(f => f.Vector).ToList();
        foreach (IGrouping<byte, GuestFunction> clash in handlers.GroupBy(h => h.Vector).Where(g => g.Count() > 1))
        {
            _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DuplicateVector, _kernel.Location, clash.Key.ToString("X2"), clash.First().Name));
        }

        if (_diagnostics.Count > 0)
        {
            return Empty();
        }

        List<(GuestField Field, DataAddress Address)> bssArrays = LayOutData(fields, strings);
        DataAddress interruptTable = LayOutInterruptTable(handlers.Count);
        DataAddress panicMessage = _data.Reserve((uint)RuntimeRoutines.PanicMessage.Length, 1);
        _data.Write(panicMessage, RuntimeRoutines.PanicMessage);
        DataAddress stackBottom = _bss.Reserve(BootStackBytes, 16);
        DataAddress stackTop = stackBottom with { Offset = stackBottom.Offset + BootStackBytes };
        _dataSymbols.Add(("boot stack", stackBottom, BootStackBytes));
        _symbols.InterruptTable = interruptTable;
        _symbols.ImageEnd = new DataAddress(Segment.Bss, _bss.Size);

        foreach (GuestFunction function in functions)
        {
            _symbols.AddFunction(function.Key, _code.NewLabel());
        }

        Label start = _code.NewLabel();
        _listing.Mark(_code, "start:");
        RuntimeRoutines.EmitStart(_code, start, _symbols.Function(entry.Key), stackTop, () => InitializeArrayLengths(bssArrays));
        var functionStarts = new List<(string Name, int Instruction)> { ("start", 0) };
        foreach (GuestFunction function in functions)
        {
            cancellation.ThrowIfCancellationRequested();
            functionStarts.Add((function.Name, _code.InstructionCount));
            new FunctionCompiler(_code, _symbols, function, _listing).Compile();
        }

        var stubs = new List<(GuestFunction Handler, Label Stub)>();
        foreach (GuestFunction handler in handlers)
        {
            Label stub = _code.NewLabel();
            string name = $"interrupt 0x{handler.Vector:x2}";
            functionStarts.Add((name, _code.InstructionCount));
            _listing.Mark(_code, name + ":");
            RuntimeRoutines.EmitInterruptStub(_code, stub, handler.Vector, _symbols.Function(handler.Key), handler.ParameterCount == 1);
            stubs.Add((handler, stub));
        }

        functionStarts.Add(("index out of range", _code.InstructionCount));
        _listing.Mark(_code, "index out of range:");
        RuntimeRoutines.EmitBoundsFailure(_code, _symbols.BoundsFailure, panicMessage);
        if (_symbols.UsesDivide64)
        {
            functionStarts.Add(("divide64 unsigned", _code.InstructionCount));
            _listing.Mark(_code, "divide64 unsigned:");
            RuntimeRoutines.EmitUnsignedDivide64(_code, _symbols.UnsignedDivide64);
            functionStarts.Add(("divide64 signed", _code.InstructionCount));
            _listing.Mark(_code, "divide64 signed:");
            RuntimeRoutines.EmitSignedDivide64(_code, _symbols.SignedDivide64, _symbols.UnsignedDivide64);
        }

        uint codeBase = LoadAddress + HeaderSize;
        EncodedCode encoded = _code.Encode(codeBase, codeSize =>
        {
            uint dataBase = SegmentBuilder.AlignUp(codeBase + codeSize, _data.Alignment);
            uint bssBase = SegmentBuilder.AlignUp(dataBase + _data.Size, _bss.Alignment);
            return (dataBase, bssBase);
        });

        WriteInterruptTable(interruptTable, stubs, encoded);
        WritePointerCells(encoded);
        return Finish(encoded, start, functionStarts);
    }

    /// <summary>What the build cannot have (a hypercall in the bare-metal build), reported for the functions it reaches.</summary>
    private void ReportReachedSpecializationDiagnostics(List<GuestFunction> functions)
    {
        var reached = new HashSet<string>();
        foreach (GuestFunction function in functions)
        {
            var single = new List<DiagnosticInfo>();
            new BuildSpecializer(Build.BareMetal, _kernel.Name, single).Specialize(_owners[function.Key].Functions.First(f => f.Key == function.Key));
            foreach (DiagnosticInfo diagnostic in single)
            {
                if (reached.Add(diagnostic.ToString()))
                {
                    _diagnostics.Add(diagnostic);
                }
            }
        }
    }

    /// <summary>Functions reachable from the entry and the interrupt handlers, in a stable order; what they use.</summary>
    private (List<GuestFunction> Functions, List<string> Fields, List<string> Strings) Reach(GuestFunction entry)
    {
        var reached = new HashSet<string>();
        var fields = new List<string>();
        var seenFields = new HashSet<string>();
        var strings = new List<string>();
        var seenStrings = new HashSet<string>();
        var work = new Queue<string>();
        void Add(string key)
        {
            if (reached.Add(key))
            {
                work.Enqueue(key);
            }
        }

        Add(entry.Key);
        foreach (GuestFunction handler in _kernel.Functions.Where(f => f.Kind == FunctionKind.InterruptHandler))
        {
            Add(handler.Key);
        }

        var reachedClasses = new HashSet<string> { _kernel.Key };
        while (work.Count > 0)
        {
            string key = work.Dequeue();
            if (!_functions.TryGetValue(key, out GuestFunction? function))
            {
                _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnresolvedCall, _kernel.Location, _kernel.Name, key.StartsWith("M:") ? key.Substring(2) : key));
                continue;
            }

            // Reaching a guest code class brings its interrupt handlers with it (a library can own a vector).
            GuestClassModel owner = _owners[key];
            if (reachedClasses.Add(owner.Key))
            {
                foreach (GuestFunction handler in owner.Functions.Where(f => f.Kind == FunctionKind.InterruptHandler))
                {
                    Add(handler.Key);
                }
            }

            var walker = new IrWalker();
            walker.Visit(function.Body);
            foreach (string callee in walker.Functions)
            {
                Add(callee);
            }

            foreach (string field in walker.Fields.Where(seenFields.Add))
            {
                fields.Add(field);
            }

            foreach (string text in walker.Strings.Where(seenStrings.Add))
            {
                strings.Add(text);
            }
        }

        // Declaration order, kernel first: the listing reads like the source.
        var ordered = new List<GuestFunction>();
        foreach (GuestClassModel model in _owners.Values.Distinct().OrderBy(m => m.IsKernel ? 0 : 1).ThenBy(m => m.Key, StringComparer.Ordinal))
        {
            ordered.AddRange(model.Functions.Where(f => reached.Contains(f.Key)));
        }

        return (ordered, fields, strings);
    }

    /// <summary>Places fields and literals; returns the zero-initialised arrays, whose length words start must write.</summary>
    private List<(GuestField Field, DataAddress Address)> LayOutData(List<string> fieldKeys, List<string> strings)
    {
        var bssArrays = new List<(GuestField, DataAddress)>();
        foreach (string key in fieldKeys)
        {
            if (!_fields.TryGetValue(key, out GuestField? field))
            {
                _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnresolvedCall, _kernel.Location, _kernel.Name, key.StartsWith("F:") ? key.Substring(2) : key));
                continue;
            }

            switch (field.Storage)
            {
                case FieldStorage.Scalar:
                {
                    uint size = (uint)field.Type.StorageSize;
                    DataAddress address = _data.Reserve(size, size);
                    if (field.Initial.Count > 0)
                    {
                        _data.Write(address, field.Initial[0], (int)size);
                    }

                    _symbols.AddField(field, address, null);
                    _dataSymbols.Add((field.Name, address, size));
                    break;
                }

                case FieldStorage.String:
                {
                    DataAddress address = PlaceString(field.Text ?? "");
                    _symbols.AddField(field, address, MutableCell(field, address));
                    _dataSymbols.Add((field.Name, address, (uint)(field.Text ?? "").Length * 2));
                    break;
                }

                default:
                {
                    uint elementSize = (uint)field.Type.ElementType.StorageSize;
                    uint bytes = elementSize * (uint)field.Length;
                    uint alignment = (uint)Math.Max(field.Alignment, 4);
                    SegmentBuilder segment = field.InImage ? _data : _bss;
                    DataAddress address = ReserveWithLength(segment, bytes, alignment);
                    if (segment == _data)
                    {
                        _data.Write(address with { Offset = address.Offset - 4 }, (uint)field.Length, 4);
                        for (int i = 0; i < field.Initial.Count; i++)
                        {
                            _data.Write(address with { Offset = address.Offset + (uint)i * elementSize }, field.Initial[i], (int)elementSize);
                        }
                    }
                    else
                    {
                        bssArrays.Add((field, address));
                    }

                    _symbols.AddField(field, address, MutableCell(field, address));
                    _dataSymbols.Add((field.Name, address, bytes));
                    break;
                }
            }
        }

        foreach (string text in strings)
        {
            _symbols.AddString(text, PlaceString(text));
        }

        return bssArrays;
    }

    /// <summary>Reserves a length word followed by <paramref name="bytes"/> aligned to <paramref name="alignment"/>.</summary>
    private static DataAddress ReserveWithLength(SegmentBuilder segment, uint bytes, uint alignment)
    {
        uint start = SegmentBuilder.AlignUp(segment.Size + 4, alignment);
        segment.Reserve(start - segment.Size, 1);
        return segment.Reserve(bytes, alignment);
    }

    private DataAddress PlaceString(string text)
    {
        DataAddress address = ReserveWithLength(_data, (uint)text.Length * 2 + 2, 4);
        _data.Write(address with { Offset = address.Offset - 4 }, (uint)text.Length, 4);
        for (int i = 0; i < text.Length; i++)
        {
            _data.Write(address with { Offset = address.Offset + (uint)i * 2 }, text[i], 2);
        }

        return address;
    }

    private readonly List<(DataAddress Cell, DataAddress Target)> _pointerCells = new();

    /// <summary>A non-readonly array or string field is a variable holding a reference: a dword cell.</summary>
    private DataAddress? MutableCell(GuestField field, DataAddress target)
    {
        if (field.IsReadOnly)
        {
            return null;
        }

        DataAddress cell = _data.Reserve(4, 4);
        _pointerCells.Add((cell, target));
        return cell;
    }

    private DataAddress LayOutInterruptTable(int handlers)
    {
        DataAddress table = ReserveWithLength(_data, (uint)handlers * 12, 4);
        _data.Write(table with { Offset = table.Offset - 4 }, (uint)handlers * 3, 4);
        _dataSymbols.Add(("interrupt handlers", table, (uint)handlers * 12));
        return table;
    }

    private void InitializeArrayLengths(List<(GuestField Field, DataAddress Address)> bssArrays)
    {
        foreach ((GuestField field, DataAddress address) in bssArrays)
        {
            DataAddress length = address with { Offset = address.Offset - 4 };
            _code.A.mov(__dword_ptr[(long)CodeBuffer.Placeholder(length)], field.Length);
            _code.RelocateLast(length, displacement: true);
        }
    }

    private void WriteInterruptTable(DataAddress table, List<(GuestFunction Handler, Label Stub)> stubs, EncodedCode encoded)
    {
        for (int i = 0; i < stubs.Count; i++)
        {
            DataAddress entry = table with { Offset = table.Offset + (uint)i * 12 };
            _data.Write(entry, stubs[i].Handler.Vector, 4);
            _data.Write(entry with { Offset = entry.Offset + 4 }, encoded.LabelAddress(stubs[i].Stub), 4);
            _data.Write(entry with { Offset = entry.Offset + 8 }, stubs[i].Handler.UserCallable ? 1u : 0u, 4);
        }
    }

    private void WritePointerCells(EncodedCode encoded)
    {
        foreach ((DataAddress cell, DataAddress target) in _pointerCells)
        {
            _data.Write(cell, Absolute(encoded, target), 4);
        }
    }

    private static uint Absolute(EncodedCode encoded, DataAddress address)
        => (address.Segment == Segment.Data ? encoded.DataBase : encoded.BssBase) + address.Offset;
}
