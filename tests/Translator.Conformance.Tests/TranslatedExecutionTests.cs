using Translator.Vmm;
using Translator.Vmm.Backends.Bt;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// native and hw with <c>--execution translated</c> run the binary-translation core's code, whose sensitive
/// instructions run the processor's own handlers. What the guest and the VMM see must not move: the same console
/// bytes, ending, retired count and event counters as on the interpreter, so under hw the same VM exits of every
/// reason (the exit profile), the same interrupts and faults delivered.
/// </summary>
public sealed class TranslatedExecutionTests
{
    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (string image in new[] { "pit_irq.bin", "uart_irq.bin", "paging.bin", "pagetable_heavy.bin", "syscall_heavy.bin", "io_heavy.bin", "exceptions.bin", "crc32.elf" })
        {
            foreach (string configuration in new[] { "native", "hw-ept", "hw-shadow", "trap" })
            {
                cases.Add(image, configuration);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TranslatedRunHasTheInterpretersCounts(string image, string configuration)
    {
        byte[] bytes = File.ReadAllBytes(GuestImages.Instance.PathOf(image));
        VmRunResult interpreted = Run(bytes, configuration);
        VmRunResult translated = Run(bytes, configuration + "-translated");

        AssertSameRun(interpreted, translated, $"{image} under {configuration}");
    }

    /// <summary>
    /// The production path of the default tier (<see cref="ExecutionTier.Tiered"/>): nothing ready in a fresh cache,
    /// background translation starts at a seeded retired count under each backend's own run loop (one compile that
    /// the four machines share, as host's VMs do), the guest waits after a slice until it is offered, and the run
    /// still ends as the interpreter's, counters alike, with the translation swapped in at the next boundary.
    /// </summary>
    [Fact]
    public void ATieredRunSwapsInTheBackgroundAndKeepsTheInterpretersCounts()
    {
        const string image = "sieve.elf";
        string[] configurations = ["native", "hw-ept", "hw-shadow", "trap"];
        byte[] bytes = File.ReadAllBytes(GuestImages.Instance.PathOf(image));
        string directory = Path.Combine(Path.GetTempPath(), $"translator-tier-{Guid.NewGuid():N}"); // nothing ready: the runs tier
        var random = new Random(20261207);
        var runs = configurations.Select(configuration =>
        {
            VmRunResult interpreted = Run(bytes, configuration);
            ulong tierUp = (ulong)random.NextInt64(1, (long)interpreted.Statistics.GuestInstructions / 3);
            VirtualMachine vm = VirtualMachine.Create(bytes, BackendConfigurations.Options(configuration, _ => { }, maxInstructions: 2_000_000_000) with
            {
                Execution = ExecutionTier.Tiered, TierUpInstructions = tierUp, TranslationCacheDirectory = directory,
            });
            return (Configuration: configuration, Interpreted: interpreted, TierUp: tierUp, Vm: vm);
        }).ToArray();

        foreach (var run in runs)
        {
            AttachedTranslation tier = ((ITranslatingBackend)run.Vm.Backend).Translated;
            run.Vm.RunSlice(run.TierUp * 2); // the tier-up is raised at a boundary past TierUp
            var waited = System.Diagnostics.Stopwatch.StartNew();
            // The guest waits for its compile here, so the swap cannot miss the rest of the run. The tier-up is raised
            // at the interpreter's next boundary, which the slice may have ended before: then no compile is under way
            // yet, nothing would come of waiting, and the rest of the run raises it.
            while (tier.TierUpRetired is not null && !tier.SwapPending && tier.SwappedAtRetired is null && tier.Problem is null
                && waited.Elapsed < TimeSpan.FromMinutes(5))
            {
                Thread.Sleep(20);
            }

            VmRunResult tiered = run.Vm.Finish(run.Vm.RunSlice(ulong.MaxValue));
            string context = $"{image} under {run.Configuration}, tiered at {run.TierUp}, swapped at {tier.SwappedAtRetired}";
            Assert.Null(tier.Problem);
            Assert.True(tier.TierUpRetired >= run.TierUp, $"{context}: background translation did not start");
            Assert.True(tier.SwappedAtRetired is not null, $"{context}: the background translation was never swapped in");
            Assert.Equal("tiered", tiered.Statistics.Execution);
            AssertSameRun(run.Interpreted, tiered, context);
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the temporary folder's cleaner.
        }
    }

    private static void AssertSameRun(VmRunResult interpreted, VmRunResult other, string context)
    {
        Assert.Equal(interpreted.Console, other.Console);
        Assert.Equal(interpreted.ExitCode, other.ExitCode);
        Assert.Equal(interpreted.Result.Reason, other.Result.Reason);
        Assert.Equal(interpreted.Statistics.GuestInstructions, other.Statistics.GuestInstructions);
        Assert.True(other.Statistics.Events.GetValueOrDefault("bt.instructionsInRegions") > 0, $"{context}: no instruction ran in translated code");
        Dictionary<string, long> reference = Profile(interpreted), seen = Profile(other);
        string[] differing = reference.Keys.Union(seen.Keys)
            .Where(k => reference.GetValueOrDefault(k) != seen.GetValueOrDefault(k))
            .Select(k => $"{k}: interpreter {reference.GetValueOrDefault(k)}, translated {seen.GetValueOrDefault(k)}").ToArray();
        Assert.True(differing.Length == 0, $"{context}: " + string.Join("; ", differing));
        Assert.Equal(interpreted.Statistics.Exits, other.Statistics.Exits);
    }

    /// <summary>Every counter but the translated code's own (<c>bt.*</c>) and the code cache's (<c>code.*</c>: blocks decoded, which translated code leaves undecoded).</summary>
    private static Dictionary<string, long> Profile(VmRunResult run) => run.Statistics.Events
        .Where(e => !e.Key.StartsWith("bt.", StringComparison.Ordinal) && !e.Key.StartsWith("code.", StringComparison.Ordinal))
        .ToDictionary(e => e.Key, e => e.Value);

    private static VmRunResult Run(byte[] image, string configuration) =>
        VirtualMachine.Create(image, BackendConfigurations.Options(configuration, _ => { }, maxInstructions: 2_000_000_000)).Run();
}
