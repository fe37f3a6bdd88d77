using System.Globalization;
using System.Text;
using static Translator.Cli.Report.SvgCharts;

namespace Translator.Cli.Report;

/// <summary>
/// <c>translator compare --html</c>: one self-contained page (inline CSS and SVG, no script, nothing fetched) with
/// the comparison's figures: modeled cycles per phase and technique, interventions by kind per backend, wall time and
/// MIPS, and which backends printed what bare metal printed.
/// </summary>
internal static class HtmlReport
{
    private const string Style = """
        body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; padding: 0 16px; }
        h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
        table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 3px 10px; border-bottom: 1px solid #eee; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; } th { text-align: left; background: #f6f6f6; }
        .ok { color: #009E73; font-weight: bold; } .bad { color: #D55E00; font-weight: bold; }
        svg.chart { display: block; margin: 8px 0; overflow: visible; }
        .grid { stroke: #e4e4e4; } .axisline { stroke: #444; } .tick, .label, .value, .axis { font: 11px system-ui, sans-serif; fill: #222; }
        .small { display: inline-block; vertical-align: top; margin-right: 24px; } .note { color: #555; max-width: 900px; }
        """;

    public static string Write(ComparisonReport report)
    {
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append(CultureInfo.InvariantCulture, $"<title>translator compare {Escape(report.Source)}</title>")
            .Append("<style>").Append(Style).Append("</style></head><body>\n")
            .Append(CultureInfo.InvariantCulture, $"<h1>translator compare {Escape(report.Source)}</h1>\n")
            .Append(CultureInfo.InvariantCulture,
                $"<p>{report.Backends.Count} runs of one guest, {report.ReferenceConsoleBytes:N0} console bytes on bare metal; ")
            .Append(report.AllIdentical
                ? "<span class=\"ok\">every backend printed the same bytes and exited alike</span>.</p>\n"
                : "<span class=\"bad\">not every backend printed the same bytes and exited alike</span>.</p>\n");
        Outcomes(page, report);
        Phases(page, report);
        Interventions(page, report);
        Times(page, report);
        page.Append("<p class=\"note\">Written by <code>translator compare --html</code>; the same numbers, unrounded, are in <code>--json</code> "
            + "(docs/report.md). Modeled cycles are the cost model's (docs/cost-model.md), not host time.</p>\n</body></html>\n");
        return page.ToString();
    }

    private static void Outcomes(StringBuilder page, ComparisonReport report)
    {
        page.Append("<h2>Identical output</h2>\n<table id=\"outcomes\"><tr><th>backend</th><th></th><th>output</th><th>exit</th>"
            + "<th>console bytes</th><th>guest instr.</th><th>modeled cycles</th><th>interventions</th></tr>\n");
        foreach (BackendReport backend in report.Backends)
        {
            string mark = backend.Identical ? "<span class=\"ok\">&#10003;</span>" : "<span class=\"bad\">&#10007;</span>";
            page.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{Escape(backend.Name)}</td><td>{mark}</td><td>{Escape(backend.Outcome)}</td><td class=\"n\">{backend.Run.ExitCode}</td>"
                + $"<td class=\"n\">{backend.Run.Console.Length:N0}</td><td class=\"n\">{backend.Statistics.GuestInstructions:N0}</td>"
                + $"<td class=\"n\">{backend.Statistics.ModeledCycles:N0}</td><td class=\"n\">{backend.Interventions.Values.Sum():N0}</td></tr>\n");
        }

        page.Append("</table>\n");
        foreach (string line in report.NotRun)
        {
            page.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">{Escape(line)}</p>\n");
        }
    }

    private static void Phases(StringBuilder page, ComparisonReport report)
    {
        List<BackendReport> phased = report.Backends.Where(b => b.Phases is not null).ToList();
        page.Append("<h2>Modeled cycles before each output line</h2>\n");
        foreach (BackendReport backend in report.Backends.Where(b => b.PhasesProblem is not null))
        {
            page.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">{Escape(backend.Name)}: {Escape(backend.PhasesProblem!)}</p>\n");
        }

        IReadOnlyList<OutputPhase> lines = report.PhaseLines;
        if (phased.Count == 0 || lines.Count == 0)
        {
            page.Append("<p class=\"note\">No phases: the guest printed no line.</p>\n");
            return;
        }

        page.Append("<p class=\"note\">Each group is the work the guest did between two lines of its output: from the end of the "
            + "previous line (or the start) to the first byte of the line named. Printing is in none of them (its cost is the "
            + "table's <em>printing and after</em> row). In Microbench each line gives a benchmark's count, so a group is that "
            + "benchmark's loop alone; the first group is the kernel's set-up, before its header line. Logarithmic axis.</p>\n");
        string[] names = lines.Select(p => p.Name).ToArray();
        string[] series = phased.Select(b => b.Name).ToArray();
        page.Append(GroupedLogBars("Modeled cycles per phase and backend", "modeled cycles", names, series, (c, s) =>
        {
            ulong cycles = phased[s].Phases!.Phases[c].ModeledCycles;
            return new Bar(names[c], cycles, cycles.ToString("N0", CultureInfo.InvariantCulture));
        }));
        page.Append("\n<table id=\"phases\"><tr><th>phase (the line after it)</th>");
        foreach (string name in series)
        {
            page.Append(CultureInfo.InvariantCulture, $"<th>{Escape(name)}</th>");
        }

        page.Append("</tr>\n");
        for (int c = 0; c < lines.Count; c++)
        {
            page.Append(CultureInfo.InvariantCulture, $"<tr><td title=\"{Escape(lines[c].Line)}\">{Escape(lines[c].Name)}</td>");
            foreach (BackendReport backend in phased)
            {
                page.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{backend.Phases!.Phases[c].ModeledCycles:N0}</td>");
            }

            page.Append("</tr>\n");
        }

        page.Append("<tr><td>printing and after</td>");
        foreach (BackendReport backend in phased)
        {
            page.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{backend.Phases!.OutputModeledCycles:N0}</td>");
        }

        page.Append("</tr>\n<tr><th>whole run</th>");
        foreach (BackendReport backend in phased)
        {
            page.Append(CultureInfo.InvariantCulture, $"<th class=\"n\">{backend.Phases!.ModeledCycles:N0}</th>");
        }

        page.Append("</tr>\n</table>\n");
    }

    private static void Interventions(StringBuilder page, ComparisonReport report)
    {
        page.Append("<h2>VMM interventions by kind</h2>\n<p class=\"note\">Every VM exit, callout, trapped instruction, hypercall, "
            + "bounce and upcall of the whole run, by kind.</p>\n");
        for (int i = 0; i < report.Backends.Count; i++)
        {
            BackendReport backend = report.Backends[i];
            SortedDictionary<string, long> kinds = backend.Interventions;
            page.Append(CultureInfo.InvariantCulture, $"<div class=\"small\"><h3>{Escape(backend.Name)}: {kinds.Values.Sum():N0}</h3>");
            if (kinds.Count == 0)
            {
                page.Append("<p class=\"note\">none: the guest ran without a VMM.</p></div>\n");
                continue;
            }

            Bar[] bars = kinds.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal)
                .Select(k => new Bar(k.Key, k.Value, k.Value.ToString("N0", CultureInfo.InvariantCulture))).ToArray();
            page.Append(HorizontalBars($"{backend.Name}: interventions by kind", bars, Palette[i % Palette.Length])).Append("</div>\n");
        }
    }

    private static void Times(StringBuilder page, ComparisonReport report)
    {
        string[] rows = report.Backends.Select(b => b.Name).ToArray();
        string[] parts = ["running the guest", "obtaining translated code", "setting up"];
        page.Append("<h2>Wall time</h2>\n<p class=\"note\">Host seconds from creating the machine to the guest's end, in parts that add up "
            + "to the whole; the translated backends may have found their code in the translation cache.</p>\n");
        page.Append(StackedBars("Wall time by part", rows, parts, (r, p) =>
        {
            Translator.Vmm.RunTimes times = report.Backends[r].Statistics.Times;
            double seconds = p switch { 0 => times.GuestSeconds, 1 => times.TranslationSeconds, _ => times.SetupSeconds };
            return new Bar(parts[p], seconds, Seconds(seconds));
        }, r => Seconds(report.Backends[r].Statistics.WallSeconds)));
        page.Append("<h2>Speed</h2>\n<p class=\"note\">Guest instructions per second of running the guest, in millions (MIPS).</p>\n");
        page.Append(HorizontalBars("MIPS", report.Backends.Select(b =>
            new Bar(b.Name, b.Statistics.GuestMips, b.Statistics.GuestMips.ToString("F2", CultureInfo.InvariantCulture) + " MIPS")).ToArray(), "#0072B2"));
    }

    private static string Seconds(double seconds) => seconds.ToString("F3", CultureInfo.InvariantCulture) + " s";
}
