using Translator.Vmm;
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

        Assert.Equal(interpreted.Console, translated.Console);
        Assert.Equal(interpreted.ExitCode, translated.ExitCode);
        Assert.Equal(interpreted.Result.Reason, translated.Result.Reason);
        Assert.Equal(interpreted.Statistics.GuestInstructions, translated.Statistics.GuestInstructions);
        Assert.True(translated.Statistics.Events.GetValueOrDefault("bt.instructionsInRegions") > 0, "no instruction ran in translated code");
        Dictionary<string, long> reference = Profile(interpreted), seen = Profile(translated);
        string[] differing = reference.Keys.Union(seen.Keys)
            .Where(k => reference.GetValueOrDefault(k) != seen.GetValueOrDefault(k))
            .Select(k => $"{k}: interpreter {reference.GetValueOrDefault(k)}, translated {seen.GetValueOrDefault(k)}").ToArray();
        Assert.True(differing.Length == 0, $"{image} under {configuration}: " + string.Join("; ", differing));
        if (configuration.StartsWith("hw", StringComparison.Ordinal))
        {
            Assert.Equal(interpreted.Statistics.Exits, translated.Statistics.Exits);
        }
    }

    /// <summary>Every counter but the translated code's own (<c>bt.*</c>) and the code cache's (<c>code.*</c>: blocks decoded, which translated code leaves undecoded).</summary>
    private static Dictionary<string, long> Profile(VmRunResult run) => run.Statistics.Events
        .Where(e => !e.Key.StartsWith("bt.", StringComparison.Ordinal) && !e.Key.StartsWith("code.", StringComparison.Ordinal))
        .ToDictionary(e => e.Key, e => e.Value);

    private static VmRunResult Run(byte[] image, string configuration) =>
        VirtualMachine.Create(image, BackendConfigurations.Options(configuration, _ => { }, maxInstructions: 2_000_000_000)).Run();
}
