using Translator.Machine.Cpu;
using Translator.Machine.Execution;

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
public sealed class AttachedTranslation(Interpreter interpreter, Func<uint, bool>? translatable = null)
{
    /// <summary>The translation this run uses and what obtaining it cost (null: everything runs on the interpreter).</summary>
    public LoadedTranslation? Translation { get; private set; }

    /// <summary>Why no translation could be used (its generated code did not compile); null when none was asked for or it worked.</summary>
    public string? Problem { get; internal set; }

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
        }
    }
}
