using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Translator.Translation.Tests;

/// <summary>
/// bench.elf (gcc -O2, about 2.9 G instructions) translated, timed without translation and compilation (the run a
/// cached translation gives), with BT_BENCH=1 (scripts/bench-bt.sh). Without it, its first 30 M instructions are
/// checked against the interpreter instead (a budget stop: same retired count and CPU state).
/// </summary>
public sealed class BenchmarkTests(ITestOutputHelper output)
{
    [Fact]
    public void Bench_runs_translated()
    {
        byte[] image = GuestImageTests.Load("bench.elf");
        if (Environment.GetEnvironmentVariable("BT_BENCH") != "1")
        {
            const ulong budget = 30_000_000;
            MachineRun head = MachineRun.WithTranslation(image, TranslatedCompiler.Translate(image).Image, budget);
            MachineRun reference = MachineRun.Native(image, budget);
            Assert.Equal(reference.ExitCode, head.ExitCode);
            Assert.Equal(reference.Retired, head.Retired);
            Assert.Equal(reference.State, head.State);
            return;
        }

        var watch = Stopwatch.StartNew();
        TranslationResult result = BinaryTranslator.Translate(image, new TranslationOptions());
        double translate = watch.Elapsed.TotalSeconds;
        watch.Restart();
        Machine.Translation.TranslatedImage translation = TranslatedCompiler.Compile(result);
        double compile = watch.Elapsed.TotalSeconds;
        watch.Restart();
        double cpu0 = ThreadCpuTime.Seconds();
        TimeSpan process0 = Process.GetCurrentProcess().TotalProcessorTime;
        MachineRun translated = MachineRun.WithTranslation(image, translation);
        double run = watch.Elapsed.TotalSeconds, cpu = ThreadCpuTime.Seconds() - cpu0;
        double processCpu = (Process.GetCurrentProcess().TotalProcessorTime - process0).TotalSeconds;
        output.WriteLine($"bench.elf: translate {translate:F2} s, compile {compile:F2} s, run {run:F2} s, " +
            $"{translated.Retired} instructions, {100.0 * translated.Translated / translated.Retired:F2}% in translated code, " +
            $"{translated.Retired / run / 1e6:F0} MIPS; thread CPU {cpu:F2} s, process CPU {processCpu:F2} s (JIT included)");
        output.WriteLine(translated.Console);
        for (int again = 1; again < int.Parse(Environment.GetEnvironmentVariable("BT_BENCH_RUNS") ?? "1"); again++)
        {
            watch.Restart();
            cpu0 = ThreadCpuTime.Seconds();
            MachineRun repeat = MachineRun.WithTranslation(image, translation);
            output.WriteLine($"run {again + 1}: {watch.Elapsed.TotalSeconds:F2} s ({repeat.Retired / watch.Elapsed.TotalSeconds / 1e6:F0} MIPS), thread CPU {ThreadCpuTime.Seconds() - cpu0:F2} s");
            Assert.Equal(translated.Retired, repeat.Retired);
        }

        if (Environment.GetEnvironmentVariable("BT_BENCH_NATIVE") == "1")
        {
            watch.Restart();
            cpu0 = ThreadCpuTime.Seconds();
            MachineRun native = MachineRun.Native(image);
            output.WriteLine($"native: run {watch.Elapsed.TotalSeconds:F2} s, thread CPU {ThreadCpuTime.Seconds() - cpu0:F2} s");
            Assert.Equal(native.Console, translated.Console);
            Assert.Equal(native.Retired, translated.Retired);
        }
    }

    /// <summary>First-run cost of an image: translation, then the in-memory Roslyn compile (the oracle too with BT_BENCH=1).</summary>
    [Fact]
    public void Translation_and_compile_time()
    {
        string[] images = Environment.GetEnvironmentVariable("BT_BENCH") == "1" ? ["bench.elf", "oracle.elf"] : ["bench.elf"];
        foreach (string name in images)
        {
            byte[] image = GuestImageTests.Load(name);
            var watch = Stopwatch.StartNew();
            TranslationResult result = BinaryTranslator.Translate(image, new TranslationOptions());
            double translate = watch.Elapsed.TotalSeconds;
            watch.Restart();
            Assert.NotNull(TranslatedCompiler.Compile(result));
            Assert.True(result.Regions > 0 && result.Instructions > 0);
            output.WriteLine($"{name}: {image.Length / 1024} KiB image, {result.Instructions} instructions in {result.Regions} region entries: " +
                $"translate {translate:F2} s, compile {watch.Elapsed.TotalSeconds:F2} s, {result.Source.Length / 1024} KiB of C#");
        }
    }
}
