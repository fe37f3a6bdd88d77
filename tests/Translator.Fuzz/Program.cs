using System.Diagnostics;
using Translator.Fuzz;

// translator-fuzz --programs N [--seed S] [--jobs J] [--qemu-every K] [--host-every K] [--bt-translated-every K] [--cases DIR|none]
//   runs N generated programs on every backend (every K-th also on QEMU TCG / the host CPU / bt with translated code,
//   compiled by Roslyn and by the direct IL back end),
//   minimizes each divergence and writes it up as a case in DIR (default tests/regressions). --jobs J runs J programs
//   at a time; what is printed, and in which order, does not depend on J.
//   --profile on: where the time went (image building, each backend).
//   --host-only on: native's interpreter and the host CPU only (a quick sweep of the host oracle over many seeds).
// translator-fuzz --show SEED: the program's body, each instruction at its address, with its unit.
// translator-fuzz --minimize-qemu SEED: shrinks a program while QEMU and native-interpreter disagree, prints it.
// translator-fuzz --minimize-host SEED: the same against the host CPU (HostCpuOracle).
// translator-fuzz --minimize SEED [--cases DIR]: shrinks one program, prints it and writes its case.
ulong first = 1;
long programs = 1000;
int qemuEvery = 0, hostEvery = 0, btTranslatedEvery = 0, jobs = 1;
bool hostOnly = false;
string? cases = "tests/regressions";
ulong? minimize = null;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--programs": programs = long.Parse(args[i + 1]); break;
        case "--seed": first = ulong.Parse(args[i + 1]); break;
        case "--jobs": jobs = Math.Max(1, int.Parse(args[i + 1])); break;
        case "--qemu-every": qemuEvery = int.Parse(args[i + 1]); break;
        case "--host-every": hostEvery = int.Parse(args[i + 1]); break;
        case "--bt-translated-every": btTranslatedEvery = int.Parse(args[i + 1]); break;
        case "--host-only": hostOnly = args[i + 1] == "on"; hostEvery = hostOnly ? 1 : hostEvery; break;
        case "--profile": DifferentialRunner.Profile = args[i + 1] == "on" ? new() : null; break;
        case "--cases": cases = args[i + 1] == "none" ? null : args[i + 1]; break;
        case "--minimize": minimize = ulong.Parse(args[i + 1]); break;
        case "--show": Campaign.Show(ProgramGenerator.Generate(ulong.Parse(args[i + 1])), Console.Out); return 0;
        case "--minimize-qemu": Campaign.MinimizeAgainstQemu(ProgramGenerator.Generate(ulong.Parse(args[i + 1])), Console.Out); return 0;
        case "--minimize-host":
            if (HostCpuOracle.Unavailable is string why)
            {
                Console.Error.WriteLine($"the host CPU oracle cannot run here: {why}");
                return 2;
            }

            HostCpuOracle.MinimizeAgainstHost(ProgramGenerator.Generate(ulong.Parse(args[i + 1])), Console.Out);
            return 0;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

if (minimize is ulong one)
{
    return Campaign.Minimize(ProgramGenerator.Generate(one), FuzzBackend.All, cases, print: true, Console.Out);
}

if (qemuEvery > 0 && !QemuOracle.Available)
{
    Console.Error.WriteLine("--qemu-every needs qemu-system-i386 on PATH");
    return 2;
}

if (hostEvery > 0 && HostCpuOracle.Unavailable is string unavailable)
{
    Console.Error.WriteLine($"--host-every: the host CPU oracle cannot run here: {unavailable}");
    return 2;
}

var clock = Stopwatch.StartNew();
var tally = new Campaign();
(ProgramReport Report, string Log) RunOne(long n)
{
    ulong seed = first + (ulong)n;
    FuzzProgram program = ProgramGenerator.Generate(seed);
    FuzzBackend[] backends = hostOnly ? [FuzzBackend.All[0]]
        : btTranslatedEvery > 0 && n % btTranslatedEvery == 0 ? [.. FuzzBackend.All, FuzzBackend.BtTranslated, FuzzBackend.BtDirectIl] : FuzzBackend.All;
    var log = new StringWriter();
    ProgramReport report = Campaign.Check(program, backends, qemuEvery > 0 && n % qemuEvery == 0, hostEvery > 0 && n % hostEvery == 0, cases, log);
    return (report, log.ToString());
}

void Account(long n, (ProgramReport Report, string Log) done)
{
    tally.Add(done.Report);
    Console.Write(done.Log);
    if ((n + 1) % 500 == 0)
    {
        Console.Error.WriteLine($"{n + 1} programs, {tally}, {(n + 1) / clock.Elapsed.TotalSeconds:F1} programs/s");
    }
}

if (jobs == 1)
{
    for (long n = 0; n < programs; n++)
    {
        Account(n, RunOne(n));
    }
}
else
{
    OrderedWorkers.Run(programs, jobs, RunOne, Account);
}

Console.WriteLine($"seeds {first}..{first + (ulong)programs - 1}: {programs} programs, {tally}, {clock.Elapsed.TotalSeconds:F0} s");
if (DifferentialRunner.Profile is { } profile)
{
    Console.WriteLine("time: " + string.Join(", ", profile.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value.TotalSeconds:F1} s")));
}
return tally.Divergent == 0 && tally.HostDiffers == 0 ? 0 : 1;
