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

    /// <summary>What the child reports on its stdout: where the time went (seconds) and its peak resident memory.</summary>
    internal sealed record Report(TimeSpan Translate, TimeSpan Compile, TimeSpan Precompile, long PeakResidentBytes);

    /// <summary>
    /// Runs the child on <paramref name="image"/> for the cache in <paramref name="directory"/> and waits for it;
    /// returns its report, or null with the reason in <paramref name="problem"/> (no command, it could not start,
    /// it failed).
    /// </summary>
    internal static Report? TryCompile(byte[] image, string directory, out string? problem)
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
        foreach (string argument in command.Skip(1).Append(CommandName).Append(directory))
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

            string[] seconds = output.Split(' ');
            if (seconds.Length != 4 || !seconds.All(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            {
                problem = $"the compile process answered '{FirstLine(output)}'";
                return null;
            }

            TimeSpan Part(int i) => TimeSpan.FromSeconds(double.Parse(seconds[i], CultureInfo.InvariantCulture));
            problem = null;
            return new Report(Part(0), Part(1), Part(2), (long)double.Parse(seconds[3], CultureInfo.InvariantCulture));
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
    /// The child's side: translates, compiles and stores <paramref name="image"/> in the cache at
    /// <paramref name="directory"/> and writes its report line to <paramref name="stdout"/>. Translator faults
    /// propagate (the tool's even exit codes); the parent then compiles in process.
    /// </summary>
    public static void CompileInto(byte[] image, string directory, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(stdout);
        BackgroundPriority.Lower();
        TranslationCompiler.OnThisThreadOnly = true; // the guest's process has the other core
        LoadedTranslation done = new TranslationCache(directory).Load(image);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{done.TranslateTime.TotalSeconds:R} {done.CompileTime.TotalSeconds:R} {done.PrecompileTime.TotalSeconds:R} {PeakResidentBytes()}"));
    }

    /// <summary>This process's peak resident memory so far (Linux: VmHWM); 0 where the platform does not say.</summary>
    public static long PeakResidentBytes()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    private static string FirstLine(string text) => text.Length == 0 ? "(nothing)" : text.Split('\n')[0].Trim();
}
