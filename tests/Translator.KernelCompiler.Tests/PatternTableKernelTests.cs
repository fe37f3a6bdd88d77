using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// Issue 15's second round in one kernel: property patterns on structs (in <c>is</c>, switch statements and switch
/// expressions, nested, with relational/and/or/not and <c>when</c>), a table of strings and a jagged table indexed at
/// run time, <c>foreach</c> over ranges of an array and a string, and a method of the kernel's own taking
/// <c>$"..."</c> through ConsoleText. The bare-metal image prints the same on every backend, the PV image (the same
/// source) prints the same under pv, and the listing of the new lowerings is a committed snapshot.
/// </summary>
public sealed class PatternTableKernelTests
{
    internal const string Source = """
        namespace PatternTests;
        using Translator.Guest;

        public enum TaskState : byte { Idle, Ready, Blocked }

        public struct Frame { public uint Eip; public uint Eflags; }

        public struct Task { public TaskState State; public uint Ticks; public Frame Frame; }

        [GuestKernel]
        public static partial class Patterns
        {
            private static readonly string[] Names = { "idle", "ready", "blocked" };
            private static readonly byte[][] Rows = { new byte[] { 1, 2, 3 }, [4, 5], new byte[4] };
            private static readonly Task[] Tasks = new Task[4];
            private static readonly int[] Buffer = { 10, 20, 30, 40, 50, 60 };

            [Entry]
            private static void Main()
            {
                for (int i = 0; i < Tasks.Length; i++)
                {
                    Tasks[i].State = (TaskState)(i % 3);
                    Tasks[i].Ticks = (uint)(i * 7);
                    Tasks[i].Frame.Eip = i == 2 ? 0u : 0x1000u + (uint)i;
                }

                foreach (Task t in Tasks)
                {
                    Log($"{Names[(int)t.State],-8}|{Describe(t)}|{Rank(t)}|{Kind(t)}");
                }

                int sum = 0;
                foreach (int b in Buffer[2..^1])
                {
                    sum += b;
                }

                int letters = 0;
                foreach (char c in Names[2][1..^2])
                {
                    Console.Write(c);
                    letters++;
                }

                Rows[2][3] = 9;
                int cells = 0;
                for (int r = 0; r < Rows.Length; r++)
                {
                    for (int c = 0; c < Rows[r].Length; c++)
                    {
                        cells += Rows[r][c] * (r + 1);
                    }
                }

                Console.WriteLine();
                Log($"sum={sum} letters={letters} cells={cells} rows={Rows.Length} last={Rows[^1].Length:X2}");
                Console.WriteLine(-5L);
                Console.WriteLine('x');
            }

            private static void Log(ConsoleText text) => Console.WriteLine();

            private static bool Describe(Task t) => t is { State: TaskState.Ready, Ticks: > 5 } or { Frame: { Eip: 0 } };

            private static int Rank(Task t) => t switch
            {
                { State: TaskState.Idle, Frame.Eip: >= 0x1000 and < 0x2000 } => 1,
                { Ticks: var n } when n > 14 => 2,
                { State: not TaskState.Blocked } => 3,
                _ => 4,
            };

            private static string Kind(Task t)
            {
                switch (t)
                {
                    case { Frame: { Eip: 0, Eflags: 0 } }:
                        return "halted";
                    case { State: TaskState.Blocked } when t.Ticks < 100:
                        return "waiting";
                    default:
                        return "running";
                }
            }
        }
        """;

    private const string Expected = "idle    |False|1|running\nready   |True|3|running\nblocked |True|4|halted\nidle    |False|1|running\nlock\nsum=120 letters=4 cells=51 rows=3 last=04\n-5\nx\n";

    private static GeneratorOutcome Compile()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Source);
        Assert.Empty(outcome.Diagnostics);
        return outcome;
    }

    [Fact]
    public void EveryBackendAndThePvBuildPrintTheSame()
    {
        string generated = Compile().GeneratedSource("PatternTests.Patterns.Kernel.g.cs");
        byte[] image = StructKernelTests.ImageBytes(generated, "Image");
        foreach (VmOptions options in CrashReportTests.BareMetalBackends)
        {
            VmRunResult run = VirtualMachine.Create(image, options).Run();
            Assert.True(Expected == System.Text.Encoding.ASCII.GetString(run.Console), $"{options.Backend} {options.Paging}: {System.Text.Encoding.ASCII.GetString(run.Console)} ({run.Result.Message})");
            Assert.Equal(1, run.ExitCode);
        }

        VmRunResult pv = VirtualMachine.Create(StructKernelTests.ImageBytes(generated, "ParavirtImage"), new VmOptions { Backend = BackendKind.Paravirtual }).Run();
        Assert.Equal(Expected, System.Text.Encoding.ASCII.GetString(pv.Console));
    }

    /// <summary>
    /// The build-time translation (a project referencing Translator.Machine) is the image's own translation and
    /// compiles; bt running translated code (not the interpreter) prints what every backend prints.
    /// </summary>
    [Fact]
    public void TheBuildTimeTranslationRunsTheSame()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(GeneratorHarness.CompilationWith(
            [Microsoft.CodeAnalysis.MetadataReference.CreateFromFile(typeof(Translator.Machine.Translation.TranslatedImage).Assembly.Location)], Source));
        Assert.Empty(outcome.Diagnostics);
        byte[] image = StructKernelTests.ImageBytes(outcome.GeneratedSource("PatternTests.Patterns.Kernel.g.cs"), "Image");
        Translator.Translation.TranslationResult expected = Translator.Translation.BinaryTranslator.Translate(image,
            new Translator.Translation.TranslationOptions { Namespace = "PatternTests", ClassName = "PatternsTranslation", RegisterOnLoad = true });
        Assert.Equal(expected.Source, outcome.GeneratedSource("PatternTests.PatternsTranslation.Translation.g.cs"));

        VmRunResult run = VirtualMachine.Create(image, new VmOptions { Backend = BackendKind.BinaryTranslation, Translation = TranslationSource.Cached }).Run();
        Assert.Equal(Expected, System.Text.Encoding.ASCII.GetString(run.Console));
    }

    /// <summary>A range outside its sequence panics as an index out of range does (.NET throws).</summary>
    [Fact]
    public void ARangeOutsideItsArrayPanics()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run("""
            using Translator.Guest;
            [GuestKernel]
            public static partial class Ranges
            {
                private static readonly int[] Table = { 1, 2, 3 };
                [Entry]
                private static void Main()
                {
                    int from = 2;
                    foreach (int v in Table[from..1]) { Console.Write(v); }
                    Console.Write("unreached");
                }
            }
            """);
        Assert.Empty(outcome.Diagnostics);
        byte[] image = StructKernelTests.ImageBytes(outcome.GeneratedSource("Ranges.Kernel.g.cs"), "Image");
        VmRunResult run = VirtualMachine.Create(image, new VmOptions { Backend = BackendKind.Native }).Run();
        Assert.Equal("\nguest panic: index out of range\n", System.Text.Encoding.ASCII.GetString(run.Console));
        Assert.Equal((0x70 << 1) | 1, run.ExitCode);
    }

    [Fact]
    public void PatternTableListing()
    {
        string generated = Compile().GeneratedSource("PatternTests.Patterns.Kernel.g.cs");
        string start = "public const string Listing = @\"";
        int from = generated.IndexOf(start, StringComparison.Ordinal) + start.Length;
        int to = generated.IndexOf("\";\n", from, StringComparison.Ordinal);
        Snapshot.Verify("Patterns.Listing", generated.Substring(from, to - from).Replace("\"\"", "\""), "txt");
    }
}
