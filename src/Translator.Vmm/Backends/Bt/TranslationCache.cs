using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Translator.Machine.Loader;
using Translator.Machine.Translation;
using Translator.Translation;

namespace Translator.Vmm.Backends.Bt;

/// <summary>Where a translation came from.</summary>
public enum TranslationOrigin
{
    /// <summary>Compiled into a loaded assembly at build time (a <c>&lt;GuestImage&gt;</c> item or a DSL kernel).</summary>
    BuildTime,

    /// <summary>Loaded from the persistent on-disk cache.</summary>
    DiskCache,

    /// <summary>Translated and compiled in this process (and then stored in the cache).</summary>
    Translated,

    /// <summary>Obtained earlier by this process for another machine (compare's rows, tests): nothing was paid again.</summary>
    Reused,
}

/// <summary>A translation ready to run, and what obtaining it cost.</summary>
/// <param name="Image">The translated regions.</param>
/// <param name="Origin">Build time, on-disk cache or translated now.</param>
/// <param name="TranslateTime">Time the core took to translate the image to C# (zero unless translated now).</param>
/// <param name="CompileTime">Time Roslyn took to compile that C# (zero unless translated now).</param>
/// <param name="LoadTime">Time to read and load a cached assembly, or to load the fresh one.</param>
/// <param name="EntryPoints">The extra entry points the translation was made with (recorded interpreter fallbacks).</param>
/// <param name="Warnings">What the translator could not translate, and the cache problems met (never fatal).</param>
/// <param name="Precompiled">The loaded translation carries native code (ReadyToRun), so its methods start without the JIT.</param>
/// <param name="PrecompileTime">Time crossgen2 took to precompile the compiled assembly (zero unless translated now).</param>
/// <param name="CompiledOutOfProcess">A tiered run's translation that a child process compiled (<see cref="TranslationWorker"/>).</param>
/// <param name="CompileProcessPeakBytes">That child's peak resident memory (0: none ran).</param>
/// <param name="InProcessBecause">Why a tiered run's translation was compiled in this process after all (the child could not).</param>
public sealed record LoadedTranslation(
    TranslatedImage Image,
    TranslationOrigin Origin,
    TimeSpan TranslateTime,
    TimeSpan CompileTime,
    TimeSpan LoadTime,
    int Regions,
    int Instructions,
    IReadOnlyList<uint> EntryPoints,
    IReadOnlyList<string> Warnings,
    bool Precompiled = false,
    TimeSpan PrecompileTime = default,
    bool CompiledOutOfProcess = false,
    long CompileProcessPeakBytes = 0,
    string? InProcessBecause = null)
{
    /// <summary>Groups of hot code (tiered runs): the JIT's time for their methods, spent on the background thread before the swap.</summary>
    public TimeSpan JitTime { get; init; }

    /// <summary>Groups of hot code: how many this translation holds (0: a whole translation).</summary>
    public int Groups { get; init; }

    /// <summary>A group compiled by the direct IL back end (<see cref="GroupCompiler.DirectIl"/>).</summary>
    public bool CompiledToIl { get; init; }

    /// <summary>A group holding all of a run's hot code so far, swapped in place of the groups before it.</summary>
    public bool ReplacesEarlierGroups { get; init; }

    /// <summary>Groups compiled in a child process: its wall time from start to exit, and what it said about its parts.</summary>
    public TranslationWorker.GroupReport? Worker { get; init; }
}

/// <summary>
/// The run-time host of binary translation: gives the bt backend the <see cref="TranslatedImage"/> of any image.
/// Looks first in <see cref="TranslationRegistry"/> (translations compiled in at build time), then in the persistent
/// on-disk cache (keyed by the image's SHA-256 and the translator's version), and otherwise translates with the core,
/// compiles with Roslyn in memory, precompiles that to native code with crossgen2 where the tool is shipped
/// (<see cref="ReadyToRunCompiler"/>), stores both and loads the result. Interpreter fallbacks
/// reported after a run (<see cref="RecordFallbacks"/>) make the next translation of that image include them: at once
/// (the next run translates again) when they matter, else deferred to whenever the image is translated next.
/// </summary>
public sealed class TranslationCache
{
    /// <summary>Environment variable naming the cache directory.</summary>
    public const string DirectoryVariable = "TRANSLATOR_CACHE_DIR";

    private static readonly Lazy<string> s_version = new(ComputeVersion);

    private readonly TranslationStore _store;
    private readonly bool _consultRegistry;

    /// <summary>
    /// The crossgen2 executable fresh translations are precompiled with (<see cref="ReadyToRunCompiler.ToolPath"/>);
    /// null keeps them IL, which the JIT compiles (tests of both paths set it).
    /// </summary>
    internal string? Precompiler { get; init; } = ReadyToRunCompiler.ToolPath;

    /// <summary>Translations already loaded by this cache, by image hash and entry-point set.</summary>
    private readonly ConcurrentDictionary<string, Lazy<LoadedTranslation?>> _loaded = new(StringComparer.Ordinal);

    /// <summary>A cache in <see cref="DefaultDirectory"/>.</summary>
    public TranslationCache()
        : this(DefaultDirectory())
    {
    }

    public TranslationCache(string directory)
        : this(directory, CurrentVersion)
    {
    }

    /// <summary>
    /// A cache that believes the translator's version is <paramref name="translatorVersion"/> (tests of version
    /// changes) and, unless <paramref name="consultRegistry"/>, ignores build-time translations (tests comparing the hosts).
    /// </summary>
    internal TranslationCache(string directory, string translatorVersion, bool consultRegistry = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(translatorVersion);
        _store = new TranslationStore(Path.GetFullPath(directory), translatorVersion);
        _consultRegistry = consultRegistry;
    }

    public string Directory => _store.Root;

    /// <summary>
    /// The version part of the cache key: a hash of the module version ids of the translation core and of
    /// Translator.Machine (the ABI the compiled code binds to). Builds are deterministic, so it changes exactly
    /// when either assembly's content does.
    /// </summary>
    public static string CurrentVersion => s_version.Value;

    /// <summary><c>$TRANSLATOR_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/translator</c>, else <c>~/.cache/translator</c>.</summary>
    public static string DefaultDirectory()
    {
        string? configured = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string cacheHome = !string.IsNullOrEmpty(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cacheHome, "translator");
    }

    /// <summary>Lower-case hex SHA-256 of an image: the key of translations.</summary>
    public static string ImageHash(ReadOnlySpan<byte> image) => TranslationStore.Hex(SHA256.HashData(image));

    /// <summary>
    /// The extra entry points a translation of the image gets: the fallbacks recorded by earlier runs, deferred ones
    /// included, in order.
    /// </summary>
    public IReadOnlyList<uint> RecordedEntryPoints(string imageSha256) =>
        _store.ReadFallbacks(imageSha256).Union(_store.ReadFallbacks(imageSha256, deferred: true)).Order().ToArray();

    /// <summary>
    /// The entry points groups are translated with, which fix their method numbering: the required fallbacks only, as
    /// group-tiered runs record theirs deferred (an address no group covers yet is not a miss of discovery), so the
    /// numbering, and with it the stored groups, stays valid from run to run.
    /// </summary>
    private uint[] GroupEntryPoints(string imageSha256) => RequiredEntryPoints(imageSha256).Order().ToArray();

    /// <summary>The recorded fallbacks a cached translation must include to be used (the deferred ones need not).</summary>
    private IReadOnlySet<uint> RequiredEntryPoints(string imageSha256) => _store.ReadFallbacks(imageSha256);

    /// <summary>
    /// The translation of <paramref name="image"/>. Throws <see cref="InvalidImageException"/> for an image the
    /// translator rejects and <see cref="TranslationHostException"/> when the generated code does not compile (a
    /// translator fault). Problems with the cache itself never throw: the image is translated again.
    /// </summary>
    public LoadedTranslation Load(byte[] image) => Load(image, translate: true)!;

    /// <summary>
    /// The translation of <paramref name="image"/> if one is ready without translating: built in, loaded earlier by
    /// this process, or in the on-disk cache (covering the recorded fallbacks); else null. Tiered runs start with it.
    /// </summary>
    public LoadedTranslation? TryLoadReady(byte[] image) => Load(image, translate: false) ?? TryLoadGroups(image);

    /// <summary>
    /// The groups of hot code earlier tiered runs stored for <paramref name="image"/> under the current entry points,
    /// as one translation; null when there are none. A damaged group reads as missing (its code is compiled again).
    /// </summary>
    public LoadedTranslation? TryLoadGroups(byte[] image)
    {
        ArgumentNullException.ThrowIfNull(image);
        string sha = ImageHash(image);
        IReadOnlyList<uint> entryPoints = GroupEntryPoints(sha);
        var clock = Stopwatch.StartNew();
        var images = new List<TranslatedImage>();
        int regions = 0, instructions = 0;
        foreach (StoredTranslation group in _store.ReadGroups(sha).Where(g => g.EntryPoints.SequenceEqual(entryPoints)))
        {
            try
            {
                images.Add(TranslationCompiler.Load(group.Assembly, group.TypeName, sha));
                regions += group.Regions;
                instructions += group.Instructions;
            }
            catch (TranslationHostException)
            {
                // Not loadable (foreign or stale): its code runs interpreted until a tiered run compiles it again.
            }
        }

        return images.Count == 0 ? null
            : new LoadedTranslation(new GroupedImage(images), TranslationOrigin.DiskCache, TimeSpan.Zero, TimeSpan.Zero, clock.Elapsed,
                regions, instructions, entryPoints, []) { Groups = images.Count };
    }

    /// <summary>
    /// A tiered run's group: the methods holding the <paramref name="hot"/> addresses, translated and compiled by a
    /// child process (<see cref="TranslationWorker"/>) into this cache, or here when no child can; stored for the next
    /// run, loaded and JIT-compiled on this (background) thread. Null when no address is translatable code.
    /// </summary>
    public LoadedTranslation? LoadGroupInBackground(byte[] image, IReadOnlyCollection<uint> hot, GroupCompiler compiler = GroupCompiler.Roslyn)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(hot);
        if (compiler == GroupCompiler.DirectIl)
        {
            return CompileGroupToIl(image, hot);
        }

        string sha = ImageHash(image);
        var clock = Stopwatch.StartNew();
        TranslationWorker.GroupReport? report = TranslationWorker.TryCompileGroup(image, sha, Directory, hot, out string? problem);
        if (report is not null)
        {
            if (report.Name.Length == 0)
            {
                return null; // nothing there to translate
            }

            if (_store.TryReadGroup(sha, report.Name) is { } stored)
            {
                TimeSpan compiled = clock.Elapsed;
                (TranslatedImage loaded, TimeSpan jit) = TranslationGroups.LoadAndPrepare(stored, sha);
                return new LoadedTranslation(loaded, TranslationOrigin.Translated, report.Translate, report.Compile, clock.Elapsed - compiled - jit,
                    stored.Regions, stored.Instructions, stored.EntryPoints, stored.Warnings, CompiledOutOfProcess: true,
                    CompileProcessPeakBytes: report.PeakResidentBytes) { JitTime = jit, Groups = 1, Worker = report with { Wall = compiled } };
            }

            problem = "the compile process's group did not load";
        }

        // Roslyn on this (background, lowered-priority) thread alone, not over the thread pool. Set here, where Roslyn
        // is used: touching TranslationCompiler loads Roslyn, which a direct IL run never needs (some 15 MiB).
        TranslationCompiler.OnThisThreadOnly = true;
        CompiledGroup? group = CompileAndStoreGroup(image, hot, out StoredTranslation? entry, out List<string> warnings, out _);
        if (group is null)
        {
            return null;
        }

        var loading = Stopwatch.StartNew();
        (TranslatedImage image2, TimeSpan jit2) = TranslationGroups.LoadAndPrepare(entry!, sha);
        return new LoadedTranslation(image2, TranslationOrigin.Translated, group.Translate, group.Compile, loading.Elapsed - jit2,
            entry!.Regions, entry.Instructions, entry.EntryPoints, warnings, InProcessBecause: problem) { JitTime = jit2, Groups = 1 };
    }

    /// <summary>
    /// A tiered run's group compiled by the direct IL back end, here, on this (background) thread: translated by the
    /// core, its methods compiled from the core's C# to dynamic methods and JIT-compiled before the swap. The cache
    /// records the hot addresses (<see cref="RecordedHot"/>), not the code: the next run compiles them again at its
    /// start, which costs less than loading an assembly did. Null when no address is translatable code. The caller
    /// passes all of its run's hot code and swaps the group in place of the earlier ones
    /// (<see cref="AttachedTranslation.StartTieringByGroups"/>, cumulative).
    /// </summary>
    private LoadedTranslation? CompileGroupToIl(byte[] image, IReadOnlyCollection<uint> hot)
    {
        string sha = ImageHash(image);

        // The hot addresses are entry points too: a block reached only by a computed jump (a switch's case, a
        // bytecode handler) gets a region of its own. The group replaces the run's earlier ones (it holds all the
        // hot code so far), so no other group's method numbering has to agree with it.
        IReadOnlyList<uint> entryPoints = GroupEntryPoints(sha).Union(hot).Order().ToArray();
        var clock = Stopwatch.StartNew();
        if (TranslationGroups.Translate(image, sha, entryPoints, hot, layoutOnly: true) is not { } result)
        {
            return null;
        }

        TimeSpan translate = clock.Elapsed;
        ReleaseGarbage();
        DirectIl.DirectIlImage compiled;
        try
        {
            compiled = DirectIl.DirectIlImage.Compile(result, TranslationGroups.Numbering(sha, entryPoints));
        }
        catch (DirectIl.DirectIlException e)
        {
            // The core wrote C# outside the subset the back end reads: a translator fault, as a compile error would be.
            throw new TranslationHostException($"the direct IL back end cannot compile the translation: {e.Message}");
        }

        TimeSpan compile = clock.Elapsed - translate;
        ReleaseGarbage();
        TimeSpan jit = compiled.Prepare();
        var warnings = new List<string>(result.Warnings);
        if (_store.TryAddHot(sha, hot) is { } failure)
        {
            warnings.Add(failure);
        }

        return new LoadedTranslation(compiled, TranslationOrigin.Translated, translate, compile, TimeSpan.Zero, result.Regions, result.Instructions,
            entryPoints, warnings) { JitTime = jit, Groups = 1, CompiledToIl = true };
    }

    /// <summary>
    /// Collects a group's garbage between its steps and gives the memory back to the system, so the process's peak
    /// holds one step's working memory, not the translation's (some 18 MiB of text and decoded instructions), the
    /// compile's and the JIT's at once: bench.elf's first run peaks at 77 MiB instead of 102. A blocking collection,
    /// once or twice per group (milliseconds); guest RAM is on the pinned heap, so compaction never moves it under
    /// the TLB's host pointers.
    /// </summary>
    private static void ReleaseGarbage() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    /// <summary>The addresses earlier tiered runs found hot in <paramref name="image"/> (empty when none are recorded).</summary>
    public IReadOnlyCollection<uint> RecordedHot(byte[] image) => _store.ReadHot(ImageHash(image)).Order().ToArray();

    /// <summary>Translates, compiles and stores the group holding <paramref name="hot"/> (the child's work); null when there is none.</summary>
    /// <param name="translatedCpu">This process's CPU time when the group was translated (before Roslyn), for the child's report.</param>
    internal CompiledGroup? CompileAndStoreGroup(byte[] image, IReadOnlyCollection<uint> hot, out StoredTranslation? entry, out List<string> warnings,
        out TimeSpan translatedCpu)
    {
        string sha = ImageHash(image);
        IReadOnlyList<uint> entryPoints = GroupEntryPoints(sha);
        warnings = [];
        entry = null;
        TimeSpan cpu = TimeSpan.Zero;
        CompiledGroup? group = TranslationGroups.Compile(image, sha, entryPoints, hot, () => cpu = Process.GetCurrentProcess().TotalProcessorTime);
        translatedCpu = cpu;
        if (group is null)
        {
            return null;
        }

        warnings.AddRange(group.Result.Warnings);
        entry = new StoredTranslation(group.TypeName, group.Result.Regions, group.Result.Instructions, entryPoints, group.Result.Warnings, group.Assembly);
        if (_store.TryWriteGroup(sha, group.Name, entry, group.Result.Source) is { } storeFailure)
        {
            warnings.Add(storeFailure);
        }

        return group;
    }

    private LoadedTranslation? Load(byte[] image, bool translate)
    {
        ArgumentNullException.ThrowIfNull(image);
        string sha = ImageHash(image);
        var started = Stopwatch.StartNew();
        if (_consultRegistry && TranslationRegistry.Find(sha) is { } builtIn)
        {
            return new LoadedTranslation(builtIn, TranslationOrigin.BuildTime, TimeSpan.Zero, TimeSpan.Zero, started.Elapsed,
                builtIn.Regions.Count, builtIn.Regions.Sum(r => r.GuestInstructions), [], []);
        }

        IReadOnlySet<uint> required = RequiredEntryPoints(sha);
        string key = sha + ":" + string.Join(',', required.Order());
        if (_loaded.TryGetValue(key, out Lazy<LoadedTranslation?>? earlier) && earlier.IsValueCreated && earlier.Value is { } done)
        {
            // The statistics of this machine must not claim the translation, compile or load another one paid for.
            return done with { Origin = TranslationOrigin.Reused, TranslateTime = TimeSpan.Zero, CompileTime = TimeSpan.Zero, PrecompileTime = TimeSpan.Zero, LoadTime = started.Elapsed };
        }

        if (!translate)
        {
            LoadedTranslation? stored = TryLoadStored(sha, required, []);
            return stored is null ? null : _loaded.GetOrAdd(key, new Lazy<LoadedTranslation?>(stored)).Value;
        }

        // One translation per image and entry set even when machines (a tiered run's background, host's VMs) ask at once.
        Lazy<LoadedTranslation?> once = _loaded.GetOrAdd(key, _ => new Lazy<LoadedTranslation?>(() => LoadOrTranslate(image, sha, required)));
        try
        {
            return once.Value;
        }
        catch
        {
            _loaded.TryRemove(new KeyValuePair<string, Lazy<LoadedTranslation?>>(key, once)); // a failure is not remembered: the next load tries again
            throw;
        }
    }

    /// <summary>
    /// Records code addresses a run reached only through the interpreter (indirect targets the translator did not
    /// find), so the next translation of the image includes them: the next run translates again, unless
    /// <paramref name="deferred"/>, when the cached translation stays in use and they wait for the next translation
    /// made for another reason (or <c>translator translate</c>). <see cref="VirtualMachine"/> defers them when the
    /// run spent little of its time on the interpreter (<see cref="RetranslateShare"/>). Returns null, or why they
    /// could not be recorded (never fatal).
    /// </summary>
    public string? RecordFallbacks(string imageSha256, IEnumerable<uint> entryAddresses, bool deferred = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageSha256);
        ArgumentNullException.ThrowIfNull(entryAddresses);
        return _store.TryAddFallbacks(imageSha256, entryAddresses, deferred);
    }

    /// <summary>
    /// The share of a run's guest instructions that must have run on the interpreter for its fallbacks to be worth a
    /// new translation at the next run (translating and compiling a small image takes seconds; a run that interpreted
    /// 1% of its instructions loses less than that to the interpreter).
    /// </summary>
    public const double RetranslateShare = 0.01;

    private LoadedTranslation LoadOrTranslate(byte[] image, string sha, IReadOnlySet<uint> required)
    {
        var warnings = new List<string>();
        if (TryLoadStored(sha, required, warnings) is { } cached)
        {
            return cached;
        }

        var clock = Stopwatch.StartNew();
        IReadOnlyList<uint> entryPoints = required.Union(_store.ReadFallbacks(sha, deferred: true)).Order().ToArray(); // RecordedEntryPoints, required read once
        TranslationResult result;
        try
        {
            result = BinaryTranslator.Translate(image, RunTimeTranslationOptions(entryPoints, Precompiler));
        }
        catch (TranslationException e)
        {
            throw new InvalidImageException(e.Message);
        }

        TimeSpan translateTime = clock.Elapsed;
        clock.Restart();
        string typeName = result.Namespace.Length > 0 ? result.Namespace + "." + result.ClassName : result.ClassName;
        string assemblyName = "Translation_" + sha[..16];
        byte[] assembly = TranslationCompiler.Compile(result.Source, assemblyName);
        TimeSpan compileTime = clock.Elapsed;
        clock.Restart();
        byte[]? native = ReadyToRunCompiler.TryCompile(Precompiler, assembly, assemblyName, out string? precompileProblem);
        TimeSpan precompileTime = clock.Elapsed;
        if (precompileProblem is not null)
        {
            warnings.Add($"the translation runs JIT-compiled: precompiling it failed: {precompileProblem}");
        }

        warnings.AddRange(result.Warnings);
        var entry = new StoredTranslation(typeName, result.Regions, result.Instructions, entryPoints, result.Warnings, assembly, native);
        if (_store.TryWrite(sha, entry, result.Source, out string? nativeImagePath) is { } storeFailure)
        {
            warnings.Add(storeFailure);
        }

        // Native code is only used from a file: the stored entry's. Without one the IL is loaded from memory.
        clock.Restart();
        (TranslatedImage translated, bool precompiled) = LoadStored(entry with { NativeImagePath = nativeImagePath }, sha, warnings);
        TimeSpan loadTime = clock.Elapsed;
        return new LoadedTranslation(translated, TranslationOrigin.Translated, translateTime, compileTime, loadTime,
            result.Regions, result.Instructions, entryPoints, warnings, precompiled, precompileTime);
    }

    /// <summary>
    /// The on-disk cache's entry for the image if it covers <paramref name="required"/> and loads; else null, with
    /// the reason in <paramref name="warnings"/> when the entry was there but unusable (it is then translated again).
    /// </summary>
    private LoadedTranslation? TryLoadStored(string sha, IReadOnlySet<uint> required, List<string> warnings)
    {
        var clock = Stopwatch.StartNew();
        if (_store.TryRead(sha) is { } stored && required.All(stored.EntryPoints.Contains))
        {
            try
            {
                (TranslatedImage cached, bool runsNative) = LoadStored(stored, sha, warnings);
                return new LoadedTranslation(cached, TranslationOrigin.DiskCache, TimeSpan.Zero, TimeSpan.Zero, clock.Elapsed,
                    stored.Regions, stored.Instructions, stored.EntryPoints, [.. stored.Warnings, .. warnings], runsNative);
            }
            catch (TranslationHostException e)
            {
                warnings.Add($"ignored the cache entry {_store.EntryDirectory(sha)}: {e.Message}");
            }
        }

        return null;
    }

    /// <summary>
    /// What the run-time host translates with (also what <c>translator translate</c> writes): the recorded entry
    /// points, and no request for the JIT's full optimization when <paramref name="precompiler"/> precompiles the
    /// result, because crossgen2 leaves methods so marked to the JIT.
    /// </summary>
    internal static TranslationOptions RunTimeTranslationOptions(IEnumerable<uint> entryPoints, string? precompiler) => new()
    {
        ExtraEntryPoints = entryPoints.ToArray(),
        RegisterOnLoad = false,
        AggressiveOptimization = precompiler is null,
    };

    /// <summary>
    /// The stored translation's native image, or its IL when it has none or the runtime rejects it (a native image that
    /// passed its hash check but cannot be mapped, on a file system without exec permission for one: a warning).
    /// </summary>
    private static (TranslatedImage Image, bool Precompiled) LoadStored(StoredTranslation stored, string sha, List<string> warnings)
    {
        if (stored.NativeImagePath is { } native)
        {
            try
            {
                return (TranslationCompiler.LoadPrecompiled(native, stored.TypeName, sha), true);
            }
            catch (TranslationHostException e)
            {
                warnings.Add($"the translation runs JIT-compiled: its native image {native} cannot be loaded: {e.Message}");
            }
        }

        return (TranslationCompiler.Load(stored.Assembly, stored.TypeName, sha), false);
    }

    private static string ComputeVersion()
    {
        string ids = typeof(BinaryTranslator).Assembly.ManifestModule.ModuleVersionId.ToString("N")
            + typeof(TranslatedImage).Assembly.ManifestModule.ModuleVersionId.ToString("N");
        return TranslationStore.Hex(SHA256.HashData(Encoding.ASCII.GetBytes(ids)))[..16];
    }
}
