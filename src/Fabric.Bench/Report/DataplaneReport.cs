using System.Text.Json.Nodes;

namespace Fabric.Bench.Report;

/// <summary><c>fabric-bench dataplane --report DIR</c>: one SVG a case (direct, channel, Unix-socket sidecar), the run's JSON beside them.</summary>
public static class DataplaneReport
{
    private static readonly (string Key, string Label)[] Sides = [("direct", "direct (in-process)"), ("channel", "Fabric channel to the AC"), ("uds_sidecar", "Unix-socket sidecar")];

    public static IReadOnlyList<string> Write(string directory, JsonObject result)
    {
        var written = new List<string>();
        foreach (var item in result["cases"]?.AsArray() ?? [])
        {
            var name = item!["name"]!.GetValue<string>();
            var series = Sides
                .Select(side => LatencyDistribution.FromJson(side.Label, item[side.Key]?["distribution_ns"]))
                .OfType<LatencyDistribution>()
                .Select(d => d with { Values = d.Values.Select(ns => ns / 1000).ToArray() })
                .ToArray();
            written.Add(SvgReport.Write(directory, "dataplane-" + FileName(name), $"fabric-bench dataplane: {name}, round-trip latency", "µs", series));
        }

        File.WriteAllText(Path.Combine(directory, "dataplane.json"), result.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return written;
    }

    private static string FileName(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_').ToArray());
}
