using Translator.Machine.Translation;
using Translator.Vmm.Backends.Bt;
using Xunit;

namespace Translator.Translation.Generator.Tests;

/// <summary>
/// Both hosts of the translator on one image: this project lists Images/sieve.elf as a <c>&lt;GuestImage&gt;</c>, so
/// its translation was compiled in at build time; the run-time host translates and compiles the same image.
/// </summary>
public sealed class BuildTimeHostTests : TemporaryCache
{
    private static byte[] Sieve => GeneratorHarness.Image("sieve.elf");

    [Fact]
    public void TheGuestImageItemIsRegisteredWhenTheAssemblyLoads()
    {
        TranslatedImage? builtIn = TranslationRegistry.Find(TranslationCache.ImageHash(Sieve));

        Assert.NotNull(builtIn);
        Assert.Equal(typeof(BuildTimeHostTests).Assembly, builtIn.GetType().Assembly);
    }

    [Fact]
    public void TheRunTimeHostPrefersTheBuildTimeTranslation()
    {
        LoadedTranslation loaded = new TranslationCache(CacheDirectory).Load(Sieve);

        Assert.Equal(TranslationOrigin.BuildTime, loaded.Origin);
        Assert.False(Directory.Exists(CacheDirectory), "a build-time translation needs no cache entry");
    }

    [Fact]
    public void BuildTimeAndRunTimeTranslationsAreTheSame()
    {
        TranslatedImage builtIn = TranslationRegistry.Find(TranslationCache.ImageHash(Sieve))!;
        LoadedTranslation runTime = new TranslationCache(CacheDirectory, TranslationCache.CurrentVersion, consultRegistry: false).Load(Sieve);

        Assert.Equal(TranslationOrigin.Translated, runTime.Origin);
        Assert.Equal(builtIn.ImageSha256, runTime.Image.ImageSha256);
        Assert.Equal(Describe(builtIn), Describe(runTime.Image));
        Assert.Equal(runTime.Regions, builtIn.Regions.Count);

        // The cached C# is the generator's, less the registration the build-time host asks for, and without asking the
        // JIT for full optimization when the host precompiles it.
        string cached = File.ReadAllText(Path.Combine(CacheDirectory, builtIn.ImageSha256, TranslationCache.CurrentVersion, "translation.cs"));
        var options = new TranslationOptions { AggressiveOptimization = ReadyToRunCompiler.ToolPath is null };
        Assert.Equal(BinaryTranslator.Translate(Sieve, options).Source, cached);
    }

    private static string[] Describe(TranslatedImage image) => image.Regions
        .Select(r => $"{r.LinearStart:x8} {r.PhysicalStart:x8} {r.GuestInstructions} {Convert.ToHexString(r.GuestBytes)}")
        .ToArray();
}
