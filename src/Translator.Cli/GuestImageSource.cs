using System.Diagnostics;
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
    /// <summary>The image bytes, or null after writing a one-line reason to <paramref name="stderr"/>.</summary>
    public static byte[]? Load(string reference, TextWriter stderr) => LoadBuilds(reference, stderr)?.For(paravirtual: false);

    /// <summary>Every build of the guest the tool can find, or null after writing a one-line reason to <paramref name="stderr"/>.</summary>
    public static GuestImages? LoadBuilds(string reference, TextWriter stderr)
    {
        string? project = ProjectFile(reference);
        if (project is not null)
        {
            return BuildProject(project, stderr);
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

        stderr.WriteLine($"translator: cannot read image '{reference}': no such file, sample ({string.Join(", ", SampleCatalog.Names)}) or guest project");
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

    /// <summary>Builds a guest project and returns the images of its (single) kernel class.</summary>
    private static GuestImages? BuildProject(string project, TextWriter stderr)
    {
        string output = Path.Combine(Path.GetTempPath(), $"translator-kernel-{Guid.NewGuid():N}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "build", project, "-c", "Release", "-nologo", "-v", "q", "-o", output })
        {
            info.ArgumentList.Add(arg);
        }

        using (Process build = Process.Start(info)!)
        {
            string log = build.StandardOutput.ReadToEnd() + build.StandardError.ReadToEnd();
            build.WaitForExit();
            if (build.ExitCode != 0)
            {
                string firstError = log.Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.Ordinal))?.Trim() ?? $"exit code {build.ExitCode}";
                stderr.WriteLine($"translator: building {project} failed: {firstError}");
                return null;
            }
        }

        string assemblyPath = Path.Combine(output, Path.GetFileNameWithoutExtension(project) + ".dll");
        var context = new AssemblyLoadContext("guest-project", isCollectible: true);
        try
        {
            Assembly assembly = context.LoadFromAssemblyPath(assemblyPath);
            List<Type> kernels = assembly.GetTypes()
                .Where(t => t.GetCustomAttributes().Any(a => a.GetType().Name == "GuestKernelAttribute")
                    && t.GetProperty("Image", BindingFlags.Public | BindingFlags.Static) is not null)
                .ToList();
            if (kernels.Count != 1)
            {
                stderr.WriteLine($"translator: {project} holds {kernels.Count} guest kernels; exactly one is needed");
                return null;
            }

            const BindingFlags members = BindingFlags.Public | BindingFlags.Static;
            return new GuestImages(CopyImage(kernels[0].GetProperty("Image", members)), CopyImage(kernels[0].GetProperty("ParavirtImage", members)));
        }
        finally
        {
            context.Unload();
        }
    }
}
