using Translator.Machine;
using Translator.Machine.Translation;
using Translator.Vmm.Backends.Bt;
using Xunit;

namespace Translator.Translation.Generator.Tests;

/// <summary>
/// What each host produces runs: the build-time translation of sieve.elf and the run-time host's (compiled in memory,
/// precompiled to native code and loaded from its file, then from the disk cache) give the machine the same console
/// bytes and exit code as bare metal, with guest instructions retired in translated code; interpreter fallbacks a run
/// reports reach the next translation.
/// </summary>
public sealed class TranslatedRunTests : TemporaryCache
{
    private static readonly byte[] Sieve = GeneratorHarness.Image("sieve.elf");

    private static readonly Lazy<Outcome> s_native = new(() => Run(Sieve, null));

    [Fact]
    public void TheBuildTimeTranslationRunsLikeBareMetal()
    {
        Outcome translated = Run(Sieve, TranslationRegistry.Find(TranslationCache.ImageHash(Sieve))!);

        AssertSameGuestBehaviour(s_native.Value, translated);
    }

    [Fact]
    public void TheRunTimeTranslationRunsLikeBareMetalFromMemoryAndFromTheCache()
    {
        LoadedTranslation fresh = new TranslationCache(CacheDirectory, TranslationCache.CurrentVersion, consultRegistry: false).Load(Sieve);
        LoadedTranslation cached = new TranslationCache(CacheDirectory, TranslationCache.CurrentVersion, consultRegistry: false).Load(Sieve);

        Assert.Equal(TranslationOrigin.Translated, fresh.Origin);
        Assert.Equal(TranslationOrigin.DiskCache, cached.Origin);
        AssertSameGuestBehaviour(s_native.Value, Run(Sieve, fresh.Image));
        AssertSameGuestBehaviour(s_native.Value, Run(Sieve, cached.Image));
    }

    [Fact]
    public void ReportedFallbacksAreTranslatedNextTime()
    {
        var cache = new TranslationCache(CacheDirectory, TranslationCache.CurrentVersion, consultRegistry: false);
        LoadedTranslation first = cache.Load(Sieve);
        Outcome firstRun = Run(Sieve, first.Image);

        Assert.Null(cache.RecordFallbacks(first.Image.ImageSha256, firstRun.Untranslated));
        LoadedTranslation second = cache.Load(Sieve);
        Outcome secondRun = Run(Sieve, second.Image);

        Assert.Equal(firstRun.Untranslated.Order(), second.EntryPoints);
        Assert.NotEmpty(firstRun.Untranslated);
        Assert.True(secondRun.Untranslated.Count < firstRun.Untranslated.Count,
            $"{secondRun.Untranslated.Count} addresses ran untranslated after recording {firstRun.Untranslated.Count}: {string.Join(", ", secondRun.Untranslated.Select(a => a.ToString("x8")))}");
        Assert.True(secondRun.Translated > firstRun.Translated);
        AssertSameGuestBehaviour(s_native.Value, secondRun);
    }

    private static void AssertSameGuestBehaviour(Outcome native, Outcome translated)
    {
        Assert.Equal(native.Console, translated.Console);
        Assert.Equal(native.ExitCode, translated.ExitCode);
        Assert.Equal(native.Retired, translated.Retired);
        Assert.True((ulong)translated.Translated > translated.Retired / 2, $"only {translated.Translated} of {translated.Retired} instructions ran translated");
    }

    private static Outcome Run(byte[] image, TranslatedImage? translation)
    {
        var console = new List<byte>();
        var machine = new PcMachine(new MachineOptions { MaxInstructions = 2_000_000_000 }, console.Add);
        machine.Load(image);
        if (translation is not null)
        {
            machine.UseTranslation(translation);
        }

        MachineResult result = machine.Run();
        return new Outcome(console.ToArray(), result.ExitCode, machine.Cpu.Retired, machine.Cpu.Counters.TranslatedInstructions, machine.UntranslatedEntries.ToArray());
    }

    private sealed record Outcome(byte[] Console, int ExitCode, ulong Retired, long Translated, IReadOnlyCollection<uint> Untranslated);
}
