using System.Diagnostics;
using Translator.Vmm.Backends;
using Translator.Vmm.Backends.Bt;
using Translator.Vmm.Backends.Hw;
using Translator.Vmm.Backends.Trap;

namespace Translator.Vmm;

/// <summary>
/// A guest and the backend that runs it: built from a multiboot image and <see cref="VmOptions"/>,
/// <see cref="Run"/> returns the guest's console bytes, its exit code and the run's statistics.
/// </summary>
public sealed class VirtualMachine
{
    private readonly VmOptions _options;
    private readonly MemoryStream? _captured;

    private VirtualMachine(VmOptions options, IExecutionBackend backend, MemoryStream? captured)
    {
        _options = options;
        Backend = backend;
        _captured = captured;
    }

    public IExecutionBackend Backend { get; }

    /// <summary>
    /// Builds the backend and loads <paramref name="image"/>. Throws <see cref="Translator.Machine.Loader.InvalidImageException"/>
    /// for a bad image and <see cref="ArgumentException"/> for options the backend cannot honour.
    /// </summary>
    public static VirtualMachine Create(ReadOnlySpan<byte> image, VmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        MemoryStream? captured = options.Console is null ? new MemoryStream() : null;
        Action<byte> console = options.Console ?? captured!.WriteByte;
        IExecutionBackend backend = options.Backend switch
        {
            BackendKind.HardwareAssisted => new HardwareAssistedBackend(options, console),
            BackendKind.BinaryTranslation => new BinaryTranslationBackend(options, console, options.Translation),
            BackendKind.TrapAndEmulate => new TrapAndEmulateBackend(options, console),
            _ => new NativeBackend(options, console),
        };
        backend.Load(image);
        return new VirtualMachine(options, backend, captured);
    }

    public VmRunResult Run()
    {
        var stopwatch = Stopwatch.StartNew();
        Translator.Machine.MachineResult result = Backend.Run();
        stopwatch.Stop();
        var events = new SortedDictionary<string, long>(StringComparer.Ordinal);
        Backend.CollectEvents(events);
        var statistics = new VmStatistics(Backend.Name, Backend.GuestInstructions, stopwatch.Elapsed.TotalSeconds,
            Backend.ModelCycles(_options.Cost), events);
        return new VmRunResult(result, _captured?.ToArray() ?? [], statistics);
    }
}
