using System.Diagnostics;
using System.Globalization;

namespace Translator.Vmm.Backends.Bt;

/// <summary>
/// Compiles a tiered run's translation in a child process (the <c>translator</c> tool's hidden
/// <see cref="CommandName"/> command), so the guest's process never loads Roslyn and crossgen2's front end: they cost
/// some 150-200 MiB of resident memory, held to the end of the run once loaded. The child translates, compiles and
/// stores an ordinary cache entry; the parent then loads that entry as it would one a previous run left. The child
/// inherits the background thread's lowered priority (<see cref="BackgroundPriority"/>) and lowers its own again.
/// </summary>
public static class TranslationWorker
{
    /// <summary>The hidden command of the tool that compiles one image into a cache (image bytes on stdin).</summary>
    public const string CommandName = "compile-translation-worker";

    /// <summary>
    /// How to start the tool: its program and the arguments that come before <see cref="CommandName"/> (the entry
    /// assembly when the program is <c>dotnet</c>); null (test hosts, other embedders) compiles in process.
    /// </summary>
    public static IReadOnlyList<string>? Command { get; set; }

    /// <summary>Children still running, ended when this process exits: a run's compile does not outlive it.</summary>
    private static readonly HashSet<Process> s_running = [];

    static TranslationWorker() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        lock (s_running)
        {
            foreach (Process child in s_running)
            {
                try
                {
                    child.Kill();
                }
                catch (InvalidOperationException)
                {
                    // It ended meanwhile.
                }
            }
        }
    };

    /// <summary>
    /// What a group's child reports: the group's name in the cache entry (empty: nothing translatable), how long the
    /// process took to reach its work after it was started, the compiler's warm-up (only when
    /// <see cref="BreakdownVariable"/> asks: a trivial class compiled first), translating, parsing, compiling (parse,
    /// bind and IL emission together), the C# and IL sizes, and the peak resident memory; <see cref="Wall"/> is the
    /// parent's view of the child's whole life.
    /// </summary>
    public sealed record GroupReport(string Name, TimeSpan Started, TimeSpan WarmUp, TimeSpan Translate, TimeSpan Parse, TimeSpan Compile,
        long SourceBytes, long AssemblyBytes, long PeakResidentBytes, TimeSpan WarmUpCpu, TimeSpan TranslateCpu, TimeSpan CompileCpu, TimeSpan Cpu,
        TimeSpan Wall = default);

    /// <summary>Environment variable that makes a group's child time the compiler's warm-up apart (a trivial compile first).</summary>
    public const string BreakdownVariable = "TRANSLATOR_TIER_BREAKDOWN";

    /// <summary>As <see cref="TryCompile"/> for the group of methods holding <paramref name="hot"/> (the child stores it as a group).</summary>
    internal static GroupReport? TryCompileGroup(byte[] image, string directory, IReadOnlyCollection<uint> hot, out string? problem)
    {
        string addresses = string.Join(',', hot.Order().Select(a => a.ToString("x", CultureInfo.InvariantCulture)));
        var clock = Stopwatch.StartNew();
        if (RunChild(image, [directory, "--group", addresses], out problem) is not { } output)
        {
            return null;
        }

        string[] f = output.Split(' ');
        double[] n = new double[12];
        if (f.Length != 13 || !f.Skip(1).Select((s, i) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out n[i])).All(ok => ok))
        {
            problem = $"the compile process answered '{FirstLine(output)}'";
            return null;
        }

        return new GroupReport(f[0] == "-" ? "" : f[0], TimeSpan.FromSeconds(n[0]), TimeSpan.FromSeconds(n[1]), TimeSpan.FromSeconds(n[2]),
            TimeSpan.FromSeconds(n[3]), TimeSpan.FromSeconds(n[4]), (long)n[5], (long)n[6], (long)n[7],
            TimeSpan.FromSeconds(n[8]), TimeSpan.FromSeconds(n[9]), TimeSpan.FromSeconds(n[10]), TimeSpan.FromSeconds(n[11]), clock.Elapsed);
    }

    /// <summary>Runs the child with <paramref name="arguments"/> after the command name, the image on its stdin; its stdout, or null and why.</summary>
    private static string? RunChild(byte[] image, IEnumerable<string> arguments, out string? problem)
    {
        if (Command is not { Count: > 0 } command)
        {
            problem = "no translator program to start (an embedding host)";
            return null;
        }

        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // The tool's runtime settings suit a long guest run (no call-counting delay, so hot code reaches its final tier
        // at once); in a compile process living a few seconds they make the runtime recompile Roslyn's precompiled
        // code in the background: 6 s of CPU instead of 1 for a 64 KiB image's first group. Precompiled code as it is.
        start.Environment["DOTNET_TieredCompilation"] = "0";
        foreach (string argument in command.Skip(1).Append(CommandName).Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        Process child;
        try
        {
            child = Process.Start(start) ?? throw new InvalidOperationException("no process was started");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            problem = $"the compile process could not start: {e.Message}";
            return null;
        }

        lock (s_running)
        {
            s_running.Add(child);
        }

        try
        {
            Task<string> stdout = child.StandardOutput.ReadToEndAsync();
            Task<string> stderr = child.StandardError.ReadToEndAsync();
            try
            {
                child.StandardInput.BaseStream.Write(image);
                child.StandardInput.Close();
            }
            catch (IOException)
            {
                // It ended before reading the image; its exit code and stderr say why.
            }

            child.WaitForExit();
            string output = stdout.Result.Trim(), errors = stderr.Result.Trim();
            if (child.ExitCode != 0)
            {
                problem = $"the compile process failed (exit {child.ExitCode}): {FirstLine(errors)}";
                return null;
            }

            problem = null;
            return output;
        }
        finally
        {
            lock (s_running)
            {
                s_running.Remove(child);
            }

            child.Dispose();
        }
    }

    /// <summary>
    /// The child's side of a group: translates and compiles the methods of <paramref name="image"/> holding
    /// <paramref name="hot"/>, stores them as a group in the cache at <paramref name="directory"/> and writes its
    /// report line (<see cref="GroupReport"/>, "-" for the name when nothing was translatable).
    /// </summary>
    public static void CompileGroupInto(byte[] image, string directory, IReadOnlyCollection<uint> hot, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(hot);
        ArgumentNullException.ThrowIfNull(stdout);
        using var self = Process.GetCurrentProcess();
        TimeSpan started = DateTime.Now - self.StartTime;
        TimeSpan Cpu()
        {
            self.Refresh();
            return self.TotalProcessorTime;
        }

        BackgroundPriority.Lower();
        TranslationCompiler.OnThisThreadOnly = true;
        TimeSpan warmUp = TimeSpan.Zero, warmUpCpu = TimeSpan.Zero;
        if (Environment.GetEnvironmentVariable(BreakdownVariable) == "1")
        {
            TimeSpan before = Cpu();
            var clock = Stopwatch.StartNew();
            TranslationCompiler.Compile("public static class WarmUp { public static int One() => 1; }", "WarmUp");
            warmUp = clock.Elapsed;
            warmUpCpu = Cpu() - before;
        }

        TimeSpan atStart = Cpu();
        CompiledGroup? group = new TranslationCache(directory).CompileAndStoreGroup(image, hot, out _, out _, out TimeSpan translated);
        TimeSpan compileCpu = Cpu() - translated;
        string S(TimeSpan t) => t.TotalSeconds.ToString("R", CultureInfo.InvariantCulture);
        string cpu = $"{S(warmUpCpu)} {S(translated - atStart)} {S(compileCpu)} {S(Cpu())}";
        stdout.WriteLine(group is null
            ? $"- {S(started)} {S(warmUp)} 0 0 0 0 0 {PeakResidentBytes()} {cpu}"
            : string.Create(CultureInfo.InvariantCulture,
                $"{group.Name} {S(started)} {S(warmUp)} {S(group.Translate)} {S(group.Parse)} {S(group.Compile)} {group.Result.Source.Length} {group.Assembly.Length} {PeakResidentBytes()} {cpu}"));
    }

    /// <summary>This process's peak resident memory so far (Linux: VmHWM); 0 where the platform does not say.</summary>
    public static long PeakResidentBytes()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    private static string FirstLine(string text) => text.Length == 0 ? "(nothing)" : text.Split('\n')[0].Trim();
}
