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

    /// <summary>A translation handed to the interpreter by <see cref="Offer"/> and not yet swapped in.</summary>
    private volatile LoadedTranslation? _offered;

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
    public bool SwapPending => _offered is not null;

    /// <summary>
    /// Hands <paramref name="translation"/> over from any thread; the interpreter swaps it in at its next block
    /// boundary, from where on blocks run its regions (nothing that already retired changes).
    /// </summary>
    public void Offer(LoadedTranslation translation)
    {
        ArgumentNullException.ThrowIfNull(translation);
        _offered = translation;
        interpreter.OfferTranslation(translation.Image);
    }

    private void Swapped(TranslatedImage image, ulong retired)
    {
        if (_offered is { } offered && ReferenceEquals(offered.Image, image))
        {
            Translation = offered;
            SwappedAtRetired = retired;
            _offered = null;
        }
    }

    /// <summary>
    /// Tiered translation: once the guest has retired <paramref name="after"/> instructions, <paramref name="obtain"/>
    /// (translate, compile, store) runs on a background thread while the guest goes on interpreted, and its result is
    /// offered for the swap. A failure there leaves the guest on the interpreter with the reason in <see cref="Problem"/>.
    /// </summary>
    public void StartTiering(ulong after, Func<LoadedTranslation> obtain)
    {
        ArgumentNullException.ThrowIfNull(obtain);
        interpreter.TierUpAt = after;
        interpreter.TierUp = () =>
        {
            TierUpRetired = interpreter.Cpu.Retired;
            var worker = new Thread(() =>
            {
                try
                {
                    BackgroundPriority.Lower();
                    TranslationCompiler.OnThisThreadOnly = true;
                    Offer(obtain());
                }
                catch (Exception e)
                {
                    // On a background thread nothing may escape: the guest keeps running, interpreted.
                    Problem = e.Message;
                }
            })
            {
                IsBackground = true,
                Name = "tiered translation",
            };
            worker.Start();
        };
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
            if (t.Origin == TranslationOrigin.Translated && SwappedAtRetired is not null)
            {
                // A tiered run's compile: in a child process (this one never held the compiler) or, failing that, here.
                events[t.CompiledOutOfProcess ? "bt.compile.outOfProcess" : "bt.compile.inProcess"] = 1;
                if (t.CompiledOutOfProcess)
                {
                    events["bt.compile.processPeakKiB"] = t.CompileProcessPeakBytes / 1024;
                }
            }
        }
    }
}
