namespace Translator.Fuzz;

/// <summary>
/// Shrinks a divergent program: drops one unit at a time while the backends still disagree and no flag reader is
/// left reading an undefined flag (which would make the divergence the program's fault, not a backend's).
/// </summary>
public static class Minimizer
{
    public static FuzzProgram Minimize(FuzzProgram program, IEnumerable<FuzzBackend>? backends = null)
    {
        FuzzBackend[] chosen = (backends ?? FuzzBackend.All).ToArray();
        return Minimize(program, candidate => !DifferentialRunner.Run(candidate, chosen).Agrees);
    }

    /// <summary>Shrinks <paramref name="program"/> while <paramref name="diverges"/> (against QEMU, say) still holds.</summary>
    public static FuzzProgram Minimize(FuzzProgram program, Func<FuzzProgram, bool> diverges)
    {
        bool progress = true;
        while (progress)
        {
            progress = false;
            for (int i = program.Units.Count - 1; i >= 0; i--)
            {
                FuzzProgram candidate = program.Without(new HashSet<int> { i });
                if (candidate.Units.Count == 0 || !FlagsValid(candidate))
                {
                    continue;
                }

                if (diverges(candidate))
                {
                    program = candidate;
                    progress = true;
                }
            }
        }

        return program;
    }

    /// <summary>
    /// Writes <paramref name="small"/> up as a regression case in <paramref name="directory"/>: the seed and kept units
    /// (all <c>DifferentialFuzzTests.RegressionCasesAgree</c> needs to rerun it), the one-line verdict, the instructions.
    /// Status stays "open" until someone fixes the bug and says how.
    /// </summary>
    public static string WriteCase(FuzzProgram small, Verdict verdict, string directory)
    {
        string backends = verdict.Summary().Split(' ')[0].Replace(',', '+');
        string path = Path.Combine(directory, $"{backends}-seed{small.Seed}.txt");
        var text = new System.Text.StringBuilder()
            .AppendLine($"# Differential fuzzer regression (docs/fuzzing.md). Reproduce: scripts/fuzz.sh --minimize {small.Seed}")
            .AppendLine($"seed: {small.Seed}")
            .AppendLine($"units: {string.Join(",", small.Units.Select(u => u.Id))}")
            .AppendLine($"verdict: {verdict.Summary()} ({small.Options.Describe()}): {verdict.Difference()}")
            .AppendLine("status: open");
        var formatter = new Iced.Intel.NasmFormatter();
        var output = new Iced.Intel.StringOutput();
        foreach (FuzzUnit unit in small.Units)
        {
            foreach (Iced.Intel.Instruction instruction in unit.Instructions)
            {
                formatter.Format(instruction, output);
                text.AppendLine($"# [{unit.Id}] {output.ToStringAndReset()}");
            }
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>The seed and unit ids of a case <see cref="WriteCase"/> wrote.</summary>
    public static (ulong Seed, int[] Units) ReadCase(string path)
    {
        string Field(string name) => File.ReadLines(path).First(l => l.StartsWith(name + ": ", StringComparison.Ordinal))[(name.Length + 2)..];
        return (ulong.Parse(Field("seed")), Field("units").Split(',').Select(int.Parse).ToArray());
    }

    private static bool FlagsValid(FuzzProgram program) =>
        FlagAnalysis.Analyse(program.FlatBody(HarnessImage.DumpAddress), HarnessImage.DumpAddress).FirstInvalidRead < 0;
}
