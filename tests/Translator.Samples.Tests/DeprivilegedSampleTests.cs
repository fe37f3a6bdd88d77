using System.Text;
using Translator.Guest;
using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.Samples.Tests;

/// <summary>
/// The samples on the two deprivileging backends: under <c>bt</c> every one is indistinguishable from bare metal;
/// under <c>trap</c> (trap-and-emulate only) the <c>Holes</c> sample shows exactly the Popek–Goldberg holes its
/// committed <c>expected-trap.txt</c> pins, and every other sample still runs identically (none of them looks).
/// </summary>
public sealed class DeprivilegedSampleTests
{
    public static TheoryData<string> Names => new(SampleCatalog.Names);

    public static TheoryData<string> NamesExceptHoles => new(SampleCatalog.Names.Where(n => n != "Holes"));

    /// <summary>
    /// Every line of Holes where trap-and-emulate differs from bare metal, and why. A line missing here that
    /// differs, or listed here that does not, fails the test.
    /// </summary>
    private static readonly (string Ring, string Probe, string Why)[] s_holes =
    [
        ("ring 0", "cs rpl (current privilege)", "the kernel really runs at CPL 1, and MOV from CS shows the RPL"),
        ("ring 0", "sgdt base", "SGDT is unprivileged: it stores the VMM's GDT (host memory past guest RAM), not the guest's"),
        ("ring 0", "sidt base", "SIDT stores the VMM's IDT"),
        ("ring 0", "str", "STR shows the real task register: the VMM keeps the guest's TR virtual, the real one is null"),
        ("ring 0", "popf changed IF", "at CPL 1 > IOPL 0 POPF silently keeps IF (no trap), and PUSHF shows the real IF = 1"),
        ("ring 0", "lar kernel code", "LAR reads the compressed descriptor: DPL 1 (access byte 0xBB instead of 0x9B)"),
        ("ring 3", "sgdt base", "SGDT works at ring 3 too, and shows the VMM's table"),
        ("ring 3", "sidt base", "SIDT likewise"),
        ("ring 3", "str", "STR likewise shows the real (null) task register"),
    ];

    [Theory]
    [MemberData(nameof(Names))]
    public void RunsUnderBtExactlyAsOnBareMetal(string name)
    {
        SampleKernel sample = SampleCatalog.Find(name)!;
        VmRunResult run = Run(sample, BackendKind.BinaryTranslation);
        Assert.True(sample.ExpectedOutput.AsSpan().SequenceEqual(run.Console),
            $"{name} under bt ({run.Result.Message}) printed:\n{Encoding.ASCII.GetString(run.Console)}");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(run.Statistics.Events, e => e.Key.StartsWith("callout.", StringComparison.Ordinal) && e.Value > 0);
    }

    [Theory]
    [MemberData(nameof(NamesExceptHoles))]
    public void RunsUnderTrapAsOnBareMetalWhenItDoesNotLook(string name)
    {
        SampleKernel sample = SampleCatalog.Find(name)!;
        VmRunResult run = Run(sample, BackendKind.TrapAndEmulate);
        Assert.True(sample.ExpectedOutput.AsSpan().SequenceEqual(run.Console),
            $"{name} under trap ({run.Result.Message}) printed:\n{Encoding.ASCII.GetString(run.Console)}");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(run.Statistics.Events, e => e.Key.StartsWith("trap.", StringComparison.Ordinal) && e.Value > 0);
    }

    [Fact]
    public void HolesUnderTrapPrintsItsCommittedOutput()
    {
        SampleKernel sample = SampleCatalog.Find("Holes")!;
        string expected = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "samples", "Holes", "expected-trap.txt"));
        VmRunResult run = Run(sample, BackendKind.TrapAndEmulate);
        Assert.Equal(expected, Encoding.ASCII.GetString(run.Console));
        Assert.Equal(1, run.ExitCode);
    }

    [Fact]
    public void HolesUnderTrapDivergesFromBareMetalExactlyWhereThePopekGoldbergHolesAre()
    {
        SampleKernel sample = SampleCatalog.Find("Holes")!;
        List<(string Ring, string Line)> native = Lines(Encoding.ASCII.GetString(sample.ExpectedOutput));
        List<(string Ring, string Line)> trap = Lines(Encoding.ASCII.GetString(Run(sample, BackendKind.TrapAndEmulate).Console));
        Assert.Equal(native.Count, trap.Count);
        var differing = new List<(string Ring, string Probe)>();
        for (int i = 0; i < native.Count; i++)
        {
            Assert.Equal(native[i].Ring, trap[i].Ring);
            if (native[i].Line != trap[i].Line)
            {
                differing.Add((native[i].Ring, Probe(native[i].Line)));
                Assert.Equal(Probe(native[i].Line), Probe(trap[i].Line));
            }
        }

        Assert.Equal(s_holes.Select(h => (h.Ring, h.Probe)), differing);
    }

    [Fact]
    public void HolesUnderBtShowsNoHoleAtAll()
    {
        SampleKernel sample = SampleCatalog.Find("Holes")!;
        VmRunResult run = Run(sample, BackendKind.BinaryTranslation);
        Assert.Equal(Encoding.ASCII.GetString(sample.ExpectedOutput), Encoding.ASCII.GetString(run.Console));
        foreach (string callout in new[] { "sgdt", "sidt", "sldt", "smsw", "str", "pushfd", "popfd", "lar", "lsl", "verr", "verw", "mov_sreg" })
        {
            Assert.True(run.Statistics.Events.GetValueOrDefault("callout." + callout) > 0, $"no callout.{callout}");
        }
    }

    private static VmRunResult Run(SampleKernel sample, BackendKind backend) =>
        VirtualMachine.Create(sample.Image, new VmOptions { Backend = backend }).Run();

    /// <summary>The probe lines of Holes with the ring section they belong to.</summary>
    private static List<(string Ring, string Line)> Lines(string output)
    {
        var lines = new List<(string, string)>();
        string ring = "";
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("ring ", StringComparison.Ordinal))
            {
                ring = line.TrimEnd(':');
            }
            else if (line.StartsWith("  ", StringComparison.Ordinal))
            {
                lines.Add((ring, line));
            }
        }

        return lines;
    }

    private static string Probe(string line) => line.Trim()[..^8].TrimEnd();
}
