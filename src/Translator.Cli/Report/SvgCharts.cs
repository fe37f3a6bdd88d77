using System.Globalization;
using System.Net;
using System.Text;

namespace Translator.Cli.Report;

/// <summary>One bar: its label, its exact value, and how that value is written on the page.</summary>
internal sealed record Bar(string Label, double Value, string Text);

/// <summary>
/// Charts as inline SVG, drawn here so the page needs nothing from the network. Every bar carries its exact value in
/// <c>data-value</c> and a <c>title</c> (the tooltip), so a reader, a test and a screen reader see the number drawn.
/// </summary>
internal static class SvgCharts
{
    /// <summary>One colour per backend column, in the table's order (colour-blind-safe, Okabe and Ito's palette).</summary>
    public static readonly string[] Palette = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#CC79A7", "#D55E00", "#999999"];

    private const int LabelWidth = 190;
    private const int RowHeight = 22;

    /// <summary>
    /// Groups of vertical bars on a logarithmic axis, as Adams &amp; Agesen draw their nanobenchmarks: one group per
    /// category, one bar per series. A zero value draws no bar (a logarithm has no place for it) but keeps its title.
    /// </summary>
    public static string GroupedLogBars(string title, string axis, IReadOnlyList<string> categories, IReadOnlyList<string> series,
        Func<int, int, Bar> value)
    {
        const int top = 30, bottom = 70, left = 80, groupGap = 18, barWidth = 12;
        int plotHeight = 300;
        int groupWidth = series.Count * barWidth + groupGap;
        int width = left + categories.Count * groupWidth + 20;
        int height = top + plotHeight + bottom;
        double[] values = Enumerable.Range(0, categories.Count)
            .SelectMany(c => Enumerable.Range(0, series.Count).Select(s => value(c, s).Value)).Where(v => v > 0).ToArray();
        int lowDecade = values.Length == 0 ? 0 : (int)Math.Floor(Math.Log10(values.Min()));
        int highDecade = values.Length == 0 ? 1 : Math.Max(lowDecade + 1, (int)Math.Ceiling(Math.Log10(values.Max())));
        double Y(double v) => top + plotHeight - (Math.Log10(v) - lowDecade) / (highDecade - lowDecade) * plotHeight;

        var svg = Open(title, width, height);
        for (int decade = lowDecade; decade <= highDecade; decade++)
        {
            double y = Y(Math.Pow(10, decade));
            svg.Append(Invariant($"<line x1=\"{left}\" x2=\"{width - 10}\" y1=\"{y:F1}\" y2=\"{y:F1}\" class=\"grid\"/>"));
            svg.Append(Invariant($"<text x=\"{left - 6}\" y=\"{y + 4:F1}\" class=\"tick\" text-anchor=\"end\">10<tspan dy=\"-6\" font-size=\"9\">{decade}</tspan></text>"));
        }

        svg.Append(Invariant($"<text x=\"14\" y=\"{top + plotHeight / 2}\" class=\"axis\" transform=\"rotate(-90 14 {top + plotHeight / 2})\" text-anchor=\"middle\">{Escape(axis)}</text>"));
        for (int c = 0; c < categories.Count; c++)
        {
            int x0 = left + c * groupWidth + groupGap / 2;
            for (int s = 0; s < series.Count; s++)
            {
                Bar bar = value(c, s);
                double y = bar.Value > 0 ? Y(bar.Value) : top + plotHeight;
                svg.Append(Invariant($"<rect x=\"{x0 + s * barWidth}\" y=\"{y:F1}\" width=\"{barWidth - 1}\" height=\"{top + plotHeight - y:F1}\" fill=\"{Palette[s % Palette.Length]}\" data-value=\"{bar.Value.ToString("R", CultureInfo.InvariantCulture)}\">"));
                svg.Append(Invariant($"<title>{Escape($"{categories[c]}, {series[s]}: {bar.Text}")}</title></rect>"));
            }

            double labelX = x0 + series.Count * barWidth / 2.0;
            svg.Append(Invariant($"<text x=\"{labelX:F1}\" y=\"{top + plotHeight + 16}\" class=\"label\" text-anchor=\"middle\">{Escape(categories[c])}</text>"));
        }

        svg.Append(Invariant($"<line x1=\"{left}\" x2=\"{width - 10}\" y1=\"{top + plotHeight}\" y2=\"{top + plotHeight}\" class=\"axisline\"/>"));
        for (int s = 0; s < series.Count; s++)
        {
            int x = left + s * 120;
            int y = top + plotHeight + 40;
            svg.Append(Invariant($"<rect x=\"{x}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{Palette[s % Palette.Length]}\"/>"));
            svg.Append(Invariant($"<text x=\"{x + 16}\" y=\"{y + 11}\" class=\"label\">{Escape(series[s])}</text>"));
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>Horizontal bars on a linear axis from zero, one per row, each with its value written beside it.</summary>
    public static string HorizontalBars(string title, IReadOnlyList<Bar> bars, string colour)
    {
        const int barArea = 420;
        int width = LabelWidth + barArea + 140;
        int height = bars.Count * RowHeight + 10;
        double max = bars.Count == 0 ? 1 : Math.Max(bars.Max(b => b.Value), double.Epsilon);
        var svg = Open(title, width, height);
        for (int i = 0; i < bars.Count; i++)
        {
            Bar bar = bars[i];
            int y = 5 + i * RowHeight;
            double length = Math.Max(bar.Value / max * barArea, bar.Value > 0 ? 1 : 0);
            svg.Append(Invariant($"<text x=\"{LabelWidth - 8}\" y=\"{y + 14}\" class=\"label\" text-anchor=\"end\">{Escape(bar.Label)}</text>"));
            svg.Append(Invariant($"<rect x=\"{LabelWidth}\" y=\"{y + 2}\" width=\"{length:F1}\" height=\"{RowHeight - 6}\" fill=\"{colour}\" data-value=\"{bar.Value.ToString("R", CultureInfo.InvariantCulture)}\"><title>{Escape($"{bar.Label}: {bar.Text}")}</title></rect>"));
            svg.Append(Invariant($"<text x=\"{LabelWidth + length + 6:F1}\" y=\"{y + 14}\" class=\"value\">{Escape(bar.Text)}</text>"));
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>Horizontal bars made of parts that add up to the row's whole (its total written after it).</summary>
    public static string StackedBars(string title, IReadOnlyList<string> rows, IReadOnlyList<string> parts,
        Func<int, int, Bar> value, Func<int, string> total)
    {
        const int barArea = 420;
        int width = LabelWidth + barArea + 140;
        int height = rows.Count * RowHeight + 34;
        double max = Math.Max(Enumerable.Range(0, rows.Count).Max(r => Enumerable.Range(0, parts.Count).Sum(p => value(r, p).Value)), double.Epsilon);
        string[] colours = ["#0072B2", "#E69F00", "#999999", "#CC79A7"];
        var svg = Open(title, width, height);
        for (int r = 0; r < rows.Count; r++)
        {
            int y = 5 + r * RowHeight;
            double x = LabelWidth;
            svg.Append(Invariant($"<text x=\"{LabelWidth - 8}\" y=\"{y + 14}\" class=\"label\" text-anchor=\"end\">{Escape(rows[r])}</text>"));
            for (int p = 0; p < parts.Count; p++)
            {
                Bar bar = value(r, p);
                // A part that took any time at all stays visible (a 1 px sliver), as the linear bars do.
                double length = Math.Max(bar.Value / max * barArea, bar.Value > 0 ? 1 : 0);
                svg.Append(Invariant($"<rect x=\"{x:F1}\" y=\"{y + 2}\" width=\"{length:F2}\" height=\"{RowHeight - 6}\" fill=\"{colours[p % colours.Length]}\" data-value=\"{bar.Value.ToString("R", CultureInfo.InvariantCulture)}\"><title>{Escape($"{rows[r]}, {parts[p]}: {bar.Text}")}</title></rect>"));
                x += length;
            }

            svg.Append(Invariant($"<text x=\"{x + 6:F1}\" y=\"{y + 14}\" class=\"value\">{Escape(total(r))}</text>"));
        }

        int legendY = 5 + rows.Count * RowHeight + 8;
        for (int p = 0; p < parts.Count; p++)
        {
            int x = LabelWidth + p * 130;
            svg.Append(Invariant($"<rect x=\"{x}\" y=\"{legendY}\" width=\"12\" height=\"12\" fill=\"{colours[p % colours.Length]}\"/>"));
            svg.Append(Invariant($"<text x=\"{x + 16}\" y=\"{legendY + 11}\" class=\"label\">{Escape(parts[p])}</text>"));
        }

        return svg.Append("</svg>").ToString();
    }

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static StringBuilder Open(string title, int width, int height) =>
        new StringBuilder().Append(Invariant(
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Escape(title)}\"><title>{Escape(title)}</title>"));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
