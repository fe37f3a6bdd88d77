using System.Text.Json;
using Translator.Vmm;

namespace Translator.Cli.Report;

/// <summary>One column of <c>translator compare</c>: a backend's timed run and, when asked, the same run cut at its console lines.</summary>
/// <param name="Name">The table's name for it (<c>hw (shadow)</c>).</param>
/// <param name="Outcome">The output column: identical, DIFFERS, crashed or budget.</param>
/// <param name="Phases">The block-by-block run; null when none was made or it did not repeat the timed run (<see cref="PhasesProblem"/>).</param>
internal sealed record BackendReport(
    string Name,
    VmRunResult Run,
    string Outcome,
    PhasedRun? Phases,
    string? PhasesProblem)
{
    public VmStatistics Statistics => Run.Statistics;

    public SortedDictionary<string, long> Interventions => OutputPhases.InterventionKinds(Run.Statistics.Events);

    public bool Identical => Outcome == "identical";
}

/// <summary>
/// What <c>translator compare --json</c> and <c>--html</c> write: every backend's run, the same numbers the table
/// gives (unrounded), and the modeled cycles of each phase of the run. The schema is docs/report.md's.
/// </summary>
internal sealed record ComparisonReport(string Source, int ReferenceConsoleBytes, IReadOnlyList<BackendReport> Backends, IReadOnlyList<string> NotRun)
{
    public const string Schema = "translator-compare-report/1";

    public bool AllIdentical => Backends.All(b => b.Identical);

    /// <summary>The phases' lines, in order, when every backend's phased run has the same lines (they print the same bytes).</summary>
    public IReadOnlyList<OutputPhase> PhaseLines =>
        Backends.Select(b => b.Phases).FirstOrDefault(p => p is not null)?.Phases ?? [];

    public void WriteJson(Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("schema", Schema);
        json.WriteString("source", Source);
        json.WriteNumber("consoleBytes", ReferenceConsoleBytes);
        json.WriteBoolean("allIdentical", AllIdentical);
        json.WriteStartArray("backends");
        foreach (BackendReport backend in Backends)
        {
            WriteBackend(json, backend);
        }

        json.WriteEndArray();
        json.WriteStartArray("notRun");
        foreach (string line in NotRun)
        {
            json.WriteStringValue(line);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteBackend(Utf8JsonWriter json, BackendReport backend)
    {
        VmStatistics s = backend.Statistics;
        json.WriteStartObject();
        json.WriteString("name", backend.Name);
        json.WriteString("backend", s.Backend);
        json.WriteNumber("exitCode", backend.Run.ExitCode);
        json.WriteString("outcome", backend.Outcome);
        json.WriteBoolean("identical", backend.Identical);
        json.WriteNumber("consoleBytes", backend.Run.Console.Length);
        json.WriteNumber("guestInstructions", s.GuestInstructions);
        json.WriteNumber("modeledCycles", s.ModeledCycles);
        json.WriteNumber("mips", s.GuestMips);
        json.WriteStartObject("seconds");
        json.WriteNumber("wall", s.Times.WallSeconds);
        json.WriteNumber("guest", s.Times.GuestSeconds);
        json.WriteNumber("translation", s.Times.TranslationSeconds);
        json.WriteNumber("setup", s.Times.SetupSeconds);
        json.WriteEndObject();
        SortedDictionary<string, long> interventions = backend.Interventions;
        json.WriteNumber("interventionsTotal", interventions.Values.Sum());
        WriteCounts(json, "interventions", interventions);
        if (backend.Phases is { } phased)
        {
            json.WriteStartArray("phases");
            foreach (OutputPhase phase in phased.Phases)
            {
                json.WriteStartObject();
                json.WriteString("line", phase.Line);
                json.WriteString("name", phase.Name);
                json.WriteNumber("guestInstructions", phase.GuestInstructions);
                json.WriteNumber("modeledCycles", phase.ModeledCycles);
                WriteCounts(json, "interventions", phase.Interventions);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("output");
            json.WriteNumber("guestInstructions", phased.OutputInstructions);
            json.WriteNumber("modeledCycles", phased.OutputModeledCycles);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("phases");
        }

        if (backend.PhasesProblem is { } problem)
        {
            json.WriteString("phasesProblem", problem);
        }

        json.WriteEndObject();
    }

    private static void WriteCounts(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, long> counts)
    {
        json.WriteStartObject(name);
        foreach ((string kind, long count) in counts)
        {
            json.WriteNumber(kind, count);
        }

        json.WriteEndObject();
    }
}
