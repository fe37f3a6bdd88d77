using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Translator.Machine.Translation;

namespace Translator.Vmm.Backends.Bt;

/// <summary>
/// Precompiles a translation's assembly to native code ahead of time with crossgen2 (ReadyToRun), as .NET ships its
/// own libraries. The JIT compiles a translated method in about 30 ms; a cached translation that holds its native code
/// starts without that, which is the difference between loading a persistent code cache and translating again
/// (QEMU, which keeps nothing, translates on every run). The runtime still recompiles the hottest methods with its
/// optimizing JIT, on a background thread, while the precompiled code runs.
/// <para>
/// The tool ships beside the translator (<c>crossgen2/</c>, from the Microsoft.NETCore.App.Crossgen2 package, for
/// linux-x64 hosts). Without it, or when it fails, translations run as IL compiled by the JIT, as before.
/// </para>
/// </summary>
internal static class ReadyToRunCompiler
{
    /// <summary>Environment variable: a crossgen2 executable to use instead of the shipped one, or <c>off</c>.</summary>
    public const string ToolVariable = "TRANSLATOR_CROSSGEN2";

    private const int OutputShown = 400;

    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(5);

    /// <summary>The crossgen2 executable this process uses, or null when translations stay IL.</summary>
    public static string? ToolPath => Locate();

    /// <summary>
    /// The ReadyToRun image of <paramref name="assembly"/> (IL and native code, loadable wherever the IL is), compiled
    /// against the references translations are compiled against, or null with the reason in <paramref name="problem"/>
    /// (null when no tool is given, which is not a problem).
    /// <para>
    /// Translator.Machine joins the translation's version bubble, so its code (the flag and chaining helpers, a few
    /// instructions each) may be inlined. Native code that inlines another assembly's code is only valid with exactly
    /// that assembly, which is why the cache keys translations by the translator's version (the identity of
    /// Translator.Machine's build among it).
    /// </para>
    /// </summary>
    /// <param name="tool">The crossgen2 executable (<see cref="ToolPath"/>); null: no precompilation.</param>
    public static byte[]? TryCompile(string? tool, byte[] assembly, string assemblyName, out string? problem)
    {
        problem = null;
        if (tool is null)
        {
            return null;
        }

        string directory = Path.Combine(Path.GetTempPath(), "translator-r2r-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(directory);
            string input = Path.Combine(directory, assemblyName + ".dll");
            string output = Path.Combine(directory, "native", assemblyName + ".dll");
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            File.WriteAllBytes(input, assembly);

            // A response file: the reference list is long. Options there take the ':' form, one per line.
            var arguments = new StringBuilder()
                .Append(input).Append('\n')
                .Append("-o:").Append(output).Append('\n')
                .Append("--targetos:linux\n")
                .Append("--targetarch:x64\n")
                .Append("-O\n")
                // One version bubble with Translator.Machine: crossgen2 inlines across assemblies only inside one.
                .Append("--inputbubble\n")
                .Append("--inputbubbleref:").Append(typeof(TranslatedImage).Assembly.Location).Append('\n');
            foreach (string reference in TranslationCompiler.ReferencePaths)
            {
                arguments.Append("-r:").Append(reference).Append('\n');
            }

            string responseFile = Path.Combine(directory, "crossgen2.rsp");
            File.WriteAllText(responseFile, arguments.ToString());
            (int exitCode, string log) = Run(tool, "@" + responseFile);
            if (exitCode != 0 || !File.Exists(output))
            {
                problem = $"crossgen2 exited with code {exitCode}: {Shorten(log)}";
                return null;
            }

            return File.ReadAllBytes(output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException or BadImageFormatException)
        {
            problem = $"crossgen2 could not run: {e.Message}";
            return null;
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A temporary directory left behind costs disk, not correctness.
            }
        }
    }

    private static (int ExitCode, string Log) Run(string tool, string arguments)
    {
        var info = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(info) ?? throw new InvalidOperationException("the process did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"timed out after {s_timeout.TotalMinutes:0} minutes");
        }

        return (process.ExitCode, stderr.Result + stdout.Result);
    }

    private static string? Locate()
    {
        string? configured = Environment.GetEnvironmentVariable(ToolVariable);
        if (string.Equals(configured, "off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : null;
        }

        // The shipped tool is the linux-x64 build and emits code for that host only.
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return null;
        }

        string shipped = Path.Combine(AppContext.BaseDirectory, "crossgen2", "crossgen2");
        return File.Exists(shipped) ? shipped : null;
    }

    private static string Shorten(string log)
    {
        string oneLine = log.ReplaceLineEndings(" ").Trim();
        return oneLine.Length <= OutputShown ? oneLine : oneLine[..OutputShown] + "...";
    }
}
