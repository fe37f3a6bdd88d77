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

                if (!DifferentialRunner.Run(candidate, chosen).Agrees)
                {
                    program = candidate;
                    progress = true;
                }
            }
        }

        return program;
    }

    private static bool FlagsValid(FuzzProgram program) =>
        FlagAnalysis.Analyse(program.FlatBody(HarnessImage.DumpAddress), HarnessImage.DumpAddress).FirstInvalidRead < 0;
}
