using System.Diagnostics;
using System.Text.Json;
using Translator.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace Translator.Packages.Tests;

/// <summary>
/// A guest project outside the repository, as a user gets it: the packages packed to a folder feed, the template
/// installed from it, a project made with <c>dotnet new translator-kernel</c> in a temporary directory, and the tool,
/// installed from the same feed with <c>dotnet tool install</c>, running it (building it on the way) under bt, where its build-time translation must be the one used.
/// </summary>
public sealed class TemplatePackageTests(ITestOutputHelper log) : IDisposable
{
    /// <summary>
    /// A bound against a hung step, not a speed check: packing the CLI took 1 min 22 s on a quiet machine and over
    /// 5 minutes on the same 2 cores while other builds ran beside the suite.
    /// </summary>
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(15);

    /// <summary>Everything the test makes: the feed, the template hive, the packages, the project, the bt cache.</summary>
    private readonly string root = Path.Combine(Path.GetTempPath(), $"translator-packages-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void TemplateProjectBuildsFromTheFeedAndRunsOutsideTheRepository()
    {
        string feed = Path.Combine(root, "feed");
        string hive = Path.Combine(root, "template-hive");
        string work = Path.Combine(root, "work");
        Directory.CreateDirectory(work);
        string repository = RepositoryRoot.Path;
        Assert.False(work.StartsWith(repository, StringComparison.Ordinal), "the project must live outside the repository");
        foreach (string project in new[] { "src/Translator.Guest/Translator.Guest.csproj", "src/Translator.Machine/Translator.Machine.csproj", "templates/Translator.Templates/Translator.Templates.csproj", "src/Translator.Cli/Translator.Cli.csproj" })
        {
            Dotnet(repository, "pack", Path.Combine(repository, project), "-c", "Release", "-o", feed, "-nologo", "-v", "q");
        }

        string template = Assert.Single(Directory.GetFiles(feed, "Translator.Templates.*.nupkg"));
        Dotnet(work, "new", "install", template, "--debug:custom-hive", hive);
        Dotnet(work, "new", "translator-kernel", "-n", "Orbit", "-o", "Orbit", "--debug:custom-hive", hive);

        // Only the feed and the packages this machine already has (the global folder the repository restored
        // from): no registry is asked. Packages are extracted to a folder of the test's own, so a package
        // packed again under the same version is never shadowed by an older extracted copy.
        string machinePackages = GlobalPackagesFolder(work);
        File.WriteAllText(Path.Combine(work, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(root, "packages")}" />
              </config>
              <packageSources>
                <clear />
                <add key="translator" value="{feed}" />
                <add key="machine" value="{machinePackages}" />
              </packageSources>
            </configuration>
            """);

        string stats = Path.Combine(root, "stats.json");
        // The tool as a user installs it: from the feed, as a .NET tool (into a folder of the test's own, not ~/.dotnet).
        string tools = Path.Combine(root, "tools");
        Dotnet(work, "tool", "install", "--tool-path", tools, "translator");
        string translator = Path.Combine(tools, "translator");
        Assert.Contains("0.1.0", Run(work, translator, ["--version"]).StandardOutputText, StringComparison.Ordinal);
        ProcessResult run = Run(work, translator, ["run", "Orbit", "--backend", "bt", "--stats", stats]);
        log.WriteLine(run.StandardError);
        Assert.Equal("Hello from Orbit\n1 + 2 + ... + 100 = 5050\n", run.StandardOutputText);
        Assert.Equal(1, run.ExitCode); // the kernel wrote 0 to the debug-exit port

        // bt ran the translation the build made (Translator.Machine referenced, unsafe code allowed), not one
        // made at run time: the generators and what they load came inside the Translator.Guest package.
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(stats));
        JsonElement events = document.RootElement.GetProperty("events");
        Assert.True(events.TryGetProperty("bt.cache.buildTime", out JsonElement buildTime) && buildTime.GetInt64() == 1,
            "expected the build-time translation, events: " + events);

        // EmitCompilerGeneratedFiles: the image and its translation are there to read.
        string[] generated = Directory.GetFiles(Path.Combine(work, "Orbit", "obj"), "*.g.cs", SearchOption.AllDirectories);
        Assert.Contains(generated, f => f.Contains("Translator.KernelCompiler", StringComparison.Ordinal) && Path.GetFileName(f).StartsWith("Orbit.Kernel.Kernel", StringComparison.Ordinal));
        Assert.Contains(generated, f => Path.GetFileName(f) == "Orbit.KernelTranslation.Translation.g.cs");
        // The guest library's DSL sources travel inside the kernel compiler and join the project's compilation.
        Assert.Contains(generated, f => Path.GetFileName(f) == "GuestLibrary.Console.g.cs");
    }

    private string GlobalPackagesFolder(string directory)
    {
        ProcessResult locals = Dotnet(directory, "nuget", "locals", "global-packages", "--list");
        string line = locals.StandardOutputText.Trim();
        return line.Substring(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim();
    }

    private ProcessResult Dotnet(string directory, params string[] arguments)
    {
        ProcessResult result = Run(directory, "dotnet", arguments);
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited {result.ExitCode}:\n{result.StandardOutputText}\n{result.StandardError}");
        return result;
    }

    /// <summary>
    /// Runs a program in <paramref name="directory"/>. MSBuild keeps no nodes alive after it (they would outlive the
    /// test), bt translations go to a cache of the test's own, and .NET's first-run messages stay off.
    /// </summary>
    private ProcessResult Run(string directory, string program, IEnumerable<string> arguments)
    {
        var started = Stopwatch.StartNew();
        var environment = new Dictionary<string, string>
        {
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["TRANSLATOR_CACHE_DIR"] = Path.Combine(root, "translator-cache"),
        };
        ProcessResult result = ProcessRunner.Run(program, arguments, StepTimeout, directory, environment);
        if (result.TimedOut)
        {
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {StepTimeout}");
        }

        log.WriteLine($"{started.Elapsed.TotalSeconds,6:F1} s  {program} {string.Join(' ', arguments)}");
        return result;
    }
}
