using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using Translator.Samples;

namespace Translator.Cli;

/// <summary>
/// Where a guest image comes from: a file path, the name of a sample kernel built into the tool
/// (<c>translator run Hello</c>), or a guest project (a .csproj, or a folder holding one) that is built with
/// <c>dotnet build</c> and whose kernel class's generated <c>Image</c> is read.
/// </summary>
internal static class GuestImageSource
{
    /// <summary>The image bytes, or null after writing a one-line reason to <paramref name="stderr"/>.</summary>
    public static byte[]? Load(string reference, TextWriter stderr)
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
                return File.ReadAllBytes(reference);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                stderr.WriteLine($"translator: cannot read image '{reference}': {e.Message}");
                return null;
            }
        }

        if (SampleCatalog.Find(reference) is { } sample)
        {
            return sample.Image;
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
    private static byte[] CopyImage(PropertyInfo image)
    {
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

    /// <summary>Builds a guest project and returns the image of its (single) kernel class.</summary>
    private static byte[]? BuildProject(string project, TextWriter stderr)
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
            List<PropertyInfo> images = assembly.GetTypes()
                .Where(t => t.GetCustomAttributes().Any(a => a.GetType().Name == "GuestKernelAttribute"))
                .Select(t => t.GetProperty("Image", BindingFlags.Public | BindingFlags.Static))
                .OfType<PropertyInfo>()
                .ToList();
            if (images.Count != 1)
            {
                stderr.WriteLine($"translator: {project} holds {images.Count} guest kernels; exactly one is needed");
                return null;
            }

            return CopyImage(images[0]);
        }
        finally
        {
            context.Unload();
        }
    }
}
