using System.Text;
using Translator.Machine.Memory;
using Translator.Vmm;

namespace Translator.Fuzz;

/// <summary>One way of running a program: a backend and its variant.</summary>
/// <param name="Prepare">Set up the machine before it runs (attaching a translation), when the options cannot say it.</param>
public sealed record FuzzBackend(string Name, VmOptions Options, Action<VirtualMachine, byte[]>? Prepare = null)
{
    private const ulong Budget = 200_000;

    private static VmOptions Base(BackendKind backend) => new() { Backend = backend, MemoryMiB = 4, MaxInstructions = Budget };

    /// <summary>native in both tiers, hw with EPT and with shadow paging, bt (deprivileged, callouts) and trap.</summary>
    public static readonly FuzzBackend[] All =
    [
        new("native-interpreter", Base(BackendKind.Native) with { CompileThreshold = 0 }),
        new("native-compiled", Base(BackendKind.Native) with { CompileThreshold = 1 }),
        new("hw-ept", Base(BackendKind.HardwareAssisted) with { Paging = MemoryVirtualization.NestedPaging }),
        new("hw-shadow", Base(BackendKind.HardwareAssisted) with { Paging = MemoryVirtualization.ShadowPaging }),
        new("bt", Base(BackendKind.BinaryTranslation) with { Translation = TranslationSource.InterpreterOnly }),
        new("trap", Base(BackendKind.TrapAndEmulate) with { Translation = TranslationSource.InterpreterOnly }),
    ];

    /// <summary>
    /// bt running translated code: the image translated to C# and compiled at run time (seconds per program, so a
    /// campaign samples it), code the translation does not cover on the interpreter with callouts.
    /// </summary>
    public static readonly FuzzBackend BtTranslated = new("bt-translated", Base(BackendKind.BinaryTranslation) with
    {
        Translation = TranslationSource.Cached,
        TranslationCacheDirectory = Path.Combine(Path.GetTempPath(), $"translator-fuzz-bt-{Environment.ProcessId}"),
    });

    /// <summary>
    /// bt running the same translation compiled by the direct IL back end (what tiered runs swap in), attached before
    /// the first instruction; sampled with <see cref="BtTranslated"/>.
    /// </summary>
    public static readonly FuzzBackend BtDirectIl = new("bt-direct-il", Base(BackendKind.BinaryTranslation) with
    {
        Translation = TranslationSource.InterpreterOnly,
    }, AttachDirectIl);

    private static void AttachDirectIl(VirtualMachine machine, byte[] image)
    {
        Translator.Translation.TranslationResult result = Translator.Translation.BinaryTranslator.Translate(image,
            new Translator.Translation.TranslationOptions { LayoutOnly = true });
        var compiled = Translator.Vmm.Backends.Bt.DirectIl.DirectIlImage.Compile(result, null);
        ((Translator.Vmm.Backends.Bt.ITranslatingBackend)machine.Backend).Translated.Attach(new Translator.Vmm.Backends.Bt.LoadedTranslation(
            compiled, Translator.Vmm.Backends.Bt.TranslationOrigin.Translated, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero,
            result.Regions, result.Instructions, [], result.Warnings) { CompiledToIl = true });
    }
}

/// <summary>What a run printed, reduced to what two correct machines must agree on (undefined flags masked).</summary>
public sealed record Outcome(int ExitCode, string Text)
{
    public static Outcome Of(int exitCode, string console, FlagAnalysis.Result flags, uint[] addresses)
    {
        var lines = console.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        RflagsMaskAt(lines, flags, addresses, out uint mask);
        var text = new StringBuilder();
        foreach (string line in lines)
        {
            if (line.StartsWith('R'))
            {
                string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 10 && uint.TryParse(fields[9], System.Globalization.NumberStyles.HexNumber, null, out uint eflags))
                {
                    fields[9] = (eflags & mask).ToString("x8");
                }

                text.Append(string.Join(' ', fields)).Append('\n');
            }
            else
            {
                text.Append(line).Append('\n');
            }
        }

        return new Outcome(exitCode, text.ToString());
    }

    /// <summary>Defined arithmetic flags and DF where the body stopped: at the faulting instruction, or at its end.</summary>
    private static void RflagsMaskAt(string[] lines, FlagAnalysis.Result flags, uint[] addresses, out uint mask)
    {
        mask = FlagAnalysis.EflagsMask(flags.AtEnd) | 0x400;
        string? fault = lines.FirstOrDefault(l => l.StartsWith('F'));
        if (fault is null)
        {
            return;
        }

        string[] fields = fault.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length >= 4 && uint.TryParse(fields[3], System.Globalization.NumberStyles.HexNumber, null, out uint eip))
        {
            int index = Array.IndexOf(addresses, eip);
            mask = index >= 0 && index < flags.Before.Length ? FlagAnalysis.EflagsMask(flags.Before[index]) | 0x400 : 0x400;
        }
    }

    public override string ToString() => $"exit {ExitCode}\n{Text}";
}

/// <summary>A program's outcomes on every backend and whether they agree.</summary>
public sealed record Verdict(FuzzProgram Program, IReadOnlyList<(string Backend, Outcome Outcome)> Outcomes)
{
    public bool Agrees => Outcomes.All(o => o.Outcome == Outcomes[0].Outcome);

    /// <summary>One line: which backends differ from native-interpreter, and on what.</summary>
    public string Summary()
    {
        var reference = Outcomes[0];
        var differing = Outcomes.Where(o => o.Outcome != reference.Outcome).Select(o => o.Backend).ToList();
        return differing.Count == 0 ? "agree" : $"{string.Join(",", differing)} differ from {reference.Backend}";
    }

    /// <summary>The first line where the first differing backend's output departs from the reference's, side by side.</summary>
    public string Difference()
    {
        var reference = Outcomes[0];
        foreach (var (backend, outcome) in Outcomes.Where(o => o.Outcome != reference.Outcome))
        {
            string[] expected = reference.Outcome.ToString().Split('\n'), actual = outcome.ToString().Split('\n');
            for (int i = 0; i < Math.Max(expected.Length, actual.Length); i++)
            {
                string e = i < expected.Length ? expected[i] : "(nothing)", a = i < actual.Length ? actual[i] : "(nothing)";
                if (e != a)
                {
                    return $"{reference.Backend} '{e}', {backend} '{a}'";
                }
            }
        }

        return "";
    }
}

public static class DifferentialRunner
{
    /// <summary>
    /// Where a campaign's time goes: building images, and each backend's create-and-run, summed as the process's CPU
    /// time (wall time on a shared machine measures the neighbours too).
    /// </summary>
    public static Dictionary<string, TimeSpan>? Profile { get; set; }

    /// <summary>
    /// Each thread's machines recycle one set of RAM arrays (allocating and first touching 4–9 MiB per machine, six
    /// machines a program, was the largest single cost of a campaign).
    /// </summary>
    [ThreadStatic]
    private static RamPool? t_ram;

    private static RamPool ThreadRam => t_ram ??= new RamPool();

    public static Verdict Run(FuzzProgram program, IEnumerable<FuzzBackend>? backends = null)
    {
        RamPool? outer = RamPool.Current;
        RamPool.Current = ThreadRam;
        try
        {
            return RunPooled(program, backends);
        }
        finally
        {
            RamPool.Current = outer;
        }
    }

    private static Verdict RunPooled(FuzzProgram program, IEnumerable<FuzzBackend>? backends)
    {
        TimeSpan started = Profile is null ? default : CpuTime();
        byte[] image = HarnessImage.Build(program, out uint[] addresses);
        FlagAnalysis.Result flags = FlagAnalysis.Analyse(program.FlatBody(HarnessImage.DumpAddress), HarnessImage.DumpAddress);
        Charge("build image", ref started);
        var outcomes = new List<(string, Outcome)>();
        foreach (FuzzBackend backend in backends ?? FuzzBackend.All)
        {
            if (backend.Options.Backend == BackendKind.TrapAndEmulate && program.TrapVisible)
            {
                continue;
            }

            VmRunResult result;
            try
            {
                VirtualMachine machine = VirtualMachine.Create(image, backend.Options);
                backend.Prepare?.Invoke(machine, image);
                Charge(backend.Name + " create", ref started);
                result = machine.Run();
            }
            finally
            {
                ThreadRam.ReturnAll(); // the machine is done with: its RAM is the next one's
            }

            outcomes.Add((backend.Name, Outcome.Of(result.ExitCode, Encoding.Latin1.GetString(result.Console), flags, addresses)));
            Charge(backend.Name + " run", ref started);
        }

        return new Verdict(program, outcomes);
    }

    private static void Charge(string part, ref TimeSpan started)
    {
        if (Profile is { } profile)
        {
            TimeSpan now = CpuTime();
            profile[part] = profile.GetValueOrDefault(part) + (now - started);
            started = now;
        }
    }

    private static TimeSpan CpuTime()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
