using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Translator.Machine.Translation;
using Translator.Translation;

namespace Translator.Translation.Tests;

/// <summary>Translates an image and compiles the C# in memory with Roslyn, as the run-time host will.</summary>
public static class TranslatedCompiler
{
    private static readonly ConcurrentDictionary<string, (TranslationResult, TranslatedImage)> s_cache = new();

    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
    {
        string trusted = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        var paths = trusted.Split(Path.PathSeparator).ToList();
        paths.Add(typeof(TranslatedImage).Assembly.Location);
        paths.Add(typeof(Iced.Intel.Instruction).Assembly.Location);
        return paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    });

    public static (TranslationResult Result, TranslatedImage Image) Translate(byte[] image, IReadOnlyCollection<uint>? extraEntries = null)
    {
        string key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(image)) + string.Join(",", extraEntries ?? []);
        return s_cache.GetOrAdd(key, _ =>
        {
            TranslationResult result = BinaryTranslator.Translate(image, new TranslationOptions { ExtraEntryPoints = extraEntries ?? [] });
            return (result, Compile(result));
        });
    }

    public static TranslatedImage Compile(TranslationResult result)
    {
        SyntaxTree tree = CSharpSyntaxTree.ParseText(result.Source, new CSharpParseOptions(LanguageVersion.Latest));
        var compilation = CSharpCompilation.Create(
            "Translated_" + result.ClassName,
            [tree],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, allowUnsafe: true));
        using var stream = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = compilation.Emit(stream);
        if (!emitted.Success)
        {
            string errors = string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(20));
            throw new InvalidOperationException($"the translated C# does not compile:\n{errors}");
        }

        Assembly assembly = Assembly.Load(stream.ToArray());
        Type type = assembly.GetType(result.Namespace + "." + result.ClassName, throwOnError: true)!;
        return (TranslatedImage)Activator.CreateInstance(type)!;
    }
}
