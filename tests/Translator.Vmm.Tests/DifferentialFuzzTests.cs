using Translator.Fuzz;
using Xunit;

namespace Translator.Vmm.Tests;

/// <summary>
/// The differential fuzzer's smoke run (docs/fuzzing.md): generated IA-32 programs run on native (interpreter and
/// compiled tiers), hw (EPT and shadow), bt and trap and must print the same registers, defined flags and memory
/// hashes. The cases in tests/regressions/ are divergences the fuzzer found, rerun from their seed and kept units.
/// </summary>
public sealed class DifferentialFuzzTests
{
    /// <summary>Seeds of the smoke run; a seed reproduces its program exactly (scripts/fuzz.sh --seed S --programs 1).</summary>
    public static TheoryData<int> SmokeBatches()
    {
        var data = new TheoryData<int>();
        for (int batch = 0; batch < 10; batch++)
        {
            data.Add(batch);
        }

        return data;
    }

    /// <summary>Every program on every backend, paging or not.</summary>
    [Theory]
    [MemberData(nameof(SmokeBatches))]
    public void GeneratedProgramsAgreeOnEveryBackend(int batch)
    {
        const int perBatch = 30;
        var failures = new List<string>();
        for (int n = 0; n < perBatch; n++)
        {
            ulong seed = 100_000 + (ulong)(batch * perBatch + n);
            FuzzProgram program = ProgramGenerator.Generate(seed);
            Verdict verdict = DifferentialRunner.Run(program);
            if (!verdict.Agrees)
            {
                failures.Add($"seed {seed}: {verdict.Summary()}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void ASeedReproducesItsProgramExactly()
    {
        byte[] first = HarnessImage.Build(ProgramGenerator.Generate(77), out _);
        byte[] second = HarnessImage.Build(ProgramGenerator.Generate(77), out _);
        Assert.Equal(first, second);
        Assert.NotEqual(first, HarnessImage.Build(ProgramGenerator.Generate(78), out _));
    }

    [Fact]
    public void GeneratedProgramsNeverReadAnUndefinedFlag()
    {
        for (ulong seed = 1; seed <= 300; seed++)
        {
            FuzzProgram program = ProgramGenerator.Generate(seed);
            var analysis = FlagAnalysis.Analyse(program.FlatBody(HarnessImage.DumpAddress), HarnessImage.DumpAddress);
            Assert.True(analysis.FirstInvalidRead < 0, $"seed {seed}");
        }
    }

    /// <summary>The 16-bit-address-size LOOP family (0x67: count CX, keep ECX's upper half) agrees on every backend.</summary>
    [Fact]
    public void SixteenBitLoopCountersAgreeOnEveryBackend()
    {
        int loops = 0;
        for (ulong seed = 1; loops < 20 && seed < 5000; seed++)
        {
            FuzzProgram program = ProgramGenerator.Generate(seed);
            FuzzUnit? loop = program.Units.FirstOrDefault(u => u.Instructions.Any(i => i.Code is Iced.Intel.Code.Loop_rel8_32_CX or Iced.Intel.Code.Loope_rel8_32_CX or Iced.Intel.Code.Loopne_rel8_32_CX));
            if (loop is null || program.Options.Paging)
            {
                continue;
            }

            loops++;
            Verdict verdict = DifferentialRunner.Run(program.Keeping([loop.Id]));
            Assert.True(verdict.Agrees, $"seed {seed}: {verdict.Summary()}");
        }

        Assert.Equal(20, loops);
    }

    /// <summary>
    /// Every case in tests/regressions/ (written by the minimizer: seed, kept units, verdict), rerun on every backend.
    /// The first two: hw-shadow pushed an exception frame twice when setting CS's accessed bit faulted during
    /// delivery (fixed: the accessed bit is set before ESP moves; ShadowEventDeliveryTests).
    /// </summary>
    public static TheoryData<string> RegressionCases()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(Path.Combine(Translator.Tests.Shared.RepositoryRoot.Path, "tests/regressions"), "*.txt").Order())
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RegressionCases))]
    public void RegressionCasesAgree(string name)
    {
        (ulong seed, int[] units) = Minimizer.ReadCase(Path.Combine(Translator.Tests.Shared.RepositoryRoot.Path, "tests/regressions", name));
        Verdict verdict = DifferentialRunner.Run(ProgramGenerator.Generate(seed).Keeping(units));
        Assert.True(verdict.Agrees, $"{verdict.Summary()}: {verdict.Difference()}");
    }

    /// <summary>The minimizer's write-up is a case the test above reads back: same seed, same units, same program.</summary>
    [Fact]
    public void AWrittenCaseReadsBackAsTheSameProgram()
    {
        FuzzProgram program = ProgramGenerator.Generate(4).Keeping([3, 8]);
        string directory = Directory.CreateTempSubdirectory("translator-fuzz-case").FullName;
        try
        {
            Verdict verdict = new(program, [("a", new Outcome(1, "R 1\n")), ("b", new Outcome(1, "R 2\n"))]);
            string path = Minimizer.WriteCase(program, verdict, directory);
            Assert.Contains("verdict: b differ from a (", File.ReadAllText(path));
            Assert.Contains("a 'R 1', b 'R 2'", File.ReadAllText(path));
            (ulong seed, int[] units) = Minimizer.ReadCase(path);
            Assert.Equal(HarnessImage.Build(program, out _), HarnessImage.Build(ProgramGenerator.Generate(seed).Keeping(units), out _));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
