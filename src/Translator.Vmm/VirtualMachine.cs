using System.Collections.Concurrent;
using System.Diagnostics;
using Translator.Vmm.Backends;
using Translator.Vmm.Backends.Bt;
using Translator.Machine.Loader;
using Translator.Vmm.Backends.Hw;
using Translator.Vmm.Backends.Pv;
using Translator.Vmm.Backends.Trap;

namespace Translator.Vmm;

/// <summary>
/// A guest and the backend that runs it: built from a multiboot image and <see cref="VmOptions"/>,
/// <see cref="Run"/> returns the guest's console bytes, its exit code and the run's statistics.
/// </summary>
public sealed class VirtualMachine
{
    /// <summary>One cache per directory for the process, so a translation compiled once is loaded once.</summary>
    private static readonly ConcurrentDictionary<string, TranslationCache> s_caches = new(StringComparer.Ordinal);

    private readonly VmOptions _options;
    private readonly MemoryStream? _captured;
    private readonly Stopwatch _sinceCreate; // started when Create began: the machine's whole wall-clock time
    private (TranslationCache Cache, string ImageSha256)? _translationKey;
    private byte[] _image = [];
    private TimeSpan _guestTime;

    private VirtualMachine(VmOptions options, IExecutionBackend backend, MemoryStream? captured, Stopwatch sinceCreate)
    {
        _options = options;
        Backend = backend;
        _captured = captured;
        _sinceCreate = sinceCreate;
    }

    public IExecutionBackend Backend { get; }

    /// <summary>
    /// Builds the backend and loads <paramref name="image"/>. Throws <see cref="Translator.Machine.Loader.InvalidImageException"/>
    /// for a bad image and <see cref="ArgumentException"/> for options the backend cannot honour.
    /// </summary>
    public static VirtualMachine Create(ReadOnlySpan<byte> image, VmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var created = Stopwatch.StartNew();
        if (options.Backend != BackendKind.Paravirtual && ParavirtImage.IsParavirtual(image))
        {
            // One image, one kind of guest: the PV build talks to the hypercall interface, not to the PC.
            throw new InvalidImageException("this is a PV image (built for the paravirtual interface, no multiboot header): it runs only with --backend pv");
        }

        byte[] bytes = image.ToArray();
        return Build(options, created, bytes, backend => backend.Load(bytes));
    }

    /// <summary>
    /// Builds the backend <paramref name="options"/> name and continues <paramref name="snapshot"/>'s guest on it (its
    /// image, RAM size and devices are the snapshot's). Throws <see cref="SnapshotException"/> when the technique
    /// cannot take the state (pv; a CPL ring compression cannot represent) or cannot build the snapshot's machine (its
    /// memory size under hw, say); <see cref="ArgumentNullException"/> for a null argument.
    /// </summary>
    public static VirtualMachine Resume(VmSnapshot snapshot, VmOptions options)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        var created = Stopwatch.StartNew();
        if (options.Backend == BackendKind.Paravirtual)
        {
            throw new SnapshotException($"a snapshot of a bare-metal image (taken under {snapshot.Backend}) cannot resume under pv, which runs only PV builds");
        }

        if ((snapshot.Backend == "trap") != (options.Backend == BackendKind.TrapAndEmulate))
        {
            // trap breaks equivalence on purpose (the Popek-Goldberg holes): a guest crossing into or out of it would
            // not finish as its uninterrupted run does, so the state stays with trap.
            throw new SnapshotException(
                $"a snapshot taken under {snapshot.Backend} cannot resume under {VmOptions.NameOf(options.Backend)}: trap shows the guest what bare metal does not (docs/bt-backend.md), so its snapshots resume under trap only and trap resumes only its own");
        }

        options = options with
        {
            MemoryMiB = snapshot.MemoryMiB,
            CpuFeatures = snapshot.CpuFeatures,
            Devices = options.Devices with { DebugConsole = snapshot.DebugConsole, TestDevice = snapshot.TestDevice },
        };
        try
        {
            return Restore(options, created, snapshot);
        }
        catch (ArgumentException e) when (e is not ArgumentNullException)
        {
            // The machine's options here are the snapshot's own (its memory, its features): a backend that cannot
            // build them (hw with 3070 MiB, which leaves no room for its VMM) refuses the snapshot, not the caller.
            throw new SnapshotException($"the snapshot's machine cannot be built under {VmOptions.NameOf(options.Backend)}: {e.Message}", e);
        }
    }

    private static VirtualMachine Restore(VmOptions options, Stopwatch created, VmSnapshot snapshot)
    {
        return Build(options, created, snapshot.Image, backend =>
        {
            if (backend is not ISnapshotBackend restorable)
            {
                throw new SnapshotException($"the {backend.Name} backend cannot restore a snapshot");
            }

            try
            {
                restorable.Restore(snapshot.Machine);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
            {
                // The machine state's own sections (devices, CPU) can be cut short or garbled inside an intact file.
                throw new SnapshotException($"the snapshot does not fit this machine: {e.Message}", e);
            }
        });
    }

    /// <summary>
    /// How often a tiered run looks for new hot code after its tier-up: often enough that a phase change is caught
    /// within milliseconds, rarely enough that walking the decoded blocks costs nothing to speak of.
    /// </summary>
    private static ulong TierUpInterval(ulong tierUp) => Math.Clamp(tierUp, 50_000, 5_000_000);

    private static VirtualMachine Build(VmOptions options, Stopwatch created, byte[] bytes, Action<IExecutionBackend> start)
    {
        MemoryStream? captured = options.Console is null ? new MemoryStream() : null;
        Action<byte> console = options.Console ?? captured!.WriteByte;
        IExecutionBackend backend = options.Backend switch
        {
            BackendKind.HardwareAssisted => new HardwareAssistedBackend(options, console),
            BackendKind.BinaryTranslation => new BinaryTranslationBackend(options, console),
            BackendKind.TrapAndEmulate => new TrapAndEmulateBackend(options, console),
            BackendKind.Paravirtual => new ParavirtBackend(options, console),
            _ => new NativeBackend(options, console),
        };
        start(backend);
        var machine = new VirtualMachine(options, backend, captured, created) { _image = bytes }; // one copy: the translation's key and, after a crash, its image map
        bool translate = backend switch
        {
            BinaryTranslationBackend => options.Translation != TranslationSource.InterpreterOnly,
            ParavirtBackend or NativeBackend or HardwareAssistedBackend or TrapAndEmulateBackend => options.Execution != ExecutionTier.Interpreter,
            _ => false,
        };
        if (translate && backend is ITranslatingBackend translating)
        {
            // After Load: an image the loader rejects is reported as such, not as a translation problem. A PV image
            // holding a privileged instruction is refused here (InvalidImageException, naming it and its address).
            TranslationCache cache = CacheFor(options.TranslationCacheDirectory ?? TranslationCache.DefaultDirectory());
            try
            {
                machine._translationKey = (cache, TranslationCache.ImageHash(bytes));
                if (backend is BinaryTranslationBackend ? options.Translation == TranslationSource.Tiered : options.Execution == ExecutionTier.Tiered)
                {
                    // Start at once: with what is ready (a whole translation, or the groups of hot code earlier runs
                    // compiled), else on the interpreter; hot code no region covers is compiled in groups meanwhile.
                    LoadedTranslation? ready = cache.TryLoadReady(bytes);
                    if (ready is not null)
                    {
                        translating.Translated.Attach(ready);
                    }

                    if (ready is null or { Groups: > 0 })
                    {
                        // Compiled directly to IL, the hot code earlier runs recorded is compiled again at once.
                        IReadOnlyCollection<uint> recorded = options.GroupCompiler == GroupCompiler.DirectIl ? cache.RecordedHot(bytes) : [];
                        translating.Translated.StartTieringByGroups(options.TierUpInstructions, TierUpInterval(options.TierUpInstructions),
                            hot => cache.LoadGroupInBackground(bytes, hot, options.GroupCompiler), recorded,
                            cumulative: options.GroupCompiler == GroupCompiler.DirectIl);
                    }
                }
                else
                {
                    translating.Translated.Attach(cache.Load(bytes));
                }
            }
            catch (TranslationHostException e)
            {
                // A translator fault must not cost the user the run: the guest runs on the interpreter.
                translating.Translated.Problem = e.Message;
            }
        }

        return machine;
    }

    /// <summary>
    /// The guest's whole state where the last <see cref="Run(ulong)"/> stopped, with its image and configuration.
    /// Throws <see cref="SnapshotException"/> under pv, whose guest is not saved (docs/snapshots.md).
    /// </summary>
    public VmSnapshot TakeSnapshot()
    {
        if (Backend is not ISnapshotBackend snapshotting)
        {
            throw new SnapshotException($"{Backend.Name} guests cannot be snapshotted (docs/snapshots.md)");
        }

        return new VmSnapshot
        {
            Backend = Backend.Name,
            Paging = Backend is HardwareAssistedBackend ? (_options.Paging == MemoryVirtualization.ShadowPaging ? "shadow" : "ept") : "",
            Image = _image,
            MemoryMiB = _options.MemoryMiB,
            DebugConsole = _options.Devices.DebugConsole,
            TestDevice = _options.Devices.TestDevice,
            CpuFeatures = _options.CpuFeatures,
            Machine = snapshotting.Capture(),
        };
    }

    /// <summary>The process-wide translation cache of <paramref name="directory"/>.</summary>
    public static TranslationCache CacheFor(string directory) =>
        s_caches.GetOrAdd(Path.GetFullPath(directory), d => new TranslationCache(d));

    public VmRunResult Run() => Finish(RunSlice(ulong.MaxValue));

    /// <summary>
    /// Runs until the guest stops or has retired <paramref name="untilRetired"/> instructions in all (a budget-exhausted
    /// result; <see cref="TakeSnapshot"/> can then save it, or a later call continue it).
    /// </summary>
    public VmRunResult Run(ulong untilRetired) => Finish(RunSlice(untilRetired));

    /// <summary>
    /// Runs one time slice: until the guest stops or has retired <paramref name="untilRetired"/> instructions in all
    /// (<see cref="IExecutionBackend.Run(ulong)"/>); the time it takes counts as the guest's. <see cref="Finish"/> then
    /// gives the whole run's result.
    /// </summary>
    public Translator.Machine.MachineResult RunSlice(ulong untilRetired)
    {
        long started = Stopwatch.GetTimestamp();
        Translator.Machine.MachineResult result = untilRetired == ulong.MaxValue ? Backend.Run() : Backend.Run(untilRetired);
        _guestTime += Stopwatch.GetElapsedTime(started);
        return result;
    }

    /// <summary>The run's result after its last slice ended with <paramref name="result"/>: console, statistics, crash report.</summary>
    public VmRunResult Finish(Translator.Machine.MachineResult result)
    {
        var events = new SortedDictionary<string, long>(StringComparer.Ordinal);
        Backend.CollectEvents(events);
        RecordFallbacks(events);
        LoadedTranslation? translation = (Backend as ITranslatingBackend)?.Translated.Translation;
        var times = new RunTimes(
            WallSeconds: _sinceCreate.Elapsed.TotalSeconds,
            TranslateSeconds: translation?.TranslateTime.TotalSeconds ?? 0,
            CompileSeconds: (translation?.CompileTime + translation?.PrecompileTime)?.TotalSeconds ?? 0,
            CacheLoadSeconds: translation?.LoadTime.TotalSeconds ?? 0,
            GuestSeconds: _guestTime.TotalSeconds);
        var statistics = new VmStatistics(Backend.Name, Backend.GuestInstructions, times,
            Backend.ModelCycles(_options.Cost), events,
            Backend is ParavirtBackend || (Backend is not BinaryTranslationBackend && _options.Execution != ExecutionTier.Interpreter) ? ExecutionThatRan() : null,
            translation?.InProcessBecause);
        string? crash = result.Reason == Translator.Machine.MachineStopReason.Crashed ? GuestCrashReport.Describe(Backend.Cpu, GuestImageMap.Read(_image)) : null;
        return new VmRunResult(result, _captured?.ToArray() ?? [], statistics, crash);
    }

    /// <summary>
    /// The tier that ran (the <c>execution</c> of --stats): <c>translated</c> from the first instruction, <c>tiered</c>
    /// when translated code was swapped in during the run, else <c>interpreter</c> (forced, or a tiered run that ended
    /// before its translation was ready, or whose translation failed).
    /// </summary>
    private string ExecutionThatRan() => (Backend as ITranslatingBackend)?.Translated switch
    {
        { SwappedAtRetired: not null } => VmOptions.NameOf(ExecutionTier.Tiered),
        { Translation: not null } => VmOptions.NameOf(ExecutionTier.Translated),
        _ => VmOptions.NameOf(ExecutionTier.Interpreter),
    };

    /// <summary>
    /// bt and translated pv: code that ran on the interpreter because no region covered it becomes an entry point of
    /// the image's next translation (a build-time translation cannot change, so nothing is recorded for one). Only a
    /// run that interpreted at least <see cref="TranslationCache.RetranslateShare"/> of its instructions makes the next
    /// run translate again; otherwise the next run uses the cached translation, so a new image is translated once.
    /// </summary>
    private void RecordFallbacks(IReadOnlyDictionary<string, long> events)
    {
        if (_translationKey is { } key && Backend is ITranslatingBackend { Translated: { Translation.Origin: not TranslationOrigin.BuildTime } translated }
            && translated.UntranslatedEntries.Count > 0)
        {
            // A tiered run's instructions before the swap were interpreted because nothing was compiled yet, not for
            // want of an entry point: only what ran after it says whether the translation misses code.
            ulong all = Backend.GuestInstructions - Math.Min(Backend.GuestInstructions, translated.SwappedAtRetired ?? 0);
            ulong inRegions = (ulong)events.GetValueOrDefault("bt.instructionsInRegions");
            ulong interpreted = all - Math.Min(all, inRegions);
            // Under groups of hot code, code no group covers yet runs interpreted without being a miss of discovery:
            // deferred, so the stored groups' numbering stays valid for the next run.
            bool deferred = all == 0 || interpreted < all * TranslationCache.RetranslateShare || translated.Translation is { Groups: > 0 };
            key.Cache.RecordFallbacks(key.ImageSha256, translated.UntranslatedEntries, deferred);
        }
    }
}
