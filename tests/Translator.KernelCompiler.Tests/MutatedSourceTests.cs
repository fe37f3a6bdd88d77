using Translator.Fuzz;
using Translator.Fuzz.Parsers;
using Translator.Tests.Shared;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// The kernel-source fuzzer's smoke run (docs/fuzzing.md; the long campaign is scripts/fuzz.sh --kernel-source):
/// mutated sample kernels through the generator driver get diagnostics, never an exception, and every TRN error
/// points into the kernel's source.
/// </summary>
public sealed class MutatedSourceTests
{
    [Fact]
    public void MutatedKernelsGetDiagnosticsNeverExceptions()
    {
        string[] kernels = KernelSourceMutator.SeedKernels(RepositoryRoot.Path);
        var tally = new Tally();
        var failures = new List<string>();
        for (ulong seed = 1; seed <= 25; seed++)
        {
            var random = new SeededRandom(seed);
            Mutant mutant = KernelSourceMutator.Mutate(random.Pick(kernels), random);
            if (KernelSourceCampaign.Check(mutant, tally) is string failure)
            {
                failures.Add($"mutant {seed}: {failure}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(tally.RejectedByGenerator > 0, tally.ToString()); // the mutations do reach the generator's checks
    }

    /// <summary>The same seed mutates the same kernel the same way (a campaign's failure is reproducible by its number).</summary>
    [Fact]
    public void AMutantIsFixedByItsSeed()
    {
        string[] kernels = KernelSourceMutator.SeedKernels(RepositoryRoot.Path);
        Mutant Make(ulong seed)
        {
            var random = new SeededRandom(seed);
            return KernelSourceMutator.Mutate(random.Pick(kernels), random);
        }

        Assert.Equal(Make(7).Source, Make(7).Source);
        Assert.NotEqual(Make(7).Source, Make(8).Source);
    }
}
