using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Translator.Machine.Loader;
using Translator.Machine.Translation;
using Translator.Translation;

namespace Translator.Vmm.Backends.Bt;

/// <summary>
/// Tiered translation by groups of hot code: instead of the whole image, only the methods (pieces of pages) holding
/// the blocks the interpreter found hot are translated and compiled, under the whole image's method numbering, stored
/// as a group in the cache entry and swapped in group by group. A later run of the image starts with every stored group.
/// </summary>
internal static class TranslationGroups
{
    /// <summary>
    /// The numbering groups of an image share: the image and the entry points they were translated with (the same
    /// entry points cut the same methods, so equal indices mean equal methods).
    /// </summary>
    public static string Numbering(string imageSha256, IReadOnlyList<uint> entryPoints) =>
        imageSha256[..16] + ":" + TranslationStore.Hex(SHA256.HashData(Encoding.ASCII.GetBytes(string.Join(',', entryPoints))))[..16];

    /// <summary>The core's translation of the methods holding <paramref name="hot"/>; null when none of the addresses is translated code.</summary>
    /// <param name="layoutOnly">The layout alone, without the C# file (<see cref="TranslationOptions.LayoutOnly"/>).</param>
    public static TranslationResult? Translate(byte[] image, string imageSha256, IReadOnlyList<uint> entryPoints, IReadOnlyCollection<uint> hot,
        bool layoutOnly = false)
    {
        TranslationResult result;
        try
        {
            result = BinaryTranslator.Translate(image, new TranslationOptions
            {
                ExtraEntryPoints = entryPoints.ToArray(),
                MethodsHolding = hot,
                MethodNumbering = Numbering(imageSha256, entryPoints),
                ClassName = "Group",
                AggressiveOptimization = true, // JIT-compiled: straight to optimized code
                LayoutOnly = layoutOnly,
            });
        }
        catch (TranslationException e)
        {
            throw new InvalidImageException(e.Message);
        }

        return result.Regions == 0 ? null : result;
    }

    /// <summary>
    /// Translates the methods holding <paramref name="hot"/> and compiles them with Roslyn (IL, no native image: a
    /// group is small and the JIT compiles it in milliseconds); null when none of the addresses is translated code.
    /// </summary>
    /// <param name="translated">Called between translating and compiling (the child's report splits its CPU time there).</param>
    public static CompiledGroup? Compile(byte[] image, string imageSha256, IReadOnlyList<uint> entryPoints, IReadOnlyCollection<uint> hot, Action? translated = null)
    {
        var clock = Stopwatch.StartNew();
        if (Translate(image, imageSha256, entryPoints, hot) is not { } result)
        {
            return null;
        }

        TimeSpan translate = clock.Elapsed;
        translated?.Invoke();
        string name = "g" + TranslationStore.Hex(SHA256.HashData(Encoding.UTF8.GetBytes(result.Source)))[..16];
        clock.Restart();
        byte[] assembly = TranslationCompiler.Compile(result.Source, "Translation_" + imageSha256[..16] + "_" + name, out TimeSpan parse);
        TimeSpan compile = clock.Elapsed;
        return new CompiledGroup(name, result.Namespace + "." + result.ClassName, result, assembly, translate, parse, compile);
    }

    /// <summary>
    /// Loads a stored group and JIT-compiles its methods here, on the background thread, so the guest's thread never
    /// waits for the JIT after the swap; returns the image and the JIT's time.
    /// </summary>
    public static (TranslatedImage Image, TimeSpan Jit) LoadAndPrepare(StoredTranslation group, string imageSha256)
    {
        TranslatedImage loaded = TranslationCompiler.Load(group.Assembly, group.TypeName, imageSha256);
        var clock = Stopwatch.StartNew();
        _ = loaded.Regions;
        foreach (MethodInfo method in loaded.GetType().GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
        {
            if (!method.IsAbstract && !method.ContainsGenericParameters)
            {
                RuntimeHelpers.PrepareMethod(method.MethodHandle);
            }
        }

        return (loaded, clock.Elapsed);
    }
}

/// <summary>One compiled group: its name in the cache entry, its type, the translation and where the time went.</summary>
internal sealed record CompiledGroup(string Name, string TypeName, TranslationResult Result, byte[] Assembly, TimeSpan Translate, TimeSpan Parse, TimeSpan Compile);

/// <summary>
/// The groups of one image and numbering stored by earlier runs, attached as one translation: their regions side by
/// side under the shared method indices, so code chains within each group as in a whole translation.
/// </summary>
internal sealed class GroupedImage(IReadOnlyList<TranslatedImage> groups) : TranslatedImage
{
    private TranslatedRegion[]? _regions;

    public override string ImageSha256 => groups[0].ImageSha256;

    public override string? MethodNumbering => groups[0].MethodNumbering;

    public override IReadOnlyList<TranslatedRegion> Regions => _regions ??= groups.SelectMany(g => g.Regions).ToArray();
}
