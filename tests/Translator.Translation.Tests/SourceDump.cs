using Xunit;

namespace Translator.Translation.Tests;

public sealed class SourceDump
{
    [Fact]
    public void Dump()
    {
        if (Environment.GetEnvironmentVariable("BT_DUMP") is not { } name)
        {
            return;
        }

        File.WriteAllText("/tmp/" + name + ".cs", BinaryTranslator.Translate(GuestImageTests.Load(name), new TranslationOptions()).Source);
    }
}
