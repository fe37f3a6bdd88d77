using System.Security.Cryptography;
using Translator.Machine.Translation;
using Translator.Samples;
using Xunit;

namespace Translator.Samples.Tests;

/// <summary>
/// Every sample kernel carries its binary translation, compiled at build time by the kernel compiler and registered
/// when the sample's assembly loads, so <c>translator run SAMPLE --backend bt</c> translates nothing at run time.
/// </summary>
public sealed class SampleTranslationTests
{
    public static TheoryData<string> Samples() => new(SampleCatalog.Names);

    [Theory]
    [MemberData(nameof(Samples))]
    public void TheSampleIsTranslatedAtBuildTime(string name)
    {
        SampleKernel sample = SampleCatalog.Find(name)!;
        string sha = Convert.ToHexStringLower(SHA256.HashData(sample.Image));

        TranslatedImage? translation = TranslationRegistry.Find(sha);

        Assert.NotNull(translation);
        Assert.Equal(name + "Translation", translation.GetType().Name);
        Assert.NotEmpty(translation.Regions);
        Assert.Contains(translation.Regions, r => r.LinearStart == sample.EntryAddress);
    }
}
