using System.Diagnostics;
using Translator.Fuzz;

// translator-fuzz --programs N [--seed S]: runs N generated programs on every backend and reports divergences.
ulong first = 1;
long programs = 1000;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--programs": programs = long.Parse(args[i + 1]); break;
        case "--seed": first = ulong.Parse(args[i + 1]); break;
        case "--minimize": return Minimize(ulong.Parse(args[i + 1]));
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

var clock = Stopwatch.StartNew();
int divergent = 0, faulted = 0;
for (long n = 0; n < programs; n++)
{
    ulong seed = first + (ulong)n;
    Verdict verdict = DifferentialRunner.Run(ProgramGenerator.Generate(seed));
    faulted += verdict.Outcomes[0].Outcome.Text.StartsWith('F') ? 1 : 0;
    if (!verdict.Agrees)
    {
        divergent++;
        Console.WriteLine($"seed {seed} ({verdict.Program.Options.Describe()}): {verdict.Summary()}");
        foreach (var (backend, outcome) in verdict.Outcomes)
        {
            Console.WriteLine($"  {backend}: {outcome.ToString().Replace("\n", " | ")}");
        }
    }

    if ((n + 1) % 500 == 0)
    {
        Console.Error.WriteLine($"{n + 1} programs, {divergent} divergent, {(n + 1) / clock.Elapsed.TotalSeconds:F1} programs/s");
    }
}

Console.WriteLine($"seeds {first}..{first + (ulong)programs - 1}: {programs} programs, {faulted} ended by an exception, {divergent} divergent, {clock.Elapsed.TotalSeconds:F0} s");
return divergent == 0 ? 0 : 1;

static int Minimize(ulong seed)
{
    FuzzProgram small = Minimizer.Minimize(ProgramGenerator.Generate(seed));
    Verdict verdict = DifferentialRunner.Run(small);
    Console.WriteLine($"seed {seed} ({small.Options.Describe()}): {verdict.Summary()}; units kept: {string.Join(",", small.Units.Select(u => u.Id))}");
    var formatter = new Iced.Intel.NasmFormatter();
    foreach (FuzzUnit unit in small.Units)
    {
        foreach (Iced.Intel.Instruction instruction in unit.Instructions)
        {
            var output = new Iced.Intel.StringOutput();
            formatter.Format(instruction, output);
            Console.WriteLine($"  [{unit.Id}] {output.ToStringAndReset()}");
        }
    }

    foreach (var (backend, outcome) in verdict.Outcomes)
    {
        Console.WriteLine($"  {backend}: {outcome.ToString().Replace("\n", " | ")}");
    }

    return 0;
}
