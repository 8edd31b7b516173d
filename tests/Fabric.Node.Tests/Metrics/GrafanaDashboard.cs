using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fabric.Node.Tests.Metrics;

/// <summary>The Grafana dashboard Fabric ships (deploy/grafana/fabric.json): the Prometheus metrics its panels query.</summary>
public sealed partial class GrafanaDashboard
{
    private GrafanaDashboard(IReadOnlyList<string> metrics) => Metrics = metrics;

    /// <summary>Every metric name a panel's query reads, as the scrape spells it (histograms by their series, e.g. _bucket).</summary>
    public IReadOnlyList<string> Metrics { get; }

    public static GrafanaDashboard Load()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "deploy", "grafana", "fabric.json")));
        var queries = json.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString() ?? "");
        return new GrafanaDashboard(queries.SelectMany(q => MetricName().Matches(q).Select(m => m.Value)).Distinct().Order().ToArray());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fabric.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Fabric.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"\bfabric_[a-z0-9_]+")]
    private static partial Regex MetricName();
}
