using System.Text.Json.Nodes;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// Throughput and round-trip latency of one side of a comparison. Throughput is counted in
/// <see cref="Windows"/> consecutive windows: OpsPerSec is the best window (robust against another
/// process borrowing a core for a moment on a 2-core machine), MeanOpsPerSec the whole run.
/// </summary>
/// <remarks><see cref="DistributionNanos"/>: latency at <see cref="Report.LatencyDistribution.StandardPercentiles"/>, for <c>--report</c>.</remarks>
internal sealed record Figures(double OpsPerSec, double MeanOpsPerSec, long P50Nanos, long P99Nanos, long Ops, int Depth, IReadOnlyList<double>? DistributionNanos = null)
{
    public const int Windows = 5;

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["ops_per_sec"] = Math.Round(OpsPerSec),
            ["ops_per_sec_mean"] = Math.Round(MeanOpsPerSec),
            ["p50_ns"] = P50Nanos,
            ["p99_ns"] = P99Nanos,
            ["ops"] = Ops,
            ["depth"] = Depth,
        };
        if (DistributionNanos is not null)
        {
            json["distribution_ns"] = new JsonArray(DistributionNanos.Select(v => (JsonNode)JsonValue.Create(Math.Round(v, 1))).ToArray());
        }

        return json;
    }

    public static Figures FromJson(JsonNode node) => new(
        node["ops_per_sec"]!.GetValue<double>(),
        node["ops_per_sec_mean"]!.GetValue<double>(),
        node["p50_ns"]!.GetValue<long>(),
        node["p99_ns"]!.GetValue<long>(),
        node["ops"]!.GetValue<long>(),
        node["depth"]!.GetValue<int>(),
        node["distribution_ns"] is JsonArray distribution ? distribution.Select(v => v!.GetValue<double>()).ToArray() : null);
}
