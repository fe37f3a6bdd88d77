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
        DirectIlImage direct = DirectIlImage.Compile(result, null);
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

/// <summary>Source outside the subset is refused with the reason and the place, never compiled to something else.</summary>
public sealed class DirectIlRejectionTests
{
    [Theory]
    [InlineData("private static int M(int x) { while (x > 0) x = x - 1; return x; }", "';' expected")]
    [InlineData("private static int M(int x) { return x.Foo; }", "has no field or property Foo")]
    [InlineData("private static int M(ulong x, int y) { return (int)(x + y); }", "no predefined operator takes ulong and int")]
    [InlineData("private static int M(int x) { goto Nowhere; }", "goto Nowhere names no label")]
    [InlineData("private static int M(int x) { uint y = x; return 0; }", "cannot convert int to uint implicitly")]
    [InlineData("private static int M(int x) { return x $ 1; }", "unexpected character '$'")]
    [InlineData("private static int M(int x) { L: L: return x; }", "label L is declared twice")]
    [InlineData("private static int M(int x) { return Unknown(x); }", "unsupported call")]
    [InlineData("private static int M(int x) { switch (x) { case 1: return 1; case 1: return 2; } return 0; }", "appears twice")]
    public void UnsupportedSourceIsRefusedWithItsReason(string source, string reason)
    {
        var set = new MethodSetCompiler();
        DirectIlException e = Assert.Throws<DirectIlException>(() =>
        {
            set.AddMethod(source);
            set.Compile();
        });
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void AValidMethodComputesAsCSharpDoes()
    {
        var set = new MethodSetCompiler();
        set.AddMethod("private static uint M(uint a, int b) { uint r = 0; if (b < 0 && a != 0u) r = a - 1; else r = a + (uint)b; switch (r) { case 7u: return 70u; default: return r << b; } }");
        System.Reflection.Emit.DynamicMethod m = set.Compile()["M"];
        object[] k = set.Constants;
        Assert.Equal(70u, m.Invoke(null, [k, 8u, -1]));
        Assert.Equal(4u << 31, m.Invoke(null, [k, 5u, -1]));
        Assert.Equal(5u << 2, m.Invoke(null, [k, 3u, 2]));
    }
}
