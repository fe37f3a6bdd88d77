using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Translator.Tests.Shared;
using Xunit;

namespace Translator.Cli.Tests;

/// <summary>
/// The HTML report as a reader sees it: opened in real headless chromium (a prerequisite, scripts/prerequisites.sh),
/// it logs nothing to the console and lays out every chart with its bars.
/// </summary>
public sealed partial class CompareReportTests
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>
    /// Appended to a copy of the page (the report itself has no script): measures each chart and bar as laid out and
    /// writes the result into the DOM, which <c>--dump-dom</c> then prints. It logs nothing, so any console line is the page's.
    /// </summary>
    private const string Measure = """
        <script>
        const box = e => { const b = e.getBoundingClientRect(); return { x: b.x, y: b.y, w: b.width, h: b.height }; };
        const charts = [...document.querySelectorAll('svg')].map(svg => ({
            label: svg.getAttribute('aria-label'), box: box(svg),
            bars: [...svg.querySelectorAll('rect[data-value]')].map(r => ({
                value: Number(r.getAttribute('data-value')), box: box(r), fill: getComputedStyle(r).fill })) }));
        const out = document.createElement('pre'); out.id = 'measured'; out.textContent = JSON.stringify(charts);
        document.body.append(out);
        </script>
        """;

    [Fact]
    public void ReportOpensInChromiumWithoutConsoleErrorsAndDrawsEveryChart()
    {
        Assert.True(File.Exists(Chromium), "chromium is a prerequisite (scripts/prerequisites.sh installs Debian's chromium)");
        Assert.True(microbench.Result.ExitCode == 0, microbench.Result.Stderr);
        string page = File.ReadAllText(microbench.Html);
        string folder = Directory.CreateTempSubdirectory("compare-report-browser").FullName;
        try
        {
            string measured = Path.Combine(folder, "measured.html");
            File.WriteAllText(measured, page.Replace("</body>", Measure + "</body>", StringComparison.Ordinal));
            ProcessResult browser = ProcessRunner.Run(Chromium,
                ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + Path.Combine(folder, "profile"),
                 "--enable-logging=stderr", "--v=0", "--dump-dom", new Uri(measured).AbsoluteUri],
                TimeSpan.FromSeconds(30));

            Assert.False(browser.TimedOut, "chromium did not finish within 30 s");
            Assert.True(browser.ExitCode == 0, browser.StandardError);
            // Chromium logs each console message (errors and uncaught exceptions included) as an INFO:CONSOLE line.
            Assert.DoesNotContain(browser.StandardError.Split('\n'), line => line.Contains(":CONSOLE", StringComparison.Ordinal));
            Match dump = MeasuredDump().Match(browser.StandardOutputText);
            Assert.True(dump.Success, "the measuring script did not run:\n" + browser.StandardOutputText);
            using JsonDocument charts = JsonDocument.Parse(WebUtility.HtmlDecode(dump.Groups[1].Value));

            Assert.Equal(Regex.Count(page, "<svg "), charts.RootElement.GetArrayLength());
            Assert.True(charts.RootElement.GetArrayLength() >= 6, "the report has its charts");
            Assert.Equal(DataValue().Count(page), charts.RootElement.EnumerateArray().Sum(c => c.GetProperty("bars").GetArrayLength()));
            foreach (JsonElement chart in charts.RootElement.EnumerateArray())
            {
                string label = chart.GetProperty("label").GetString()!;
                (double x, double y, double w, double h) = Box(chart);
                Assert.True(w > 0 && h > 0, $"chart '{label}' is laid out {w}x{h}");
                Assert.True(chart.GetProperty("bars").GetArrayLength() > 0, $"chart '{label}' has no bars");
                foreach (JsonElement bar in chart.GetProperty("bars").EnumerateArray())
                {
                    double value = bar.GetProperty("value").GetDouble();
                    (double bx, double by, double bw, double bh) = Box(bar);
                    // A bar of a nonzero value is visible and inside its chart; a zero one (a part that took no time) is flat.
                    Assert.True(value > 0 ? bw > 0 && bh > 0 : bw == 0 || bh == 0, $"chart '{label}': bar of {value} is {bw}x{bh}");
                    Assert.True(bx >= x - 1 && by >= y - 1 && bx + bw <= x + w + 1 && by + bh <= y + h + 1,
                        $"chart '{label}': bar of {value} at {bx},{by} {bw}x{bh} lies outside the chart at {x},{y} {w}x{h}");
                    Assert.NotEqual("none", bar.GetProperty("fill").GetString());
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (double X, double Y, double W, double H) Box(JsonElement element)
    {
        JsonElement box = element.GetProperty("box");
        return (box.GetProperty("x").GetDouble(), box.GetProperty("y").GetDouble(), box.GetProperty("w").GetDouble(), box.GetProperty("h").GetDouble());
    }

    [GeneratedRegex("<pre id=\"measured\">([^<]*)</pre>")]
    private static partial Regex MeasuredDump();
}
