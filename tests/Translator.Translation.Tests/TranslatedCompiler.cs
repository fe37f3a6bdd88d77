using System.Collections.Concurrent;
using Translator.Machine.Translation;
using Translator.Translation;
using Translator.Vmm.Backends.Bt;

namespace Translator.Translation.Tests;

/// <summary>Translates an image and compiles the C# in memory with the run-time host's compiler.</summary>
public static class TranslatedCompiler
{
    private static readonly ConcurrentDictionary<string, (TranslationResult, TranslatedImage)> s_cache = new();

    public static (TranslationResult Result, TranslatedImage Image) Translate(byte[] image, IReadOnlyCollection<uint>? extraEntries = null)
    {
        string key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(image)) + string.Join(",", extraEntries ?? []);
        return s_cache.GetOrAdd(key, _ =>
        {
            TranslationResult result = BinaryTranslator.Translate(image, new TranslationOptions { ExtraEntryPoints = extraEntries ?? [] });
            return (result, Compile(result));
        });
    }

    public static TranslatedImage Compile(TranslationResult result) => TranslationCompiler.Load(
        TranslationCompiler.Compile(result.Source, "Translated_" + result.ClassName),
        result.Namespace + "." + result.ClassName,
        result.ImageSha256);
}
