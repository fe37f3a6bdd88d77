using Translator.Machine.Cpu;
using Translator.Machine.Execution;
using Translator.Machine.Translation;

namespace Translator.Vmm.Backends.Bt;

/// <summary>
/// A backend whose interpreter can run translated code from the binary-translation core: <c>bt</c> (callouts for
/// sensitive instructions) and <c>pv</c> on its fast path (hypercall sites as direct calls). <see cref="VirtualMachine"/>
/// obtains the translation through <see cref="TranslationCache"/> for either and records their interpreter fallbacks.
/// </summary>
public interface ITranslatingBackend
{
    AttachedTranslation Translated { get; }
}

/// <summary>
/// The translated code a backend's interpreter runs, and the counters that show it (<c>bt.*</c>: regions,
/// instructions in translated code, interpreter fallbacks, where the translation came from and what it cost).
/// </summary>
/// <param name="translatable">
/// Which interpreter fallbacks a translation could cover (null: all); pv leaves out its hypercall page, which the VMM
/// fills at load time, so recording it would only make the next run translate the image again for nothing.
/// </param>
public sealed class AttachedTranslation
{
    private readonly Interpreter interpreter;
    private readonly Func<uint, bool>? translatable;

    /// <summary>Translations handed to the interpreter by <see cref="Offer"/> and not yet swapped in, by image.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<TranslatedImage, LoadedTranslation> _offered = new(ReferenceEqualityComparer.Instance);

    /// <summary>Wall time since this translation host was made (with its machine): when groups were swapped in.</summary>
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public AttachedTranslation(Interpreter interpreter, Func<uint, bool>? translatable = null)
    {
        this.interpreter = interpreter;
        this.translatable = translatable;
        interpreter.TranslationSwapped = Swapped;
    }

    /// <summary>The translation this run uses and what obtaining it cost (null: everything runs on the interpreter).</summary>
    public LoadedTranslation? Translation { get; private set; }

    /// <summary>Why no translation could be used (its generated code did not compile); null when none was asked for or it worked.</summary>
    public string? Problem { get; internal set; }

    /// <summary>Tiered runs: the retired count at which background translation started (null: it did not).</summary>
    public ulong? TierUpRetired { get; private set; }

    /// <summary>The retired count at which an offered translation was swapped in (null: attached before the run, or never).</summary>
    public ulong? SwappedAtRetired { get; private set; }

    /// <summary>A translation was offered and waits for the interpreter's next boundary (tiered runs: it is compiled).</summary>
    public bool SwapPending => !_offered.IsEmpty;

    /// <summary>Tiered runs: wall time from the machine's creation to the first swap (null: none), and groups swapped in.</summary>
    public TimeSpan? FirstSwapTime { get; private set; }

    /// <summary>Groups of hot code swapped in during the run (tiered runs).</summary>
    public int GroupsSwapped { get; private set; }

    /// <summary>The compile processes that made the swapped groups (one is kept per image), and the CPU time they spent on them.</summary>
    private readonly HashSet<int> _compileProcesses = [];
    private TimeSpan _compileProcessCpu;

    /// <summary>The first swapped group's translation (its cost in --stats: where the time to hot code went).</summary>
    public LoadedTranslation? FirstGroup { get; private set; }

    /// <summary>
    /// Hands <paramref name="translation"/> over from any thread; the interpreter swaps it in at its next block
    /// boundary, from where on blocks run its regions (nothing that already retired changes).
    /// </summary>
    public void Offer(LoadedTranslation translation)
    {
        ArgumentNullException.ThrowIfNull(translation);
        _offered[translation.Image] = translation;
        interpreter.OfferTranslation(translation.Image, replacing: translation.ReplacesEarlierGroups);
    }

    private void Swapped(TranslatedImage image, ulong retired)
    {
        if (_offered.TryRemove(image, out LoadedTranslation? offered))
        {
            if (offered.Groups > 0)
            {
                GroupsSwapped++;
                FirstGroup ??= offered;
                if (offered.Worker is { } child)
                {
                    _compileProcesses.Add(child.ProcessId);
                    _compileProcessCpu += child.Cpu;
                }
            }

            Translation = Translation is { Groups: > 0 } earlier && offered.Groups > 0
                ? offered.ReplacesEarlierGroups ? Succeed(earlier, offered) : Combine(earlier, offered)
                : offered;
            SwappedAtRetired ??= retired;
            FirstSwapTime ??= _clock.Elapsed;
        }
    }

    /// <summary>Two groups' translation as one (the interpreter holds both images; the figures add up).</summary>
    private static LoadedTranslation Combine(LoadedTranslation earlier, LoadedTranslation added) => added with
    {
        Origin = earlier.Origin == added.Origin ? added.Origin : TranslationOrigin.Translated,
        TranslateTime = earlier.TranslateTime + added.TranslateTime,
        CompileTime = earlier.CompileTime + added.CompileTime,
        LoadTime = earlier.LoadTime + added.LoadTime,
        Regions = earlier.Regions + added.Regions,
        Instructions = earlier.Instructions + added.Instructions,
        Warnings = [.. earlier.Warnings, .. added.Warnings],
        CompileProcessPeakBytes = Math.Max(earlier.CompileProcessPeakBytes, added.CompileProcessPeakBytes),
        JitTime = earlier.JitTime + added.JitTime,
        Groups = earlier.Groups + added.Groups,
    };

    /// <summary>
    /// A translation of all the hot code so far in place of the earlier ones: its own regions, and what every one of
    /// them cost (the figures add up, as the run paid them all).
    /// </summary>
    private static LoadedTranslation Succeed(LoadedTranslation earlier, LoadedTranslation added) =>
        Combine(earlier, added) with { Regions = added.Regions, Instructions = added.Instructions };

    /// <summary>
    /// Tiered translation by groups of hot code: once the guest has retired <paramref name="after"/> instructions, and
    /// again every <paramref name="every"/> after that, the blocks the interpreter found hot and no region covers
    /// become a group that <paramref name="compileGroup"/> translates and compiles on a background thread (one group
    /// at a time) while the guest goes on; each is offered for the swap at the next boundary. A group of nothing
    /// translatable is not asked for again; a failure leaves the rest on the interpreter with the reason in
    /// <see cref="Problem"/>.
    /// </summary>
    /// <param name="recorded">Addresses earlier runs found hot: compiled as a group at once, before any tier-up.</param>
    /// <param name="cumulative">
    /// Each group holds all the hot code found so far and replaces the one before it, instead of adding the new hot
    /// code beside it: for a compiler fast enough to compile it all again (the direct IL back end). The hot addresses
    /// may then be the translation's entry points (a computed jump's targets, a switch's cases), which groups sharing
    /// one method numbering cannot add.
    /// </param>
    public void StartTieringByGroups(ulong after, ulong every, Func<IReadOnlyCollection<uint>, LoadedTranslation?> compileGroup,
        IReadOnlyCollection<uint>? recorded = null, bool cumulative = false)
    {
        ArgumentNullException.ThrowIfNull(compileGroup);
        var asked = new HashSet<uint>();
        int busy = 0;
        (ulong Retired, long Translated) window = (0, 0);
        interpreter.TierUpAt = after;
        interpreter.TierUp = () =>
        {
            X86Cpu cpu = interpreter.Cpu;
            interpreter.TierUpAt = cpu.Retired + Math.Max(every, 1);
            if (Problem is not null || Volatile.Read(ref busy) != 0)
            {
                return;
            }

            // A cumulative group compiles all the hot code again: worth it only while the interpreter still runs a
            // real share of the guest (over 1/16 of the instructions since the last look), not for every block that
            // crosses the hot threshold in a run that is almost all translated.
            (ulong Retired, long Translated) now = (cpu.Retired, cpu.Counters.TranslatedInstructions);
            (ulong Retired, long Translated) since = (now.Retired - window.Retired, now.Translated - window.Translated);
            window = now;
            if (cumulative && Translation is not null && (ulong)Math.Max(since.Translated, 0) >= since.Retired - since.Retired / 16)
            {
                return;
            }

            // Hot blocks first; a run that tiers before any block proved hot (tests tier at any point) takes what runs now.
            var hot = interpreter.HotUntranslatedBlocks().Where(a => !asked.Contains(a)).ToList();
            if (hot.Count == 0 && asked.Count == 0 && Translation is null)
            {
                hot.Add(cpu.Eip);
            }

            if (hot.Count == 0)
            {
                return;
            }

            TierUpRetired ??= cpu.Retired;
            Compile(hot);
        };

        if (recorded is { Count: > 0 })
        {
            TierUpRetired = 0;
            Compile(recorded.ToList());
        }

        void Compile(List<uint> hot)
        {
            asked.UnionWith(hot);
            if (cumulative)
            {
                hot = asked.Order().ToList();
            }

            busy = 1;
            var worker = new Thread(() =>
            {
                try
                {
                    BackgroundPriority.Lower();
                    if (compileGroup(hot) is { } group)
                    {
                        Offer(cumulative ? group with { ReplacesEarlierGroups = true } : group);
                    }
                }
                catch (Exception e)
                {
                    // On a background thread nothing may escape: the guest keeps running, interpreted.
                    Problem = e.Message;
                }
                finally
                {
                    Volatile.Write(ref busy, 0);
                }
            })
            {
                IsBackground = true,
                Name = "tiered translation",
            };
            worker.Start();
        }
    }

    /// <summary>Addresses where guest code ran without a translated region (entries for the next translation).</summary>
    public IReadOnlyCollection<uint> UntranslatedEntries =>
        translatable is null ? interpreter.UntranslatedEntries : interpreter.UntranslatedEntries.Where(translatable).ToArray();

    /// <summary>Runs <paramref name="translation"/>'s regions wherever they match the loaded code; the rest stays interpreted.</summary>
    public void Attach(LoadedTranslation translation)
    {
        ArgumentNullException.ThrowIfNull(translation);
        Translation = translation;
        interpreter.UseTranslation(translation.Image);
    }

    public void CollectEvents(IDictionary<string, long> events, X86Cpu cpu)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(cpu);
        events["bt.regions"] = Translation?.Regions ?? 0;
        if (Problem is not null)
        {
            events["bt.translationFailed"] = 1;
        }

        events["bt.translatedInstructions"] = Translation?.Instructions ?? 0;
        events["bt.instructionsInRegions"] = cpu.Counters.TranslatedInstructions;
        events["bt.interpreterFallbacks"] = Translation is null ? 0 : UntranslatedEntries.Count;
        if (TierUpRetired is { } started)
        {
            events["bt.tier.startedAt"] = (long)started;
        }

        if (SwappedAtRetired is { } swapped)
        {
            events["bt.tier.swappedAt"] = (long)swapped;
        }

        if (FirstSwapTime is { } firstSwap)
        {
            // Time to hot code: from the machine's creation to the first swap, and what the first group's compile took.
            events["bt.tier.swappedAtMicroseconds"] = (long)firstSwap.TotalMicroseconds;
        }

        if (GroupsSwapped > 0)
        {
            events["bt.tier.groups"] = GroupsSwapped;
        }

        if (_compileProcesses.Count > 0)
        {
            // Kept per image: a run whose groups all came from one process paid its start and warm-up once.
            events["bt.tier.compileProcesses"] = _compileProcesses.Count;
            events["bt.tier.compileProcessCpuMicroseconds"] = (long)_compileProcessCpu.TotalMicroseconds;
        }

        if (FirstGroup is { } first)
        {
            events["bt.tier.firstGroup.translateMicroseconds"] = (long)first.TranslateTime.TotalMicroseconds;
            events["bt.tier.firstGroup.compileMicroseconds"] = (long)first.CompileTime.TotalMicroseconds;
            events["bt.tier.firstGroup.loadMicroseconds"] = (long)first.LoadTime.TotalMicroseconds;
            events["bt.tier.firstGroup.jitMicroseconds"] = (long)first.JitTime.TotalMicroseconds;
            events["bt.tier.firstGroup.instructions"] = first.Instructions;
            if (first.Worker is { } child)
            {
                events["bt.tier.firstGroup.process.wallMicroseconds"] = (long)child.Wall.TotalMicroseconds;
                events["bt.tier.firstGroup.process.startedMicroseconds"] = (long)child.Started.TotalMicroseconds;
                events["bt.tier.firstGroup.process.warmUpMicroseconds"] = (long)child.WarmUp.TotalMicroseconds;
                events["bt.tier.firstGroup.parseMicroseconds"] = (long)child.Parse.TotalMicroseconds;
                events["bt.tier.firstGroup.sourceBytes"] = child.SourceBytes;
                events["bt.tier.firstGroup.assemblyBytes"] = child.AssemblyBytes;
                events["bt.tier.firstGroup.process.warmUpCpuMicroseconds"] = (long)child.WarmUpCpu.TotalMicroseconds;
                events["bt.tier.firstGroup.process.translateCpuMicroseconds"] = (long)child.TranslateCpu.TotalMicroseconds;
                events["bt.tier.firstGroup.process.compileCpuMicroseconds"] = (long)child.CompileCpu.TotalMicroseconds;
                events["bt.tier.firstGroup.process.cpuMicroseconds"] = (long)child.Cpu.TotalMicroseconds;
            }
        }
        if (Translation is { } t)
        {
            events["bt.cache." + t.Origin switch
            {
                TranslationOrigin.BuildTime => "buildTime",
                TranslationOrigin.DiskCache => "hit",
                TranslationOrigin.Reused => "reused",
                _ => "miss",
            }] = 1;
            events["bt.translateMicroseconds"] = (long)t.TranslateTime.TotalMicroseconds;
            events["bt.compileMicroseconds"] = (long)t.CompileTime.TotalMicroseconds;
            events["bt.precompileMicroseconds"] = (long)t.PrecompileTime.TotalMicroseconds;
            events["bt.precompiled"] = t.Precompiled ? 1 : 0;
            if (t.Groups > 0)
            {
                events["bt.groups"] = t.Groups;
            }

            if (t.Origin == TranslationOrigin.Translated && SwappedAtRetired is not null)
            {
                // A tiered run's compile: to IL directly, here; else in a child process (this one never held the
                // compiler) or, failing that, here.
                events[t.CompiledToIl ? "bt.compile.directIl" : t.CompiledOutOfProcess ? "bt.compile.outOfProcess" : "bt.compile.inProcess"] = 1;
                if (t.CompiledOutOfProcess)
                {
                    events["bt.compile.processPeakKiB"] = t.CompileProcessPeakBytes / 1024;
                }
            }
        }
    }
}
