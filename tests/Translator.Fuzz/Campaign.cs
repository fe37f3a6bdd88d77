namespace Translator.Fuzz;

/// <summary>A campaign's running count, and what it does with each program: compare, and write up what diverges.</summary>
internal sealed class Campaign
{
    public int Divergent { get; private set; }

    public int Faulted { get; private set; }

    public int BtTranslated { get; private set; }

    public int OnQemu { get; private set; }

    public int QemuDiffers { get; private set; }

    public int OnHost { get; private set; }

    public int HostDiffers { get; private set; }

    /// <summary>
    /// Runs one program and says what a campaign counts and prints about it; the printing goes to
    /// <paramref name="log"/>, so programs run on several threads still print in seed order.
    /// </summary>
    public static ProgramReport Check(FuzzProgram program, FuzzBackend[] backends, bool onQemu, bool onHost, string? cases, TextWriter log)
    {
        Verdict verdict = DifferentialRunner.Run(program, backends);
        var report = new ProgramReport
        {
            Faulted = verdict.Outcomes[0].Outcome.Text.StartsWith('F'),
            BtTranslated = backends.Contains(FuzzBackend.BtTranslated),
            Divergent = !verdict.Agrees,
        };
        if (!verdict.Agrees)
        {
            Print(program, verdict, log);
            Minimize(program, backends, cases, print: false, log);
        }

        // QEMU's CPU model is not ours (CPUID, CR bits), so programs whose result depends on the model stay with us.
        if (onQemu && !program.ModelSpecific && QemuOracle.Run(program) is Outcome qemu)
        {
            report.OnQemu = true;
            var pair = new Verdict(program, [verdict.Outcomes[0], ("qemu-tcg", qemu)]);
            if (!pair.Agrees)
            {
                report.QemuDiffers = true;
                log.WriteLine($"seed {program.Seed} ({program.Options.Describe()}): {pair.Summary()}: {pair.Difference()}");
                MinimizeAgainstQemu(program, log);
            }
        }

        if (onHost && HostCpuOracle.Compare(program) is { } host)
        {
            report.OnHost = true;
            if (!host.Agrees)
            {
                report.HostDiffers = true;
                log.WriteLine($"seed {program.Seed} ({program.Options.Describe()}): {host.Summary()}: {host.Difference()}");
                HostCpuOracle.MinimizeAgainstHost(program, log);
            }
        }

        return report;
    }

    public void Add(ProgramReport report)
    {
        Faulted += report.Faulted ? 1 : 0;
        BtTranslated += report.BtTranslated ? 1 : 0;
        Divergent += report.Divergent ? 1 : 0;
        OnQemu += report.OnQemu ? 1 : 0;
        QemuDiffers += report.QemuDiffers ? 1 : 0;
        OnHost += report.OnHost ? 1 : 0;
        HostDiffers += report.HostDiffers ? 1 : 0;
    }

    /// <summary>Shrinks a divergent program and, with <paramref name="cases"/>, writes it up there; 0 if it agreed after all.</summary>
    public static int Minimize(FuzzProgram program, FuzzBackend[] backends, string? cases, bool print, TextWriter log)
    {
        FuzzProgram small = Minimizer.Minimize(program, backends);
        Verdict verdict = DifferentialRunner.Run(small, backends);
        if (print)
        {
            Print(small, verdict, log);
        }

        if (!verdict.Agrees && cases is not null)
        {
            log.WriteLine($"  case written: {Minimizer.WriteCase(small, verdict, cases)}");
        }

        return verdict.Agrees ? 0 : 1;
    }

    public static void Show(FuzzProgram program, TextWriter log)
    {
        HarnessImage.Build(program, out uint[] addresses);
        var formatter = new Iced.Intel.NasmFormatter();
        var output = new Iced.Intel.StringOutput();
        int k = 0;
        log.WriteLine($"seed {program.Seed} ({program.Options.Describe()})");
        foreach (FuzzUnit unit in program.Units)
        {
            foreach (Iced.Intel.Instruction instruction in unit.Instructions)
            {
                formatter.Format(instruction, output);
                log.WriteLine($"  {(k < addresses.Length ? addresses[k] : 0):x8} [{unit.Id}] {output.ToStringAndReset()} ({instruction.Code})");
                k++;
            }
        }
    }

    /// <summary>Shrinks a program QEMU disagrees on and prints what is left, for a person to judge (QEMU is not the SDM).</summary>
    public static void MinimizeAgainstQemu(FuzzProgram program, TextWriter log)
    {
        FuzzBackend reference = FuzzBackend.All[0];
        FuzzProgram small = Minimizer.Minimize(program, candidate =>
            QemuOracle.Run(candidate) is Outcome qemu && qemu != DifferentialRunner.Run(candidate, [reference]).Outcomes[0].Outcome);
        Verdict verdict = DifferentialRunner.Run(small, [reference]);
        var pair = new Verdict(small, [verdict.Outcomes[0], ("qemu-tcg", QemuOracle.Run(small)!)]);
        log.WriteLine($"  minimized: {pair.Summary()}: {pair.Difference()}");
        PrintOutcomes(pair, log); // the whole dumps, not only the first line that differs: an F line says the body faulted
        Show(small, log);
    }

    private static void Print(FuzzProgram program, Verdict verdict, TextWriter log)
    {
        log.WriteLine($"seed {program.Seed} ({program.Options.Describe()}): {verdict.Summary()}: {verdict.Difference()}; units {string.Join(",", program.Units.Select(u => u.Id))}");
        PrintOutcomes(verdict, log);
    }

    /// <summary>Each side's whole dump on one line.</summary>
    private static void PrintOutcomes(Verdict verdict, TextWriter log)
    {
        foreach (var (backend, outcome) in verdict.Outcomes)
        {
            log.WriteLine($"  {backend}: {outcome.ToString().Replace("\n", " | ")}");
        }
    }

    public override string ToString() =>
        $"{Faulted} ended by an exception, {Divergent} divergent; bt-translated on {BtTranslated}; QEMU on {OnQemu}, {QemuDiffers} differ from native; host CPU on {OnHost}, {HostDiffers} differ from native";
}

/// <summary>What one program contributed to a campaign's count.</summary>
internal sealed class ProgramReport
{
    public bool Faulted { get; init; }

    public bool BtTranslated { get; init; }

    public bool Divergent { get; init; }

    public bool OnQemu { get; set; }

    public bool QemuDiffers { get; set; }

    public bool OnHost { get; set; }

    public bool HostDiffers { get; set; }
}
