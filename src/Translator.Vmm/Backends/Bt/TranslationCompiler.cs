using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Translator.Machine.Translation;

namespace Translator.Vmm.Backends.Bt;

/// <summary>
/// The generated code did not compile or load: a fault of the translator, not of the guest. The message names the
/// first compiler errors.
/// </summary>
public sealed class TranslationHostException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Compiles a translation's C# in memory with Roslyn (Release optimisation, unsafe code allowed), and loads a
/// compiled translation: IL into its own collectible load context, a precompiled (ReadyToRun) one from its file.
/// </summary>
internal static class TranslationCompiler
{
    private const int ErrorsShown = 5;

    /// <summary>
    /// The files a translation is compiled against: the trusted platform assemblies of this process (the framework
    /// and the tool's own dependencies) and Translator.Machine, where the translated-code ABI lives; read once.
    /// </summary>
    private static readonly Lazy<ImmutableArray<string>> s_referencePaths = new(() =>
    {
        string machine = typeof(TranslatedImage).Assembly.Location;
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string platform = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        foreach (string path in platform.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            paths.TryAdd(Path.GetFileName(path), path);
        }

        if (machine.Length > 0)
        {
            paths[Path.GetFileName(machine)] = machine;
        }

        return paths.Values.Order(StringComparer.Ordinal).ToImmutableArray();
    });

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
        s_referencePaths.Value.Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToImmutableArray());

    /// <summary>
    /// What generated code needs: Translator.Machine and the assemblies it references (the core library among them),
    /// a dozen files instead of the platform's ~170, whose metadata Roslyn would otherwise read and bind against in
    /// every cold compiler process (a tiered run's child). A compile that needs more retries with them all.
    /// </summary>
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_machineReferences = new(() =>
    {
        Assembly machine = typeof(TranslatedImage).Assembly;
        var names = machine.GetReferencedAssemblies().Select(a => a.Name + ".dll").Append("System.Private.CoreLib.dll").Append("System.Runtime.dll")
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        return s_referencePaths.Value.Where(p => names.Contains(Path.GetFileName(p)) || p == machine.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToImmutableArray();
    });

    /// <summary>The assembly files translations are compiled against (also what crossgen2 needs to precompile one).</summary>
    public static IReadOnlyList<string> ReferencePaths => s_referencePaths.Value;

    private static readonly CSharpParseOptions s_parse = new(LanguageVersion.Latest);

    /// <summary>
    /// Set on a background compiler's thread (tiered translation): Roslyn then compiles on that thread alone, whose
    /// lowered priority keeps it from taking the running guest's core, instead of spreading over the thread pool.
    /// </summary>
    [ThreadStatic]
    internal static bool OnThisThreadOnly;

    /// <summary>The assembly bytes of <paramref name="source"/>; throws <see cref="TranslationHostException"/> on compiler errors.</summary>
    public static byte[] Compile(string source, string assemblyName) => Compile(source, assemblyName, out _);

    /// <summary>As <see cref="Compile(string, string)"/>, saying how long parsing took (the rest is binding and emitting IL).</summary>
    public static byte[] Compile(string source, string assemblyName, out TimeSpan parse)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        SyntaxTree tree = CSharpSyntaxTree.ParseText(source, s_parse, path: assemblyName + ".cs");
        _ = tree.GetRoot(); // parsing is lazy: done here, so the figure is parsing's
        parse = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        var options = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            optimizationLevel: OptimizationLevel.Release,
            allowUnsafe: true,
            deterministic: true,
            nullableContextOptions: NullableContextOptions.Enable,
            concurrentBuild: !OnThisThreadOnly);
        using var assembly = new MemoryStream();
        EmitResult result = CSharpCompilation.Create(assemblyName, [tree], s_machineReferences.Value, options).Emit(assembly);
        if (!result.Success)
        {
            assembly.SetLength(0);
            result = CSharpCompilation.Create(assemblyName, [tree], s_references.Value, options).Emit(assembly);
        }

        if (!result.Success)
        {
            IEnumerable<string> errors = result.Diagnostics
                .Where(d => d.Severity == DiagnosticSeverity.Error)
                .Take(ErrorsShown)
                .Select(d => d.ToString());
            throw new TranslationHostException($"the translation of {assemblyName} does not compile: {string.Join("; ", errors)}");
        }

        return assembly.ToArray();
    }

    /// <summary>
    /// Loads a compiled translation (IL) and creates its image object: the class <paramref name="typeName"/>, derived
    /// from <see cref="TranslatedImage"/>, translated from the image whose hash is <paramref name="imageSha256"/>.
    /// The assembly goes into its own collectible context, so an unused one can be unloaded. Throws
    /// <see cref="TranslationHostException"/> when the assembly is not that (corrupt, foreign or stale).
    /// </summary>
    public static TranslatedImage Load(byte[] assemblyBytes, string typeName, string imageSha256) =>
        Load(typeName, imageSha256, collectible: true, context =>
        {
            using var stream = new MemoryStream(assemblyBytes, writable: false);
            return context.LoadFromStream(stream);
        });

    /// <summary>
    /// Loads a precompiled (ReadyToRun) translation from its file, as <see cref="Load(byte[], string, string)"/>
    /// does. The runtime uses an assembly's native code only when it is loaded from a file into a context that is
    /// not collectible, so this one stays loaded for the life of the process (one per image and translator version).
    /// </summary>
    public static TranslatedImage LoadPrecompiled(string path, string typeName, string imageSha256) =>
        Load(typeName, imageSha256, collectible: false, context => context.LoadFromAssemblyPath(Path.GetFullPath(path)));

    private static TranslatedImage Load(string typeName, string imageSha256, bool collectible, Func<AssemblyLoadContext, Assembly> load)
    {
        // Translator.Machine resolves to the tool's own copy (the default context), so TranslatedImage is one type.
        var context = new AssemblyLoadContext("translation-" + imageSha256, collectible);
        try
        {
            Type? type = load(context).GetType(typeName, throwOnError: false);
            if (type is null || !typeof(TranslatedImage).IsAssignableFrom(type) || type.IsAbstract)
            {
                throw new TranslationHostException($"the compiled translation holds no class {typeName} deriving from TranslatedImage");
            }

            var image = (TranslatedImage)Activator.CreateInstance(type)!;
            if (!string.Equals(image.ImageSha256, imageSha256, StringComparison.Ordinal))
            {
                throw new TranslationHostException($"the compiled translation is of image {image.ImageSha256}, not {imageSha256}");
            }

            return image;
        }
        catch (TranslationHostException)
        {
            Unload(context);
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever a damaged or foreign assembly throws while loading or constructing, it is not a translation.
            Unload(context);
            throw new TranslationHostException($"the compiled translation cannot be loaded: {e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>A context that is not collectible cannot be unloaded; what it loaded is small and never used.</summary>
    private static void Unload(AssemblyLoadContext context)
    {
        if (context.IsCollectible)
        {
            context.Unload();
        }
    }
}
