using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Translator.Cli.Tests;

/// <summary><c>translator compare --json --html</c>: the report's numbers are the run's, whole, and each Microbench phase holds its benchmark.</summary>
public sealed partial class CompareReportTests(CompareReportTests.MicrobenchReport microbench) : IClassFixture<CompareReportTests.MicrobenchReport>
{
    /// <summary>One <c>translator compare Microbench --json --html</c> run (about 10 s), shared by the class's tests.</summary>
    public sealed class MicrobenchReport
    {
        public MicrobenchReport()
        {
            string folder = Directory.CreateTempSubdirectory("compare-report").FullName;
            Json = Path.Combine(folder, "r.json");
            Html = Path.Combine(folder, "r.html");
            Result = TranslatorProcess.Run("compare", "Microbench", "--json", Json, "--html", Html);
        }

        internal TranslatorProcess.Result Result { get; }

        public string Json { get; }

        public string Html { get; }
    }

    [Fact]
    public void ReportCarriesTheRunsNumbersAndSplitsMicrobenchByBenchmark()
    {
        (TranslatorProcess.Result result, string json, string html) = (microbench.Result, microbench.Json, microbench.Html);

        Assert.True(result.ExitCode == 0, result.Stderr);
        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement root = report.RootElement;
        Assert.Equal("translator-compare-report/1", root.GetProperty("schema").GetString());
        Assert.True(root.GetProperty("allIdentical").GetBoolean());
        string[] rows = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string page = File.ReadAllText(html);
        HashSet<string> drawn = DataValue().Matches(page).Select(m => m.Groups[1].Value).ToHashSet();
        var byName = new Dictionary<string, JsonElement>();
        foreach (JsonElement backend in root.GetProperty("backends").EnumerateArray())
        {
            string name = backend.GetProperty("name").GetString()!;
            byName[name] = backend;
            ulong instructions = backend.GetProperty("guestInstructions").GetUInt64();
            ulong cycles = backend.GetProperty("modeledCycles").GetUInt64();
            // The table's row of the same run gives the same counts.
            string row = Assert.Single(rows, r => r.StartsWith(name + "  ", StringComparison.Ordinal));
            Assert.Contains(instructions.ToString("N0", CultureInfo.InvariantCulture), row, StringComparison.Ordinal);
            Assert.Contains(cycles.ToString("N0", CultureInfo.InvariantCulture), row, StringComparison.Ordinal);
            // Phases and output are the whole run.
            JsonElement phases = backend.GetProperty("phases");
            JsonElement output = backend.GetProperty("output");
            Assert.Equal(cycles, phases.EnumerateArray().Aggregate(output.GetProperty("modeledCycles").GetUInt64(), (s, p) => s + p.GetProperty("modeledCycles").GetUInt64()));
            Assert.Equal(instructions, phases.EnumerateArray().Aggregate(output.GetProperty("guestInstructions").GetUInt64(), (s, p) => s + p.GetProperty("guestInstructions").GetUInt64()));
            Assert.Equal(["Microbench", "call/ret", "port in", "cr3 write", "pte update", "page fault", "divide error", "syscall"],
                phases.EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToArray());
            // Every phase's cycles and every intervention count is drawn on the page.
            foreach (JsonElement phase in phases.EnumerateArray())
            {
                Assert.Contains(phase.GetProperty("modeledCycles").GetUInt64().ToString(CultureInfo.InvariantCulture), drawn);
            }

            foreach (JsonProperty kind in backend.GetProperty("interventions").EnumerateObject())
            {
                Assert.Contains(kind.Value.GetInt64().ToString(CultureInfo.InvariantCulture), drawn);
            }
        }

        // Each benchmark's phase holds that benchmark's 1,000 operations (and no printing: no console out).
        Assert.Equal(1000, Phase(byName["bt"], "port in").GetProperty("callout.in").GetInt64());
        Assert.Equal(2000, Phase(byName["bt"], "cr3 write").GetProperty("callout.mov_cr").GetInt64()); // read and write
        Assert.Equal(1000, Phase(byName["bt"], "pte update").GetProperty("callout.invlpg").GetInt64());
        Assert.Equal(2000, Phase(byName["hw (shadow)"], "cr3 write").GetProperty("exit.CR_ACCESS").GetInt64());
        Assert.Equal(1000, Phase(byName["pv"], "pte update").GetProperty("hypercall.update_va_mapping").GetInt64());
        Assert.Equal(1000, Phase(byName["pv"], "divide error").GetProperty("pv.bounces").GetInt64());
        Assert.Empty(Phase(byName["native"], "page fault").EnumerateObject());
        // Under hw and trap the status read before each line exits or traps; that read is printing, in no phase.
        Assert.Equal(1000, Phase(byName["hw (shadow)"], "port in").GetProperty("exit.IO_INSTRUCTION").GetInt64());
        Assert.Equal(1000, Phase(byName["hw (EPT)"], "port in").GetProperty("exit.IO_INSTRUCTION").GetInt64());
        Assert.Equal(1000, Phase(byName["trap"], "port in").GetProperty("trap.in").GetInt64());
        Assert.Equal(2000, Phase(byName["trap"], "cr3 write").GetProperty("trap.mov_cr").GetInt64());
        Assert.Empty(Phase(byName["hw (EPT)"], "call/ret").EnumerateObject());
        Assert.Empty(Phase(byName["trap"], "call/ret").EnumerateObject());
        // So native, hw, bt and trap cut the same guest at the same instructions.
        foreach (string name in new[] { "hw (EPT)", "hw (shadow)", "bt", "trap" })
        {
            Assert.Equal(Instructions(byName["native"]), Instructions(byName[name]));
        }
        Assert.DoesNotContain("http", page.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private static JsonElement Phase(JsonElement backend, string name) =>
        backend.GetProperty("phases").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name).GetProperty("interventions");

    private static ulong[] Instructions(JsonElement backend) =>
        backend.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("guestInstructions").GetUInt64()).ToArray();

    [GeneratedRegex("data-value=\"([0-9.E+-]+)\"")]
    private static partial Regex DataValue();
}
