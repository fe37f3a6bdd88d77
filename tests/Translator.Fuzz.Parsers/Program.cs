using SharpFuzz;
using Translator.Fuzz.Parsers;

// translator-fuzz-parsers TARGET                     under afl-fuzz (SharpFuzz's persistent mode, input on stdin)
// translator-fuzz-parsers TARGET --replay PATH...    each file (or each file of a folder) once; exit 1 if any crashed
// translator-fuzz-parsers TARGET --seeds REPO DIR    writes the target's starting corpus
// translator-fuzz-parsers kernel-source --mutants N [--seed S] [--repo REPO] [--follow-ons FILE]   the DSL mutation campaign (FILE: the rejections to review for follow-on errors)
if (args.Length == 0)
{
    Console.Error.WriteLine($"targets: {string.Join(", ", ParserTargets.All.Select(t => t.Name))}, kernel-source");
    return 2;
}

if (args[0] == "kernel-source")
{
    return KernelSourceCampaign.Run(args[1..]);
}

ParserTarget? target = ParserTargets.Find(args[0]);
if (target is null)
{
    Console.Error.WriteLine($"unknown target '{args[0]}' (targets: {string.Join(", ", ParserTargets.All.Select(t => t.Name))}, kernel-source)");
    return 2;
}

switch (args[1..])
{
    case []:
        Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target.Consume(buffer.ToArray());
        });
        return 0;
    case ["--seeds", string repository, string directory]:
        SeedCorpus.Write(target.Name, repository, directory);
        return 0;
    case ["--replay", .. var paths]:
        return Replay(target, paths);
    default:
        Console.Error.WriteLine("usage: TARGET [--replay PATH... | --seeds REPO DIR]");
        return 2;
}

static int Replay(ParserTarget target, string[] paths)
{
    int crashed = 0;
    foreach (string file in paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order().ToArray() : new[] { p }))
    {
        try
        {
            target.Consume(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            crashed++;
            Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
            Console.WriteLine(e.StackTrace);
        }
    }

    return crashed == 0 ? 0 : 1;
}
