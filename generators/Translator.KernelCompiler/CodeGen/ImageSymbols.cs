using System.Collections.Generic;
using Iced.Intel;
using Translator.KernelCompiler.Model;

namespace Translator.KernelCompiler.CodeGen;

/// <summary>
/// What compiled code refers to by name, as the linker laid it out: function labels, where every static field and
/// string literal lives, and the runtime routines.
/// </summary>
internal sealed class ImageSymbols
{
    private readonly Dictionary<string, Label> _functions = new();
    private readonly Dictionary<string, GuestField> _fields = new();
    private readonly Dictionary<string, DataAddress> _fieldAddresses = new();
    private readonly Dictionary<string, DataAddress> _pointerCells = new();
    private readonly Dictionary<string, DataAddress> _strings = new();

    public ImageSymbols(CodeBuffer code, bool paravirtual = false)
    {
        Paravirtual = paravirtual;
        BoundsFailure = code.NewLabel();
        UnsignedDivide64 = code.NewLabel();
        SignedDivide64 = code.NewLabel();
        InterruptReturn = code.NewLabel();
    }

    /// <summary>The PV build's return from an interrupt, exception or event frame (ParavirtRoutines.EmitInterruptReturn).</summary>
    public Label InterruptReturn { get; }

    /// <summary>Where an out-of-range index jumps: prints a message and exits with <see cref="RuntimeRoutines.PanicExitValue"/>.</summary>
    public Label BoundsFailure { get; }

    /// <summary>EDX:EAX / ECX:EBX, unsigned: quotient in EDX:EAX, remainder in ECX:EBX.</summary>
    public Label UnsignedDivide64 { get; }

    /// <summary>As <see cref="UnsignedDivide64"/>, with C#'s signed rules (quotient truncated, remainder takes the dividend's sign).</summary>
    public Label SignedDivide64 { get; }

    public bool UsesDivide64 { get; set; }

    /// <summary>Whether this is the paravirtual build's code (intrinsics take their PV form).</summary>
    public bool Paravirtual { get; }

    public DataAddress InterruptTable { get; set; }

    public DataAddress ImageEnd { get; set; }

    /// <summary>Two dwords of data where the bare-metal start routine keeps the boot magic (EAX) and the multiboot information address (EBX).</summary>
    public DataAddress BootRegisters { get; set; }

    /// <summary>The page the VMM fills with hypercall stubs (bss, page-aligned): reserved in both builds, used by the PV one.</summary>
    public DataAddress HypercallPage { get; set; }

    /// <summary>Takes every data address of <paramref name="layout"/>: both builds share one data layout.</summary>
    public void CopyDataFrom(ImageSymbols layout)
    {
        foreach (var pair in layout._fields)
        {
            _fields[pair.Key] = pair.Value;
        }

        foreach (var pair in layout._fieldAddresses)
        {
            _fieldAddresses[pair.Key] = pair.Value;
        }

        foreach (var pair in layout._pointerCells)
        {
            _pointerCells[pair.Key] = pair.Value;
        }

        foreach (var pair in layout._strings)
        {
            _strings[pair.Key] = pair.Value;
        }

        InterruptTable = layout.InterruptTable;
        ImageEnd = layout.ImageEnd;
        BootRegisters = layout.BootRegisters;
        HypercallPage = layout.HypercallPage;
    }

    public void AddFunction(string key, Label label) => _functions[key] = label;

    public bool TryGetFunction(string key, out Label label) => _functions.TryGetValue(key, out label);

    public Label Function(string key) => _functions[key];

    public void AddField(GuestField field, DataAddress address, DataAddress? pointerCell)
    {
        _fields[field.Key] = field;
        _fieldAddresses[field.Key] = address;
        if (pointerCell is DataAddress cell)
        {
            _pointerCells[field.Key] = cell;
        }
    }

    public GuestField Field(string key) => _fields[key];

    /// <summary>A scalar field's storage, or an array's or string's first element.</summary>
    public DataAddress FieldAddress(string key) => _fieldAddresses[key];

    /// <summary>The dword holding a mutable array field's current reference, if the field is not readonly.</summary>
    public bool TryGetPointerCell(string key, out DataAddress cell) => _pointerCells.TryGetValue(key, out cell);

    public void AddString(string text, DataAddress firstChar) => _strings[text] = firstChar;

    public DataAddress String(string text) => _strings[text];
}
