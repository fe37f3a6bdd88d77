using Translator.Machine.Translation;
using Translator.Vmm.Backends.Bt;
using Xunit;

namespace Translator.Translation.Tests;

/// <summary>
/// Groups of hot code (tiered translation): a translation of only the methods holding some addresses keeps the whole
/// image's method numbering, and groups attached side by side run the guest exactly as the interpreter does.
/// </summary>
public sealed class GroupTranslationTests
{
    [Theory]
    [InlineData("sort.elf")]
    [InlineData("crc32.elf")]
    public void GroupsKeepTheWholeImagesNumberingAndRunAsTheInterpreter(string name)
    {
        byte[] image = GuestImageTests.Load(name);
        (TranslationResult whole, TranslatedImage wholeImage) = TranslatedCompiler.Translate(image);
        var numbered = wholeImage.Regions.Select(r => (r.LinearStart, r.PhysicalStart, r.Method)).ToHashSet();
        int[] methods = wholeImage.Regions.Select(r => r.Method).Distinct().Order().ToArray();
        Assert.True(methods.Length >= 3, $"{name} has {methods.Length} methods");

        // Two groups: the image's first method, and every third of the others.
        uint[] first = [wholeImage.Regions.First(r => r.Method == methods[0]).LinearStart];
        uint[] others = methods.Skip(1).Where((_, i) => i % 3 == 0).Select(m => wholeImage.Regions.First(r => r.Method == m).LinearStart).ToArray();
        TranslatedImage[] groups = [Group(image, first), Group(image, others)];

        foreach (TranslatedImage group in groups)
        {
            Assert.Equal("numbering", group.MethodNumbering);
            Assert.All(group.Regions, r => Assert.Contains((r.LinearStart, r.PhysicalStart, r.Method), numbered));
        }

        Assert.Equal([methods[0]], groups[0].Regions.Select(r => r.Method).Distinct());
        Assert.True(groups.Sum(g => g.Regions.Count) < whole.Regions, "a group holds only its methods");

        MachineRun native = MachineRun.Native(image);
        MachineRun grouped = MachineRun.WithTranslation(image, new GroupedImage(groups));
        Assert.Equal(native.Console, grouped.Console);
        Assert.Equal(native.ExitCode, grouped.ExitCode);
        Assert.Equal(native.Retired, grouped.Retired);
        Assert.Equal(native.State, grouped.State);
        Assert.True(grouped.Translated > 0, "no instruction ran in a group's code");
    }

    private static TranslatedImage Group(byte[] image, uint[] holding) => TranslatedCompiler.Compile(BinaryTranslator.Translate(image,
        new TranslationOptions { MethodsHolding = holding, MethodNumbering = "numbering", ClassName = "Group_" + holding[0].ToString("X8") }));
}
