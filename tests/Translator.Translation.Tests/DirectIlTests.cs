using Translator.Machine.Translation;
using Translator.Vmm.Backends.Bt.DirectIl;
using Xunit;

namespace Translator.Translation.Tests;

/// <summary>
/// The direct IL back end: the core's C# for a whole image compiled to dynamic methods runs the guest exactly as the
/// interpreter and the Roslyn-compiled translation do (console, exit code, retired count, final processor state).
/// </summary>
public sealed class DirectIlTests
{
    [Theory]
    [InlineData("sort.elf")]
    [InlineData("crc32.elf")]
    [InlineData("sieve.elf")]
    [InlineData("muldiv64.elf")]
    [InlineData("interp-small.elf")]
    [InlineData("oracle.elf")]
    public void AWholeImageRunsAsTheInterpreterAndRoslynsCompile(string name)
    {
        byte[] image = GuestImageTests.Load(name);
        (TranslationResult result, TranslatedImage roslyn) = TranslatedCompiler.Translate(image);
        DirectIlImage direct = DirectIlImage.Compile(result, null, out _);
        Assert.Equal(roslyn.Regions.Select(r => (r.LinearStart, r.PhysicalStart, r.CodeStart, r.GuestInstructions, r.Method)),
            direct.Regions.Select(r => (r.LinearStart, r.PhysicalStart, r.CodeStart, r.GuestInstructions, r.Method)));

        MachineRun native = MachineRun.Native(image);
        MachineRun viaRoslyn = MachineRun.WithTranslation(image, roslyn);
        MachineRun viaIl = MachineRun.WithTranslation(image, direct);
        Assert.Equal(native.Console, viaIl.Console);
        Assert.Equal(native.ExitCode, viaIl.ExitCode);
        Assert.Equal(native.Retired, viaIl.Retired);
        Assert.Equal(native.State, viaIl.State);
        Assert.Equal(viaRoslyn.Translated, viaIl.Translated);
        Assert.True(viaIl.Translated > 0, "no instruction ran translated");
    }
}
