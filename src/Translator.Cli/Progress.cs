using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Translator.Cli;

/// <summary>
/// What the tool is doing while a step takes longer than about a second: building a project, translating and
/// compiling, running a guest, each backend of <c>compare</c>. Always on stderr, never on stdout (stdout carries the
/// guest's COM1 bytes). On a terminal a Spectre.Console status line appears after a second and vanishes when the step
/// ends; with <c>--progress</c> (for logs) each step is plain lines; otherwise (stderr redirected) nothing is said.
/// </summary>
internal sealed class Progress
{
    /// <summary>How long a step runs before a terminal shows it: shorter steps would only flicker.</summary>
    private static readonly TimeSpan s_showAfter = TimeSpan.FromSeconds(1);

    /// <summary>How often a plain-line log hears about a long step.</summary>
    private static readonly TimeSpan s_lineInterval = TimeSpan.FromSeconds(5);

    private readonly TextWriter _stderr;
    private readonly IAnsiConsole? _terminal;
    private readonly bool _lines;

    private Progress(TextWriter stderr, IAnsiConsole? terminal, bool lines)
    {
        _stderr = stderr;
        _terminal = terminal;
        _lines = lines;
    }

    /// <summary>Says nothing: for tests and callers that report on their own.</summary>
    public static Progress Silent { get; } = new(TextWriter.Null, null, lines: false);

    /// <summary>Plain lines when <paramref name="plainLines"/> (<c>--progress</c>), a live status line when stderr is a terminal, else silence.</summary>
    public static Progress For(bool plainLines, TextWriter stderr)
    {
        if (plainLines)
        {
            return new Progress(stderr, null, lines: true);
        }

        if (Console.IsErrorRedirected)
        {
            return Silent;
        }

        IAnsiConsole terminal = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Interactive = InteractionSupport.Yes,
        });
        return new Progress(stderr, terminal, lines: false);
    }

    /// <summary>One line for a log (nothing on a terminal, where the status line is enough).</summary>
    public void Note(string message)
    {
        if (_lines)
        {
            _stderr.WriteLine($"translator: {message}");
        }
    }

    /// <summary>Runs <paramref name="work"/> on this thread while the progress shows <paramref name="what"/>, its elapsed time and <paramref name="detail"/>.</summary>
    public T Step<T>(string what, Func<T> work, Func<TimeSpan, string?>? detail = null)
    {
        if (_terminal is null && !_lines)
        {
            return work();
        }

        var clock = Stopwatch.StartNew();
        string Describe() => detail?.Invoke(clock.Elapsed) is { } d ? $"{what}: {d}" : what;
        if (_lines)
        {
            _stderr.WriteLine($"translator: {what} ...");
        }

        // The work keeps this thread (a guest's deep stacks and the console stream stay where they were); the display
        // runs beside it and stops before this method returns, so nothing is drawn after the step.
        using var done = new ManualResetEventSlim();
        Task display = Task.Run(() => Display(done, Describe, clock));
        bool completed = false;
        try
        {
            T result = work();
            completed = true;
            return result;
        }
        finally
        {
            done.Set();
            display.Wait();
            if (_lines)
            {
                string outcome = completed ? "done" : "stopped";
                _stderr.WriteLine($"translator: {Describe()} ({outcome} in {Seconds(clock.Elapsed)} s)");
            }
        }
    }

    private void Display(ManualResetEventSlim done, Func<string> describe, Stopwatch clock)
    {
        if (_lines)
        {
            while (!done.Wait(s_lineInterval))
            {
                _stderr.WriteLine($"translator: {describe()} ({Seconds(clock.Elapsed)} s)");
            }

            return;
        }

        if (done.Wait(s_showAfter))
        {
            return;
        }

        _terminal!.Status().Start(Markup.Escape(describe()), context =>
        {
            while (!done.Wait(TimeSpan.FromMilliseconds(200)))
            {
                context.Status = Markup.Escape(describe());
            }
        });
    }

    /// <summary>Instructions retired so far and the rate: a running guest's progress.</summary>
    public static string Retired(ulong instructions, TimeSpan elapsed)
    {
        double mips = elapsed.TotalSeconds > 0 ? instructions / elapsed.TotalSeconds / 1e6 : 0;
        return $"{instructions.ToString("N0", CultureInfo.InvariantCulture)} instructions retired, {mips.ToString("F1", CultureInfo.InvariantCulture)} MIPS";
    }

    public static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
}
