namespace Translator.Fuzz;

/// <summary>A campaign's running count, and what it does with each program: compare, and write up what diverges.</summary>
internal sealed class Campaign
{
    public int Divergent { get; private set; }

    public int Faulted { get; private set; }

    public int BtTranslated { get; private set; }

    public int OnQemu { get; private set; }

    public int QemuDiffers { get; private set; }

    public void Check(FuzzProgram program, FuzzBackend[] backends, bool onQemu, string? cases)
    {
        Verdict verdict = DifferentialRunner.Run(program, backends);
        Faulted += verdict.Outcomes[0].Outcome.Text.StartsWith('F') ? 1 : 0;
        BtTranslated += backends.Contains(FuzzBackend.BtTranslated) ? 1 : 0;
        if (!verdict.Agrees)
        {
            Divergent++;
            Print(program, verdict);
            Minimize(program, backends, cases, print: false);
        }

        // QEMU's CPU model is not ours (CPUID, CR bits), so programs whose result depends on the model stay with us.
        if (onQemu && !program.ModelSpecific && QemuOracle.Run(program) is Outcome qemu)
        {
            OnQemu++;
            var pair = new Verdict(program, [verdict.Outcomes[0], ("qemu-tcg", qemu)]);
            if (!pair.Agrees)
            {
                QemuDiffers++;
                Console.WriteLine($"seed {program.Seed} ({program.Options.Describe()}): {pair.Summary()}: {pair.Difference()}");
                MinimizeAgainstQemu(program);
            }
        }
    }

    /// <summary>Shrinks a divergent program and, with <paramref name="cases"/>, writes it up there; 0 if it agreed after all.</summary>
    public static int Minimize(FuzzProgram program, FuzzBackend[] backends, string? cases, bool print)
    {
        FuzzProgram small = Minimizer.Minimize(program, backends);
        Verdict verdict = DifferentialRunner.Run(small, backends);
        if (print)
        {
            Print(small, verdict);
        }

        if (!verdict.Agrees && cases is not null)
        {
            Console.WriteLine($"  case written: {Minimizer.WriteCase(small, verdict, cases)}");
        }

        return verdict.Agrees ? 0 : 1;
    }

    public static void Show(FuzzProgram program)
    {
        HarnessImage.Build(program, out uint[] addresses);
        var formatter = new Iced.Intel.NasmFormatter();
        var output = new Iced.Intel.StringOutput();
        int k = 0;
        Console.WriteLine($"seed {program.Seed} ({program.Options.Describe()})");
        foreach (FuzzUnit unit in program.Units)
        {
            foreach (Iced.Intel.Instruction instruction in unit.Instructions)
            {
                formatter.Format(instruction, output);
                Console.WriteLine($"  {(k < addresses.Length ? addresses[k] : 0):x8} [{unit.Id}] {output.ToStringAndReset()} ({instruction.Code})");
                k++;
            }
        }
    }

    /// <summary>Shrinks a program QEMU disagrees on and prints what is left, for a person to judge (QEMU is not the SDM).</summary>
    public static void MinimizeAgainstQemu(FuzzProgram program)
    {
        FuzzBackend reference = FuzzBackend.All[0];
        FuzzProgram small = Minimizer.Minimize(program, candidate =>
            QemuOracle.Run(candidate) is Outcome qemu && qemu != DifferentialRunner.Run(candidate, [reference]).Outcomes[0].Outcome);
        Verdict verdict = DifferentialRunner.Run(small, [reference]);
        var pair = new Verdict(small, [verdict.Outcomes[0], ("qemu-tcg", QemuOracle.Run(small)!)]);
        Console.WriteLine($"  minimized: {pair.Summary()}: {pair.Difference()}");
        Show(small);
    }

    private static void Print(FuzzProgram program, Verdict verdict)
    {
        Console.WriteLine($"seed {program.Seed} ({program.Options.Describe()}): {verdict.Summary()}: {verdict.Difference()}; units {string.Join(",", program.Units.Select(u => u.Id))}");
        foreach (var (backend, outcome) in verdict.Outcomes)
        {
            Console.WriteLine($"  {backend}: {outcome.ToString().Replace("\n", " | ")}");
        }
    }

    public override string ToString() =>
        $"{Faulted} ended by an exception, {Divergent} divergent; bt-translated on {BtTranslated}; QEMU on {OnQemu}, {QemuDiffers} differ from native";
}
