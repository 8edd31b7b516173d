using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Fabric.Bench.Report;
using HdrHistogram;
using Xunit;

namespace Fabric.IntegrationTests;

/// <summary><c>fabric-bench --report DIR</c>: latency distributions as self-contained SVG, beside the JSON.</summary>
public sealed class BenchReportTests : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fabric-bench-report-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_report_is_valid_self_contained_SVG_with_one_line_and_one_row_a_series()
    {
        var fast = new LongHistogram(10_000_000_000L, 3);
        var slow = new LongHistogram(10_000_000_000L, 3);
        for (var i = 1; i <= 10_000; i++)
        {
            fast.RecordValue(1_000 + i % 100);
            slow.RecordValue(20_000 + i * 3);
        }

        var text = SvgReport.Render("a <comparison> & more", "µs",
            [LatencyDistribution.From("Fabric channel", fast, 1e-3), LatencyDistribution.From("sidecar \"uds\"", slow, 1e-3)]);
        var svg = XDocument.Parse(text).Root!;

        Assert.Equal(Svg + "svg", svg.Name);
        Assert.Equal("a <comparison> & more", svg.Element(Svg + "title")!.Value);
        Assert.Equal(2, svg.Elements(Svg + "polyline").Count());
        // Nothing to fetch: no links, scripts, images or styles from elsewhere.
        Assert.DoesNotContain(svg.DescendantsAndSelf(), e => e.Name.LocalName is "script" or "image" or "a" or "foreignObject" or "style");
        Assert.DoesNotContain(svg.DescendantsAndSelf().Attributes(), a => a.Name.LocalName == "href" || a.Value.Contains("url(", StringComparison.Ordinal));
        // The table: the series' names and their p50 (1.05 µs for the fast one).
        var texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToArray();
        Assert.Contains("sidecar \"uds\"", texts);
        Assert.Contains(texts, t => t.StartsWith("1.0", StringComparison.Ordinal) && t.EndsWith(" µs", StringComparison.Ordinal));
        // Every point lies inside the plot.
        foreach (var line in svg.Elements(Svg + "polyline"))
        {
            var points = line.Attribute("points")!.Value.Split(' ').Select(p => p.Split(',').Select(double.Parse).ToArray()).ToArray();
            Assert.Equal(LatencyDistribution.StandardPercentiles.Count, points.Length);
            Assert.All(points, p => Assert.InRange(p[1], 0, 1000));
        }
    }

    [Fact]
    public async Task Fabric_bench_control_with_report_writes_its_SVG_beside_its_JSON()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "fabric-bench.dll"), "control", "--attachments", "200", "--clients", "4", "--warmup", "50", "--json", "--report", _folder })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(limit.Token);
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{await stdout}\n{await stderr}");

            var printed = JsonNode.Parse(await stdout)!;
            var written = JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, "control.json")))!;
            Assert.Equal(printed["bind_p99_ms"]!.GetValue<double>(), written["bind_p99_ms"]!.GetValue<double>());
            Assert.Equal(LatencyDistribution.StandardPercentiles.Count, written["bind_distribution_ms"]!.AsArray().Count);

            var svg = XDocument.Load(Path.Combine(_folder, "control.svg")).Root!;
            Assert.Equal(Svg + "svg", svg.Name);
            Assert.Equal(3, svg.Elements(Svg + "polyline").Count());
            Assert.Contains(svg.Descendants(Svg + "text"), t => t.Value.StartsWith("Fabric bind", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
