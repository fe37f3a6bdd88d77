using Xunit;

namespace Translator.Translation.Tests;

public sealed class DumpTests
{
    [Fact]
    public void Dump()
    {
        foreach (string name in new[] { "elf_hello.elf", "bench.elf" })
        {
            TranslationResult r = BinaryTranslator.Translate(GuestImageTests.Load(name), new TranslationOptions());
            File.WriteAllText("/tmp/" + name + ".cs", r.Source);
        }
    }
}

public sealed class TimingProbe(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Time_translation_and_compilation()
    {
        foreach (string name in new[] { "oracle.elf", "bench.elf" })
        {
            byte[] image = GuestImageTests.Load(name);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            TranslationResult r = BinaryTranslator.Translate(image, new TranslationOptions());
            double translate = watch.Elapsed.TotalSeconds;
            watch.Restart();
            TranslatedCompiler.Compile(r);
            output.WriteLine($"{name}: {image.Length} bytes, translate {translate:F2}s, compile {watch.Elapsed.TotalSeconds:F2}s, {r.Source.Length} chars, {r.Instructions} instructions");
        }
    }
}
