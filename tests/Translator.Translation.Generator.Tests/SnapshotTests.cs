using Translator.Tests.Shared;
using Xunit;

namespace Translator.Translation.Generator.Tests;

/// <summary>
/// The C# binary translation makes of small images, as committed snapshots (Snapshots/*.verified.cs): a change in
/// the translator shows up here as a diff to review.
/// </summary>
public sealed class SnapshotTests
{
    [Theory]
    [InlineData("io_heavy.bin")]
    [InlineData("pit_irq.bin")]
    public void TranslatedShims(string image)
    {
        TranslationResult result = BinaryTranslator.Translate(GeneratorHarness.Image(image), new TranslationOptions());

        Snapshot.Verify(Path.GetFileNameWithoutExtension(image) + ".Translation", result.Source, "cs");
    }
}
