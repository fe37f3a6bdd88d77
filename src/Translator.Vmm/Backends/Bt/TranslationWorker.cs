using System.Diagnostics;
using System.Globalization;
using System.Text;
using Translator.Machine.Loader;

namespace Translator.Vmm.Backends.Bt;

/// <summary>
/// Compiles a tiered run's groups of hot code in a child process (the <c>translator</c> tool's hidden
/// <see cref="CommandName"/> command), so the guest's process never loads Roslyn and crossgen2's front end: they cost
/// some 150-200 MiB of resident memory, held to the end of the run once loaded. The child translates, compiles and
/// stores each group as part of an ordinary cache entry; the parent then loads it as it would one a previous run left.
/// One child is kept per image for the run's later groups (<see cref="ServeFlag"/>), so only the first group pays for
/// the process's start and the compiler's warm-up. The child inherits the background thread's lowered priority
/// (<see cref="BackgroundPriority"/>) and lowers its own again.
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
    /// process took to reach its work after it was started (zero for a later group of the same process), the
    /// compiler's warm-up (only when <see cref="BreakdownVariable"/> asks: a trivial class compiled first), translating,
    /// parsing, compiling (parse, bind and IL emission together), the C# and IL sizes, the peak resident memory, the
    /// CPU times (<see cref="Cpu"/>: this group's, and for a process's first group everything since it started), the
    /// child's process id and which of its groups this was (1 for the first); <see cref="Wall"/> is the parent's view
    /// of the request.
    /// </summary>
    public sealed record GroupReport(string Name, TimeSpan Started, TimeSpan WarmUp, TimeSpan Translate, TimeSpan Parse, TimeSpan Compile,
        long SourceBytes, long AssemblyBytes, long PeakResidentBytes, TimeSpan WarmUpCpu, TimeSpan TranslateCpu, TimeSpan CompileCpu, TimeSpan Cpu,
        int ProcessId = 0, int Request = 1, TimeSpan Wall = default);

    /// <summary>Environment variable that makes a group's child time the compiler's warm-up apart (a trivial compile first).</summary>
    public const string BreakdownVariable = "TRANSLATOR_TIER_BREAKDOWN";

    /// <summary>
    /// How long a kept compile process waits for its next group before it ends by itself (a run's groups come every
    /// few million instructions; a process whose run went quiet should not hold its ~150 MB).
    /// </summary>
    public static TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The command-line flag of <see cref="CommandName"/> that keeps the process for one image's groups.</summary>
    public const string ServeFlag = "--serve";

    /// <summary>A run's compile processes, one per tool, cache and image: kept, so a later group pays no start or warm-up.</summary>
    private static readonly Dictionary<string, CompileProcess> s_processes = [];

    /// <summary>
    /// Compiles the group of methods holding <paramref name="hot"/> in the compile process kept for this image and
    /// cache (started at the first group; started again if it ended meanwhile, idle or killed); null and why when no
    /// process can do it, so the caller compiles in its own process.
    /// </summary>
    internal static GroupReport? TryCompileGroup(byte[] image, string imageSha256, string directory, IReadOnlyCollection<uint> hot, out string? problem)
    {
        if (Command is not { Count: > 0 } command)
        {
            problem = "no translator program to start (an embedding host)";
            return null;
        }

        string key = string.Join('\0', command) + "\0" + Path.GetFullPath(directory) + "\0" + imageSha256;
        CompileProcess process;
        lock (s_processes)
        {
            if (!s_processes.TryGetValue(key, out process!))
            {
                process = new CompileProcess(command, directory, image);
                s_processes.Add(key, process);
            }
        }

        string addresses = string.Join(',', hot.Order().Select(a => a.ToString("x", CultureInfo.InvariantCulture)));
        var clock = Stopwatch.StartNew();
        if (process.Request(addresses, out problem) is not { } output)
        {
            return null;
        }

        if (output.StartsWith('!'))
        {
            problem = $"the compile process failed: {output[1..].Trim()}";
            return null;
        }

        string[] f = output.Split(' ');
        double[] n = new double[14];
        if (f.Length != 15 || !f.Skip(1).Select((s, i) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out n[i])).All(ok => ok))
        {
            problem = $"the compile process answered '{FirstLine(output)}'";
            return null;
        }

        return new GroupReport(f[0] == "-" ? "" : f[0], TimeSpan.FromSeconds(n[0]), TimeSpan.FromSeconds(n[1]), TimeSpan.FromSeconds(n[2]),
            TimeSpan.FromSeconds(n[3]), TimeSpan.FromSeconds(n[4]), (long)n[5], (long)n[6], (long)n[7],
            TimeSpan.FromSeconds(n[8]), TimeSpan.FromSeconds(n[9]), TimeSpan.FromSeconds(n[10]), TimeSpan.FromSeconds(n[11]),
            (int)n[12], (int)n[13], clock.Elapsed);
    }

    /// <summary>
    /// One kept child: <c>translator compile-translation-worker DIR --serve</c>, given the image once (its length on a
    /// line, then its bytes) and then one line of hot addresses per group; it answers each with one report line (or
    /// "!" and why) and ends at the end of its input or after <see cref="IdleTimeout"/> without a request.
    /// </summary>
    private sealed class CompileProcess(IReadOnlyList<string> command, string directory, byte[] image)
    {
        private readonly object _gate = new();
        private Process? _child;
        private readonly StringBuilder _errors = new();

        /// <summary>Sends one group's addresses and returns the answer line; null and why when the process cannot answer.</summary>
        public string? Request(string addresses, out string? problem)
        {
            lock (_gate)
            {
                // A kept process that ended (idle, or killed) is started again once; a fresh one that fails is the answer.
                for (int attempt = 0; ; attempt++)
                {
                    bool fresh = _child is null;
                    if (_child is null && Start(out problem) is null)
                    {
                        return null;
                    }

                    Process child = _child!;
                    try
                    {
                        child.StandardInput.WriteLine(addresses);
                        child.StandardInput.Flush();
                        if (child.StandardOutput.ReadLine() is { } line)
                        {
                            problem = null;
                            return line.Trim();
                        }
                    }
                    catch (IOException)
                    {
                        // It ended before or while reading the request: below.
                    }

                    End(child);
                    if (fresh || attempt > 0)
                    {
                        string why;
                        lock (_errors)
                        {
                            why = FirstLine(_errors.ToString().Trim());
                        }

                        problem = $"the compile process failed (exit {ExitCode(child)}): {why}";
                        return null;
                    }
                }
            }
        }

        private Process? Start(out string? problem)
        {
            var start = new ProcessStartInfo(command[0])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };

            // The tool's runtime settings suit a long guest run (no call-counting delay, so hot code reaches its final
            // tier at once); in a compile process they make the runtime recompile Roslyn's precompiled code in the
            // background: 6 s of CPU instead of 1 for a 64 KiB image's first group. Precompiled code as it is.
            start.Environment["DOTNET_TieredCompilation"] = "0";
            foreach (string argument in command.Skip(1).Append(CommandName).Append(directory).Append(ServeFlag)
                .Append("--idle-seconds").Append(IdleTimeout.TotalSeconds.ToString("R", CultureInfo.InvariantCulture)))
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

            lock (_errors)
            {
                _errors.Clear();
            }

            child.ErrorDataReceived += (_, e) =>
            {
                lock (_errors)
                {
                    if (e.Data is { } text && _errors.Length < 4096)
                    {
                        _errors.AppendLine(text);
                    }
                }
            };
            child.BeginErrorReadLine();
            lock (s_running)
            {
                s_running.Add(child);
            }

            _child = child;
            try
            {
                Stream input = child.StandardInput.BaseStream;
                input.Write(Encoding.ASCII.GetBytes(image.Length.ToString(CultureInfo.InvariantCulture) + "\n"));
                input.Write(image);
                input.Flush();
            }
            catch (IOException)
            {
                // It ended before reading the image: the first request finds that out and says why.
            }

            problem = null;
            return child;
        }

        private void End(Process child)
        {
            try
            {
                if (!child.WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    child.Kill();
                    child.WaitForExit();
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            lock (s_running)
            {
                s_running.Remove(child);
            }

            _child = null;
        }

        private static string ExitCode(Process child)
        {
            try
            {
                return child.HasExited ? child.ExitCode.ToString(CultureInfo.InvariantCulture) : "?";
            }
            catch (InvalidOperationException)
            {
                return "?";
            }
        }
    }

    /// <summary>
    /// The child's side of one group: translates and compiles the methods of <paramref name="image"/> holding
    /// <paramref name="hot"/>, stores them as a group in the cache at <paramref name="directory"/> and writes its
    /// report line (<see cref="GroupReport"/>, "-" for the name when nothing was translatable).
    /// </summary>
    public static void CompileGroupInto(byte[] image, string directory, IReadOnlyCollection<uint> hot, TextWriter stdout) =>
        CompileOne(image, directory, hot, stdout, request: 1);

    /// <summary>
    /// The kept child (<see cref="ServeFlag"/>): reads the image (its length on a line, then its bytes) from
    /// <paramref name="input"/>, then one line of hexadecimal addresses per group, and answers each on
    /// <paramref name="stdout"/> with its report line, or "!" and why when that group failed (the process goes on);
    /// returns at the end of the input or after <paramref name="idle"/> without a request.
    /// </summary>
    public static void Serve(Stream input, string directory, TimeSpan idle, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(stdout);
        if (ReadLine(input) is not { } header || !int.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out int length)
            || length <= 0 || length > 1 << 30)
        {
            throw new InvalidImageException("the compile process expected the image's length on its first line");
        }

        byte[] image = new byte[length];
        try
        {
            input.ReadExactly(image);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidImageException($"the compile process's input ended inside the image ({length} bytes announced)");
        }
        for (int request = 1; ; request++)
        {
            Task<string?> next = Task.Run(() => ReadLine(input));
            if (!next.Wait(idle) || next.Result is not { } line)
            {
                return; // idle, or the run ended
            }

            if (ParseAddresses(line) is not { Count: > 0 } hot)
            {
                stdout.WriteLine($"! '{FirstLine(line)}' is not a list of hexadecimal addresses");
            }
            else
            {
                try
                {
                    CompileOne(image, directory, hot, stdout, request);
                }
                catch (Exception e) when (e is TranslationHostException or InvalidImageException or IOException or UnauthorizedAccessException)
                {
                    stdout.WriteLine($"! {FirstLine(e.Message)}");
                }
            }

            stdout.Flush();
        }
    }

    /// <summary>A group's hot addresses as the parent writes them (hexadecimal, comma-separated); null if one is not.</summary>
    public static List<uint>? ParseAddresses(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hot = new List<uint>();
        foreach (string address in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!uint.TryParse(address, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint a))
            {
                return null;
            }

            hot.Add(a);
        }

        return hot;
    }

    /// <summary>One line of ASCII from <paramref name="input"/> without its end; null at the end of the input.</summary>
    private static string? ReadLine(Stream input)
    {
        var line = new StringBuilder();
        while (true)
        {
            int b = input.ReadByte();
            if (b < 0)
            {
                return line.Length == 0 ? null : line.ToString();
            }

            if (b == '\n')
            {
                return line.ToString();
            }

            if (line.Length < 1 << 20)
            {
                line.Append((char)b);
            }
        }
    }

    private static void CompileOne(byte[] image, string directory, IReadOnlyCollection<uint> hot, TextWriter stdout, int request)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(hot);
        ArgumentNullException.ThrowIfNull(stdout);
        using var self = Process.GetCurrentProcess();
        TimeSpan started = request == 1 ? DateTime.Now - self.StartTime : TimeSpan.Zero;
        TimeSpan Cpu()
        {
            self.Refresh();
            return self.TotalProcessorTime;
        }

        // A process's first group is charged everything since its start; a later one only its own work.
        TimeSpan since = request == 1 ? TimeSpan.Zero : Cpu();
        BackgroundPriority.Lower();
        TranslationCompiler.OnThisThreadOnly = true;
        TimeSpan warmUp = TimeSpan.Zero, warmUpCpu = TimeSpan.Zero;
        if (request == 1 && Environment.GetEnvironmentVariable(BreakdownVariable) == "1")
        {
            TimeSpan before = Cpu();
            var clock = Stopwatch.StartNew();
            TranslationCompiler.Compile("public static class WarmUp { public static int One() => 1; }", "WarmUp");
            warmUp = clock.Elapsed;
            warmUpCpu = Cpu() - before;
        }

        TimeSpan atStart = Cpu();
        CompiledGroup? group = new TranslationCache(directory).CompileAndStoreGroup(image, hot, out _, out _, out TimeSpan translated);
        if (group is null)
        {
            translated = Cpu();
        }

        TimeSpan compileCpu = Cpu() - translated;
        string S(TimeSpan t) => t.TotalSeconds.ToString("R", CultureInfo.InvariantCulture);
        string tail = $"{S(warmUpCpu)} {S(translated - atStart)} {S(compileCpu)} {S(Cpu() - since)} {Environment.ProcessId} {request}";
        stdout.WriteLine(group is null
            ? $"- {S(started)} {S(warmUp)} 0 0 0 0 0 {PeakResidentBytes()} {tail}"
            : string.Create(CultureInfo.InvariantCulture,
                $"{group.Name} {S(started)} {S(warmUp)} {S(group.Translate)} {S(group.Parse)} {S(group.Compile)} {group.Result.Source.Length} {group.Assembly.Length} {PeakResidentBytes()} {tail}"));
    }

    /// <summary>This process's peak resident memory so far (Linux: VmHWM); 0 where the platform does not say.</summary>
    public static long PeakResidentBytes()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    private static string FirstLine(string text) => text.Length == 0 ? "(nothing)" : text.Split('\n')[0].Trim();
}
