using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Iced.Intel;
using Translator.KernelCompiler.CodeGen;
using Translator.KernelCompiler.Model;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.KernelCompiler.Linking;

/// <summary>
/// The link stage: from the kernel class and every guest code class, builds the kernel twice from the same source
/// (<see cref="Build"/>): the bare-metal multiboot image and the paravirtual (PV) image. Each build keeps what its
/// entry point and interrupt handlers reach and compiles it; both share ONE data layout (the union of what either
/// reaches, at the same addresses), so a kernel that prints where its tables live prints the same in both builds.
/// Layout of either image: <c>[header][code][data]</c> loaded at 1 MiB, then the zeroed segment (bss) with the boot
/// stack; the PV image ends with the page the VMM fills with hypercall stubs.
/// </summary>
internal sealed partial class KernelLinker
{
    public const uint LoadAddress = 0x0010_0000;
    private const uint BootStackBytes = 16 * 1024;

    private readonly GuestClassModel _kernel;
    private readonly Dictionary<string, GuestFunction> _functions = new();
    private readonly Dictionary<string, GuestClassModel> _owners = new();
    private readonly Dictionary<string, GuestField> _fields = new();
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly SegmentBuilder _data = new(Segment.Data);
    private readonly SegmentBuilder _bss = new(Segment.Bss);
    private readonly ImageSymbols _layout = new(new CodeBuffer());
    private readonly List<(string Name, DataAddress Address, uint Size)> _dataSymbols = new();

    private KernelLinker(GuestClassModel kernel, IEnumerable<GuestClassModel> classes)
    {
        _kernel = kernel;
        foreach (GuestClassModel model in classes)
        {
            foreach (GuestFunction function in model.Functions)
            {
                _functions[function.Key] = function;
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
            if (classes.Any(c => c.Diagnostics.Count > 0 || c.RefusedByCSharp))
            {
                // The classes' own diagnostics (or C#'s) say what is wrong; an image would only hide them, and a
                // member C# refused is missing from the model, so linking would report its calls unresolved.
                return linker.Empty();
            }

            return linker.LinkImages(cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            linker._diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InternalError, kernel.Location, kernel.Name, e.Message));
            return linker.Empty();
        }
    }

    private KernelImageModel Empty() => new(_kernel.Namespace, _kernel.Name, _kernel.Modifiers, LinkedImage.None, LinkedImage.None,
        _diagnostics.ToEquatableArray(), !_kernel.Diagnostics.Any(d => d.Id == Diagnostics.ClassShape.Id));

    private KernelImageModel LinkImages(CancellationToken cancellation)
    {
        GuestFunction entry = _kernel.Functions.First(f => f.Kind == FunctionKind.Entry);
        var bare = new BuildLinker(this, Build.BareMetal);
        var pv = new BuildLinker(this, Build.Paravirtual);
        bare.Reach(entry);
        pv.Reach(entry);

        // The bare-metal build's errors are the kernel's; the PV build's reasons (an intrinsic with no PV form) are
        // warnings that leave the kernel without a PV image, never without its bare-metal one.
        _diagnostics.AddRange(bare.Diagnostics);
        _diagnostics.AddRange(pv.Diagnostics.Where(d => !_diagnostics.Contains(d)));
        if (bare.Failed)
        {
            return Empty();
        }

        var builds = pv.Failed ? new[] { bare } : new[] { bare, pv };

        // One data layout: what the bare-metal build reaches in its order, then what only the PV build reaches.
        List<string> fields = bare.Fields.Concat(builds.Length > 1 ? pv.Fields : Enumerable.Empty<string>()).Distinct().ToList();
        List<string> strings = bare.Strings.Concat(builds.Length > 1 ? pv.Strings : Enumerable.Empty<string>()).Distinct().ToList();
        List<(GuestField Field, DataAddress Address)> bssArrays = LayOutData(fields, strings);
        if (_diagnostics.Count(d => d.IsError) > 0)
        {
            return Empty();
        }

        int handlerSlots = builds.Max(b => b.Handlers.Count);
        DataAddress interruptTable = ReserveWithLength(_data, (uint)handlerSlots * 12, 4);
        _dataSymbols.Add(("interrupt handlers", interruptTable, (uint)handlerSlots * 12));
        DataAddress panicMessage = _data.Reserve((uint)RuntimeRoutines.PanicMessage.Length, 1);
        _data.Write(panicMessage, RuntimeRoutines.PanicMessage);
        DataAddress bootRegisters = _data.Reserve(8, 4);
        _dataSymbols.Add(("boot registers", bootRegisters, 8));
        _layout.BootRegisters = bootRegisters;
        DataAddress stackBottom = _bss.Reserve(BootStackBytes, 16);
        DataAddress stackTop = stackBottom with { Offset = stackBottom.Offset + BootStackBytes };
        _dataSymbols.Add(("boot stack", stackBottom, BootStackBytes));
        _layout.InterruptTable = interruptTable;
        _layout.ImageEnd = new DataAddress(Segment.Bss, _bss.Size);
        _layout.HypercallPage = new DataAddress(Segment.HypercallPage, 0);

        foreach (BuildLinker build in builds)
        {
            // Each build's start sets the length words of the zeroed arrays it uses, not the other build's.
            var used = new HashSet<string>(build.Fields);
            build.Compile(stackTop, panicMessage, () => InitializeArrayLengths(build.Code, bssArrays.Where(a => used.Contains(a.Field.Key))), cancellation);
        }

        // Both builds' data at one address: after the longer code.
        uint dataBase = 0;
        foreach (BuildLinker build in builds)
        {
            uint codeSize = build.Code.Measure(build.CodeBase);
            dataBase = Math.Max(dataBase, SegmentBuilder.AlignUp(build.CodeBase + codeSize, _data.Alignment));
        }

        uint bssBase = SegmentBuilder.AlignUp(dataBase + _data.Size, _bss.Alignment);
        uint hypercallPage = SegmentBuilder.AlignUp(bssBase + _bss.Size, 4096);
        foreach (BuildLinker build in builds)
        {
            build.Encoded = build.Code.Place(dataBase, bssBase, hypercallPage);
        }

        WritePointerCells(dataBase, bssBase);
        LinkedImage bareImage = bare.Finish(interruptTable);
        LinkedImage pvImage = builds.Length > 1 ? pv.Finish(interruptTable) : LinkedImage.None;
        _diagnostics.AddRange(pv.Diagnostics.Where(d => !_diagnostics.Contains(d)));
        return new KernelImageModel(_kernel.Namespace, _kernel.Name, _kernel.Modifiers, bareImage,
            pv.Failed ? LinkedImage.None : pvImage, _diagnostics.ToEquatableArray());
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
                    // A struct is zeroed data: the bss keeps a page directory out of the image file.
                    uint size = (uint)field.Type.StorageSize;
                    DataAddress address = field.InImage ? _data.Reserve(size, (uint)field.Alignment) : _bss.Reserve(size, (uint)field.Alignment);
                    if (field.Initial.Count > 0)
                    {
                        _data.Write(address, field.Initial[0], (int)size);
                    }

                    _layout.AddField(field, address, null);
                    _dataSymbols.Add((field.Name, address, size));
                    break;
                }

                case FieldStorage.String:
                {
                    DataAddress address = PlaceString(field.Text ?? "");
                    _layout.AddField(field, address, MutableCell(field, address));
                    _dataSymbols.Add((field.Name, address, (uint)(field.Text ?? "").Length * 2));
                    break;
                }

                case FieldStorage.Array when field.Rows is not null:
                {
                    DataAddress table = PlaceTable(field);
                    _layout.AddField(field, table, MutableCell(field, table));
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

                    _layout.AddField(field, address, MutableCell(field, address));
                    _dataSymbols.Add((field.Name, address, bytes));
                    break;
                }
            }
        }

        foreach (string text in strings)
        {
            _layout.AddString(text, PlaceString(text));
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

    private static void InitializeArrayLengths(CodeBuffer code, IEnumerable<(GuestField Field, DataAddress Address)> bssArrays)
    {
        foreach ((GuestField field, DataAddress address) in bssArrays)
        {
            DataAddress length = address with { Offset = address.Offset - 4 };
            code.A.mov(__dword_ptr[(long)CodeBuffer.Placeholder(length)], field.Length);
            code.RelocateLast(length, displacement: true);
        }
    }

    private void WritePointerCells(uint dataBase, uint bssBase)
    {
        foreach ((DataAddress cell, DataAddress target) in _pointerCells)
        {
            _data.Write(cell, (target.Segment == Segment.Data ? dataBase : bssBase) + target.Offset, 4);
        }
    }
}
