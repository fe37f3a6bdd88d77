using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Translator.KernelCompiler.Tests;
using Translator.Fuzz;

namespace Translator.Fuzz.Parsers;

/// <summary>
/// Mutated DSL kernel source through the kernel compiler's generator driver, as the C# compiler runs it in a guest
/// project. The generator must never throw (no CS8785 "generator failed", AD0001, TRN0099 internal error, nor an
/// exception in its run result), and when it rejects a kernel, every TRN error it gives must point at the kernel's
/// own source, not at nothing or at generated code.
/// </summary>
internal static class KernelSourceCampaign
{
    public static int Run(string[] args)
    {
        int mutants = 10_000;
        ulong seed = 1;
        string repository = ".";
        string? followOns = null;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--mutants": mutants = int.Parse(args[i + 1]); break;
                case "--seed": seed = ulong.Parse(args[i + 1]); break;
                case "--repo": repository = args[i + 1]; break;
                case "--follow-ons": followOns = args[i + 1]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }

        string[] kernels = KernelSourceMutator.SeedKernels(repository);
        var tally = new Tally();
        var clock = Stopwatch.StartNew();
        for (int n = 0; n < mutants; n++)
        {
            ulong mutantSeed = seed + (ulong)n;
            var random = new SeededRandom(mutantSeed);
            Mutant mutant = KernelSourceMutator.Mutate(random.Pick(kernels), random);
            string? failure = Check(mutant, tally, followOns is null ? null : (id, errors) => Describe(followOns, mutantSeed, mutant, id, errors));
            if (failure is not null)
            {
                tally.Failures++;
                Console.WriteLine($"mutant {mutantSeed}: {failure}");
                File.WriteAllText($"kernel-mutant-{mutantSeed}.cs", mutant.Source);
            }

            if ((n + 1) % 250 == 0)
            {
                Console.Error.WriteLine($"{n + 1} kernels: {tally} ({(n + 1) / clock.Elapsed.TotalSeconds:F1}/s)");
            }
        }

        Console.WriteLine($"seeds {seed}..{seed + (ulong)mutants - 1}: {mutants} mutated kernels: {tally}; {clock.Elapsed.TotalSeconds:F0} s");
        return tally.Failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// What is wrong with the generator's handling of <paramref name="mutant"/>, or null. A rejected mutant whose TRN
    /// errors are not all on the mutated text, or several for one mutation, is counted (and passed to
    /// <paramref name="followOn"/>) for review: it may be one cause reported twice or away from its span.
    /// </summary>
    public static string? Check(Mutant mutant, Tally tally, Action<string, Diagnostic[]>? followOn = null)
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(mutant.Source);
        s_driver = s_driver.RunGenerators(compilation);
        GeneratorRunResult result = s_driver.GetRunResult().Results.Single();
        if (result.Exception is not null)
        {
            return $"the generator threw {result.Exception.GetType().Name}: {result.Exception.Message}";
        }

        if (result.Diagnostics.FirstOrDefault(d => d.Id is "CS8785" or "AD0001" or "TRN0099") is { } crash)
        {
            return $"{crash.Id}: {crash.GetMessage()}";
        }

        Diagnostic[] translator = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error && d.Id.StartsWith("TRN", StringComparison.Ordinal)).ToArray();
        if (translator.FirstOrDefault(d => !PointsInto(d.Location, mutant.Source)) is { } astray)
        {
            return $"{astray.Id} does not point into the kernel's source: {astray.GetMessage()} at {astray.Location}";
        }

        // Accepted: the generator emitted the kernel's image; otherwise C# alone may have refused it (a syntax error).
        bool clean = translator.Length == 0 && result.GeneratedSources.Any(s => s.HintName.EndsWith(".Kernel.g.cs", StringComparison.Ordinal));
        tally.Count(clean, translator, mutant);
        if (tally.FollowOn(translator, mutant) is string kind)
        {
            followOn?.Invoke(kind, translator);
        }

        return null;
    }

    /// <summary>Appends a mutant's TRN errors, with the mutated text and the errors' own text, to the review file, and writes the mutant beside it.</summary>
    private static void Describe(string file, ulong seed, Mutant mutant, string kind, Diagnostic[] errors)
    {
        var text = new System.Text.StringBuilder($"== mutant {seed}: {kind}; mutated: ");
        text.AppendJoin(" | ", mutant.Changed.Select(c => Quote(mutant.Source, c)));
        text.AppendLine();
        foreach (Diagnostic error in errors)
        {
            text.AppendLine($"   {error.Id} line {error.Location.GetLineSpan().StartLinePosition.Line + 1} [{Quote(mutant.Source, error.Location.SourceSpan)}] {error.GetMessage()}");
        }

        File.AppendAllText(file, text.ToString());
        // The mutant itself beside the review file, to replay it by hand or make it a test case.
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, $"kernel-mutant-{seed}.cs"), mutant.Source);
    }

    private static string Quote(string source, Microsoft.CodeAnalysis.Text.TextSpan span)
    {
        string text = span.End <= source.Length ? source.Substring(span.Start, span.Length) : "?";
        text = text.ReplaceLineEndings(" ");
        return text.Length > 60 ? text[..57] + "..." : text;
    }

    /// <summary>
    /// The generator keeps locations as file, span and lines (its models must be equatable, so they hold no syntax
    /// trees): a TRN error is on the kernel's syntax when it names the kernel's file and a span inside it (empty only
    /// where C# itself found a token missing).
    /// </summary>
    private static bool PointsInto(Location location, string source) =>
        location.GetLineSpan() is { IsValid: true } lines && lines.Path == KernelPath && location.SourceSpan.End <= source.Length;

    /// <summary>The file name <see cref="GeneratorHarness"/> gives the (only) source.</summary>
    private const string KernelPath = "Source0.cs";

    // One driver for the whole campaign, as an IDE keeps one: the guest library's parse is cached between runs.
    private static GeneratorDriver s_driver = GeneratorHarness.Driver();
}

/// <summary>How the mutants fared: compiled to an image, refused by the generator, or left to C#'s own errors.</summary>
internal sealed class Tally
{
    public int Failures { get; set; }

    public int Accepted { get; private set; }

    public int RejectedByGenerator { get; private set; }

    /// <summary>Of those, how many had a TRN error overlapping the mutated text itself.</summary>
    public int RejectedAtMutation { get; private set; }

    public int RejectedByCSharpOnly { get; private set; }

    /// <summary>Rejected mutants with a TRN error away from every mutated token.</summary>
    public int ErrorsAwayFromMutation { get; private set; }

    /// <summary>Rejected mutants with one mutation and several TRN errors.</summary>
    public int SeveralErrorsForOneMutation { get; private set; }

    /// <summary>Counts a rejection that may be a follow-on error, and says which kind ("away", "several") or null.</summary>
    public string? FollowOn(Diagnostic[] translator, Mutant mutant)
    {
        Diagnostic[] errors = translator.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        if (errors.Any(d => !mutant.Changed.Any(c => d.Location.SourceSpan.OverlapsWith(c) || d.Location.SourceSpan.Contains(c.Start))))
        {
            ErrorsAwayFromMutation++;
            return "an error away from the mutated tokens";
        }

        if (errors.Length > 1 && mutant.Changed.Count == 1)
        {
            SeveralErrorsForOneMutation++;
            return "several errors for one mutated token";
        }

        return null;
    }

    public SortedDictionary<string, int> Ids { get; } = new(StringComparer.Ordinal);

    public void Count(bool clean, Diagnostic[] translator, Mutant mutant)
    {
        if (clean)
        {
            Accepted++;
        }
        else if (translator.Length > 0)
        {
            RejectedByGenerator++;
            RejectedAtMutation += translator.Any(d => mutant.Changed.Any(c => d.Location.SourceSpan.OverlapsWith(c) || d.Location.SourceSpan.Contains(c.Start))) ? 1 : 0;
            foreach (string id in translator.Select(d => d.Id).Distinct())
            {
                Ids[id] = Ids.GetValueOrDefault(id) + 1;
            }
        }
        else
        {
            RejectedByCSharpOnly++;
        }
    }

    public override string ToString() =>
        $"{Failures} generator failures, {Accepted} compiled to an image, {RejectedByGenerator} rejected with TRN errors ({RejectedAtMutation} on the mutated text), "
        + $"{RejectedByCSharpOnly} without an image or a TRN error (C#'s errors), "
        + $"{ErrorsAwayFromMutation} with an error away from the mutated tokens, {SeveralErrorsForOneMutation} with several errors for one mutated token; TRN ids: {string.Join(" ", Ids.Select(p => $"{p.Key}={p.Value}"))}";
}
