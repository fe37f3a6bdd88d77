using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Translator.Cli;

/// <summary>
/// Builds a guest project with <c>dotnet build</c> into its <c>obj/translator/</c> folder, unless that build is
/// still current: a stamp beside the output records a fingerprint (path, size and write time) of every file the build
/// read from, i.e. every project of its reference closure (listed by restore in <c>obj/*.nuget.dgspec.json</c>) minus
/// their bin/obj folders, and the MSBuild and NuGet files above them. Starting MSBuild costs 7-11 s even when it
/// then finds nothing to do, so an unchanged project is not handed to it at all.
/// </summary>
internal static class GuestProjectBuild
{
    /// <summary>How many of a failed build's errors are shown before the count of the rest.</summary>
    private const int ErrorsShown = 10;

    private const string StampName = "translator-build.stamp";

    /// <summary>Files that change how every project below them builds.</summary>
    private static readonly string[] s_buildFilesAbove =
        ["Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "NuGet.config", "nuget.config"];

    /// <summary>The built assembly's path, or null after saying on <paramref name="stderr"/> why the build failed.</summary>
    public static string? Build(string project, Progress progress, TextWriter stderr)
    {
        string projectPath = Path.GetFullPath(project);
        string projectName = Path.GetFileName(projectPath);
        string output = OutputDirectory(projectPath);
        string assembly = Path.Combine(output, Path.GetFileNameWithoutExtension(projectPath) + ".dll");
        string stamp = Path.Combine(output, StampName);
        string[] closure = ProjectClosure(projectPath);
        string fingerprint = Fingerprint(closure);
        if (IsCurrent(stamp, assembly, fingerprint))
        {
            progress.Note($"{projectName} is up to date (not rebuilt)");
            return assembly;
        }

        // The fingerprint was taken before the build: a file edited while MSBuild runs makes the next call build again.
        // The old stamp goes first: output a failed or interrupted build left behind must never pass for current.
        try
        {
            File.Delete(stamp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A folder that refuses this refuses the build below too, which then fails and says why.
        }

        (int exitCode, string log)? build;
        try
        {
            build = progress.Step($"building {projectName}", () => RunDotnetBuild(projectPath, output));
        }
        catch (Win32Exception e)
        {
            stderr.WriteLine($"translator: cannot build {project}: 'dotnet' could not be started ({e.Message})");
            return null;
        }

        if (build.Value.exitCode != 0)
        {
            stderr.Write(DescribeFailure(project, build.Value.exitCode, build.Value.log));
            return null;
        }

        // The closure as restore saw it during this build: the first build of a project had no record of it before.
        string[] built = ProjectClosure(projectPath);
        string recorded = built.SequenceEqual(closure, StringComparer.Ordinal) ? fingerprint : Fingerprint(built);
        try
        {
            File.WriteAllLines(stamp, [recorded, .. built]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without a stamp the next call builds again; this one has its assembly.
        }

        return assembly;
    }

    /// <summary>Where a project's build for the tool goes: under its own obj/, so <c>dotnet clean</c> or deleting obj/ drops it.</summary>
    public static string OutputDirectory(string projectPath) =>
        Path.Combine(Path.GetDirectoryName(projectPath)!, "obj", "translator");

    private static (int ExitCode, string Log) RunDotnetBuild(string projectPath, string output)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "build", projectPath, "-c", "Release", "-nologo", "-v", "q", "-tl:off", "-o", output })
        {
            info.ArgumentList.Add(arg);
        }

        using Process build = Process.Start(info)!;
        Task<string> errors = build.StandardError.ReadToEndAsync(); // both pipes drained at once: a full one would stall MSBuild
        string log = build.StandardOutput.ReadToEnd() + errors.Result;
        build.WaitForExit();
        return (build.ExitCode, log);
    }

    /// <summary>Every distinct error of a failed build (MSBuild repeats them in its summary), the first ten and the count of the rest.</summary>
    public static string DescribeFailure(string project, int exitCode, string log)
    {
        List<string> errors = log.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Contains(": error ", StringComparison.Ordinal) || l.StartsWith("error ", StringComparison.Ordinal))
            .Select(WithoutProjectSuffix)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var text = new StringBuilder();
        if (errors.Count == 0)
        {
            string last = log.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0) ?? "";
            text.AppendLine(CultureInfo.InvariantCulture, $"translator: building {project} failed (dotnet build exit code {exitCode}){(last.Length > 0 ? ": " + last : "")}");
            return text.ToString();
        }

        string count = errors.Count == 1 ? "1 error" : $"{errors.Count} errors";
        text.AppendLine(CultureInfo.InvariantCulture, $"translator: building {project} failed with {count}:");
        foreach (string error in errors.Take(ErrorsShown))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {error}");
        }

        if (errors.Count > ErrorsShown)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  ... and {errors.Count - ErrorsShown} more errors (dotnet build {project} shows them all)");
        }

        return text.ToString();
    }

    /// <summary>MSBuild ends each error with " [/path/to/the.csproj]": the project is named once, above the list.</summary>
    private static string WithoutProjectSuffix(string error)
    {
        int open = error.LastIndexOf(" [", StringComparison.Ordinal);
        return open > 0 && error.EndsWith(".csproj]", StringComparison.OrdinalIgnoreCase) ? error[..open] : error;
    }

    /// <summary>Whether the stamp's first line is the fingerprint of the inputs as they are now (the other lines name the projects, for people).</summary>
    private static bool IsCurrent(string stamp, string assembly, string fingerprint)
    {
        try
        {
            if (!File.Exists(stamp) || !File.Exists(assembly))
            {
                return false;
            }

            return File.ReadLines(stamp).FirstOrDefault() == fingerprint;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// The project, every project it references directly or not, and every MSBuild file they import: as restore
    /// recorded the projects, plus what restore leaves out (an analyzer such as the kernel compiler,
    /// ReferenceOutputAssembly="false"), read from the project files, the Directory.Build files above them and their
    /// imports. Entries ending in "proj" are projects (their whole folder counts), the others single files.
    /// </summary>
    private static string[] ProjectClosure(string projectPath)
    {
        var closure = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>(RestoredProjects(projectPath).Prepend(projectPath));
        while (pending.TryDequeue(out string? file))
        {
            if (!closure.Add(file))
            {
                continue;
            }

            IEnumerable<string> read = IsProject(file) ? BuildFilesAbove(Path.GetDirectoryName(file)!).Prepend(file) : [file];
            foreach (string msbuildFile in read)
            {
                foreach (string referenced in ReferencedFiles(msbuildFile))
                {
                    pending.Enqueue(referenced);
                }
            }
        }

        return [.. closure];
    }

    private static bool IsProject(string path) => path.EndsWith("proj", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<string> RestoredProjects(string projectPath)
    {
        string dgspec = Path.Combine(Path.GetDirectoryName(projectPath)!, "obj", Path.GetFileName(projectPath) + ".nuget.dgspec.json");
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(dgspec));
            if (document.RootElement.TryGetProperty("projects", out JsonElement listed) && listed.ValueKind == JsonValueKind.Object)
            {
                return listed.EnumerateObject().Select(entry => Path.GetFullPath(entry.Name)).ToList();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // No restore record yet: the project files alone say what is referenced.
        }

        return [];
    }

    /// <summary>The ProjectReference items and Import elements of one MSBuild file whose paths are literal or relative to the file itself.</summary>
    private static IEnumerable<string> ReferencedFiles(string file)
    {
        string text;
        try
        {
            text = File.Exists(file) ? File.ReadAllText(file) : "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        string directory = Path.GetDirectoryName(file)!;
        text = s_comment.Replace(text, ""); // a commented-out reference or an example path is not an input
        foreach (System.Text.RegularExpressions.Match match in s_reference.Matches(text))
        {
            string path = match.Groups[1].Value
                .Replace("$(MSBuildThisFileDirectory)", directory + "/", StringComparison.Ordinal)
                .Replace("$(MSBuildProjectDirectory)", directory + "/", StringComparison.Ordinal);
            if (!path.Contains("$(", StringComparison.Ordinal))
            {
                yield return Path.GetFullPath(path.Replace('\\', '/'), directory);
            }
        }
    }

    private static readonly System.Text.RegularExpressions.Regex s_comment =
        new("<!--.*?-->", System.Text.RegularExpressions.RegexOptions.Singleline | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static readonly System.Text.RegularExpressions.Regex s_reference =
        new("<(?:ProjectReference\\s+Include|Import\\s+Project)=\"([^\"]+)\"", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>The MSBuild and NuGet files that may sit in any folder above a project (present or not).</summary>
    private static IEnumerable<string> BuildFilesAbove(string directory)
    {
        for (DirectoryInfo? above = new DirectoryInfo(directory).Parent; above is not null; above = above.Parent)
        {
            foreach (string name in s_buildFilesAbove)
            {
                yield return Path.Combine(above.FullName, name);
            }
        }
    }

    /// <summary>A hash over the path, size and write time of every input file of the projects given.</summary>
    private static string Fingerprint(IEnumerable<string> projects)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string project in projects)
        {
            string? directory = Path.GetDirectoryName(project);
            if (!IsProject(project))
            {
                files.Add(project); // an imported MSBuild file
                continue;
            }

            if (directory is null || !Directory.Exists(directory))
            {
                files.Add(project); // gone: hashed as missing, so the fingerprint changes
                continue;
            }

            AddSources(new DirectoryInfo(directory), files);
            files.UnionWith(BuildFilesAbove(directory));
        }

        var text = new StringBuilder();
        foreach (string file in files)
        {
            var info = new FileInfo(file);
            text.Append(file).Append('\0');
            text.Append(info.Exists ? $"{info.Length}\0{info.LastWriteTimeUtc.Ticks}" : "-").Append('\n');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>A project folder's files, without build output (bin, obj) or hidden folders such as .git.</summary>
    private static void AddSources(DirectoryInfo directory, SortedSet<string> files)
    {
        foreach (FileInfo file in directory.EnumerateFiles())
        {
            files.Add(file.FullName);
        }

        foreach (DirectoryInfo child in directory.EnumerateDirectories())
        {
            if (child.Name is not ("bin" or "obj") && !child.Name.StartsWith('.'))
            {
                AddSources(child, files);
            }
        }
    }
}
