using System.Reflection;
using System.Runtime.Loader;
using Translator.Samples;

namespace Translator.Cli;

/// <summary>
/// A guest as the tool found it: its bare-metal image and, for a kernel built from DSL source, its PV build. A file
/// holds one of the two (a PV image file has no bare-metal build beside it).
/// </summary>
internal sealed record GuestImages(byte[]? BareMetal, byte[]? Paravirt)
{
    /// <summary>A file's bytes: a PV image (it carries the PV header) or a bare-metal one.</summary>
    public static GuestImages FromFile(byte[] bytes) =>
        Translator.Vmm.Backends.Pv.ParavirtImage.IsParavirtual(bytes) ? new(null, bytes) : new(bytes, null);

    /// <summary>The image a backend runs: the PV build under pv, the bare-metal one elsewhere; a file runs as it is.</summary>
    public byte[] For(bool paravirtual) => (paravirtual ? Paravirt ?? BareMetal : BareMetal ?? Paravirt)!;
}

/// <summary>
/// Where a guest image comes from: a file path, the name of a sample kernel built into the tool
/// (<c>translator run Hello</c>), or a guest project (a .csproj, or a folder holding one) that is built with
/// <c>dotnet build</c> and whose kernel class's generated <c>Image</c> (and <c>ParavirtImage</c>) is read.
/// </summary>
internal static class GuestImageSource
{
    /// <summary>The image bytes, or null after writing the reason to <paramref name="stderr"/>.</summary>
    public static byte[]? Load(string reference, string? kernel, Progress progress, TextWriter stderr) =>
        LoadBuilds(reference, kernel, progress, stderr)?.For(paravirtual: false);

    /// <summary>
    /// Every build of the guest the tool can find, or null after writing the reason to <paramref name="stderr"/>.
    /// <paramref name="kernel"/> names one <c>[GuestKernel]</c> class of a project that holds several.
    /// </summary>
    public static GuestImages? LoadBuilds(string reference, string? kernel, Progress progress, TextWriter stderr)
    {
        string? project = ProjectFile(reference);
        if (project is not null)
        {
            string? assembly = GuestProjectBuild.Build(project, progress, stderr);
            return assembly is null ? null : LoadKernel(project, assembly, kernel, stderr);
        }

        if (kernel is not null && (File.Exists(reference) || SampleCatalog.Find(reference) is not null))
        {
            stderr.WriteLine($"translator: --kernel chooses among the kernels of a guest project; '{reference}' is an image file or a sample, one kernel already");
            return null;
        }

        if (File.Exists(reference))
        {
            try
            {
                return GuestImages.FromFile(File.ReadAllBytes(reference));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                stderr.WriteLine($"translator: cannot read image '{reference}': {e.Message}");
                return null;
            }
        }

        if (SampleCatalog.Find(reference) is { } sample)
        {
            return new GuestImages(sample.Image, sample.ParavirtImage);
        }

        string why = Directory.Exists(reference) ? $"a folder holding {Directory.GetFiles(reference, "*.csproj").Length} project files, not one" : "no such file";
        stderr.WriteLine($"translator: cannot read image '{reference}': {why}, sample ({string.Join(", ", SampleCatalog.Names)}) or guest project");
        return null;
    }

    private static string? ProjectFile(string reference)
    {
        if (reference.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase) && File.Exists(reference))
        {
            return reference;
        }

        if (Directory.Exists(reference))
        {
            string[] projects = Directory.GetFiles(reference, "*.csproj");
            return projects.Length == 1 ? projects[0] : null;
        }

        return null;
    }

    /// <summary>
    /// Reads a kernel's generated <c>ReadOnlySpan&lt;byte&gt; Image</c>. Reflection cannot return a span, so a
    /// two-instruction dynamic method calls the getter and copies the span to an array.
    /// </summary>
    private static byte[]? CopyImage(PropertyInfo? image)
    {
        if (image is null)
        {
            return null;
        }

        var method = new System.Reflection.Emit.DynamicMethod("CopyKernelImage", typeof(byte[]), Type.EmptyTypes, typeof(GuestImageSource).Module, skipVisibility: true);
        System.Reflection.Emit.ILGenerator il = method.GetILGenerator();
        System.Reflection.Emit.LocalBuilder span = il.DeclareLocal(typeof(ReadOnlySpan<byte>));
        il.Emit(System.Reflection.Emit.OpCodes.Call, image.GetMethod!);
        il.Emit(System.Reflection.Emit.OpCodes.Stloc, span);
        il.Emit(System.Reflection.Emit.OpCodes.Ldloca, span);
        il.Emit(System.Reflection.Emit.OpCodes.Call, typeof(ReadOnlySpan<byte>).GetMethod(nameof(ReadOnlySpan<byte>.ToArray))!);
        il.Emit(System.Reflection.Emit.OpCodes.Ret);
        return (byte[])method.Invoke(null, null)!;
    }

    /// <summary>The images of the project's one kernel class, or of the one <paramref name="kernel"/> names.</summary>
    private static GuestImages? LoadKernel(string project, string assemblyPath, string? kernel, TextWriter stderr)
    {
        var context = new AssemblyLoadContext("guest-project", isCollectible: true);
        try
        {
            Assembly assembly = context.LoadFromAssemblyPath(assemblyPath);
            const BindingFlags members = BindingFlags.Public | BindingFlags.Static;
            List<Type> kernels = assembly.GetTypes()
                .Where(t => t.GetCustomAttributes().Any(a => a.GetType().Name == "GuestKernelAttribute") && t.GetProperty("Image", members) is not null)
                .OrderBy(t => t.Name, StringComparer.Ordinal)
                .ToList();
            string names = string.Join(", ", kernels.Select(t => t.Name));
            Type? chosen;
            if (kernel is not null)
            {
                chosen = kernels.FirstOrDefault(t => t.Name.Equals(kernel, StringComparison.OrdinalIgnoreCase) || t.FullName == kernel);
                if (chosen is null)
                {
                    stderr.WriteLine($"translator: {project} has no guest kernel '{kernel}' ({(kernels.Count == 0 ? "it has none" : "its kernels: " + names)})");
                    return null;
                }
            }
            else if (kernels.Count == 1)
            {
                chosen = kernels[0];
            }
            else
            {
                stderr.WriteLine(kernels.Count == 0
                    ? $"translator: {project} holds no guest kernel (no [GuestKernel] class with a generated image)"
                    : $"translator: {project} holds {kernels.Count} guest kernels: {names}; choose one with --kernel NAME");
                return null;
            }

            return new GuestImages(CopyImage(chosen.GetProperty("Image", members)), CopyImage(chosen.GetProperty("ParavirtImage", members)));
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException or ReflectionTypeLoadException)
        {
            stderr.WriteLine($"translator: cannot load the build of {project}: {e.Message}");
            return null;
        }
        finally
        {
            context.Unload();
        }
    }
}
