using System.Globalization;
using System.Security;
using System.Text;

namespace Fabric.Bench.Report;

/// <summary>
/// A benchmark's latency distributions as one self-contained SVG (no scripts, fonts or links to fetch): latency
/// against percentile, the x axis stretched towards the tail (log 1/(1-p)) as HdrHistogram's plots are, one line per
/// side of the comparison, with a table of p50/p99/p99.9/max under it.
/// </summary>
public static class SvgReport
{
    private const int Width = 900, PlotLeft = 80, PlotTop = 50, PlotWidth = 780, PlotHeight = 360, RowHeight = 18;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

    /// <summary>Writes <c>DIR/name.svg</c> and, when given, <c>DIR/name.json</c> beside it; returns the SVG's path.</summary>
    public static string Write(string directory, string name, string title, string unit, IReadOnlyList<LatencyDistribution> series, string? json = null)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name + ".svg");
        File.WriteAllText(path, Render(title, unit, series));
        if (json is not null)
        {
            File.WriteAllText(Path.Combine(directory, name + ".json"), json);
        }

        return path;
    }

    public static string Render(string title, string unit, IReadOnlyList<LatencyDistribution> series)
    {
        var height = PlotTop + PlotHeight + 60 + RowHeight * (series.Count + 1);
        // Latency spans decades (a p50 in µs, a max in ms under load): the y axis is logarithmic, a gridline a decade.
        var positive = series.SelectMany(s => s.Values).Where(v => v > 0).DefaultIfEmpty(1).ToArray();
        var low = Math.Floor(Math.Log10(positive.Min()));
        var high = Math.Max(low + 1, Math.Ceiling(Math.Log10(positive.Max())));
        double Y(double value) => PlotTop + PlotHeight * (1 - (Math.Log10(Math.Max(value, Math.Pow(10, low))) - low) / (high - low));
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<title>{Escape(title)}</title>\n<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text x=\"{PlotLeft}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{Escape(title)}</text>\n"));

        // Grid: latency at each decade, percentiles at the nines.
        for (var decade = low; decade <= high; decade++)
        {
            var y = Y(Math.Pow(10, decade));
            svg.Append(Invariant($"<line x1=\"{PlotLeft}\" y1=\"{y:0.#}\" x2=\"{PlotLeft + PlotWidth}\" y2=\"{y:0.#}\" stroke=\"#ddd\"/>"));
            svg.Append(Invariant($"<text x=\"{PlotLeft - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Math.Pow(10, decade):0.###}</text>\n"));
        }

        foreach (var p in new[] { 0, 90, 99, 99.9, 99.99, 99.999 })
        {
            var x = X(p);
            svg.Append(Invariant($"<line x1=\"{x:0.#}\" y1=\"{PlotTop}\" x2=\"{x:0.#}\" y2=\"{PlotTop + PlotHeight}\" stroke=\"#ddd\"/>"));
            svg.Append(Invariant($"<text x=\"{x:0.#}\" y=\"{PlotTop + PlotHeight + 16}\" text-anchor=\"middle\">{p:0.###}%</text>\n"));
        }

        svg.Append(Invariant($"<text x=\"{PlotLeft + PlotWidth / 2}\" y=\"{PlotTop + PlotHeight + 34}\" text-anchor=\"middle\">percentile</text>\n"));
        svg.Append(Invariant($"<text transform=\"translate(18 {PlotTop + PlotHeight / 2}) rotate(-90)\" text-anchor=\"middle\">latency ({Escape(unit)}, log scale)</text>\n"));
        for (var s = 0; s < series.Count; s++)
        {
            var points = series[s].Percentiles.Zip(series[s].Values)
                .Select(pv => Invariant($"{X(pv.Item1):0.##},{Y(pv.Item2):0.##}"));
            svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{Colors[s % Colors.Length]}\" stroke-width=\"2\" points=\"{string.Join(' ', points)}\"/>\n"));
        }

        // The table: one row a series, in its line's colour.
        var tableTop = PlotTop + PlotHeight + 60;
        string[] headers = ["", "p50", "p99", "p99.9", "max"];
        for (var c = 0; c < headers.Length; c++)
        {
            svg.Append(Invariant($"<text x=\"{PlotLeft + (c == 0 ? 0 : 260 + (c - 1) * 120)}\" y=\"{tableTop}\" font-weight=\"bold\">{headers[c]}</text>"));
        }

        svg.Append('\n');
        for (var s = 0; s < series.Count; s++)
        {
            var y = tableTop + RowHeight * (s + 1);
            svg.Append(Invariant($"<rect x=\"{PlotLeft - 16}\" y=\"{y - 10}\" width=\"10\" height=\"10\" fill=\"{Colors[s % Colors.Length]}\"/>"));
            svg.Append(Invariant($"<text x=\"{PlotLeft}\" y=\"{y}\">{Escape(series[s].Name)}</text>"));
            var values = new[] { At(series[s], 50), At(series[s], 99), At(series[s], 99.9), At(series[s], 100) };
            for (var c = 0; c < values.Length; c++)
            {
                svg.Append(Invariant($"<text x=\"{PlotLeft + 260 + c * 120}\" y=\"{y}\">{values[c]:0.###} {Escape(unit)}</text>"));
            }

            svg.Append('\n');
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>log10(1/(1-p)), 100% drawn at 99.999%'s right (where the max sits).</summary>
    private static double X(double percentile)
    {
        var tail = Math.Log10(1 / Math.Max(1e-6, 1 - percentile / 100));
        return PlotLeft + PlotWidth * tail / 6;
    }

    private static double At(LatencyDistribution d, double percentile)
    {
        for (var i = 0; i < d.Percentiles.Count; i++)
        {
            if (d.Percentiles[i] >= percentile)
            {
                return d.Values[i];
            }
        }

        return d.Values.Count == 0 ? 0 : d.Values[^1];
    }

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
