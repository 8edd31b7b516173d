using System.Text.Json.Nodes;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// Throughput and round-trip latency of one side of a comparison. Throughput is counted in
/// <see cref="Windows"/> consecutive windows: OpsPerSec is the best window (robust against another
/// process borrowing a core for a moment on a 2-core machine), MeanOpsPerSec the whole run.
/// </summary>
internal sealed record Figures(double OpsPerSec, double MeanOpsPerSec, long P50Nanos, long P99Nanos, long Ops, int Depth)
{
    public const int Windows = 5;

    public JsonObject ToJson() => new()
    {
        ["ops_per_sec"] = Math.Round(OpsPerSec),
        ["ops_per_sec_mean"] = Math.Round(MeanOpsPerSec),
        ["p50_ns"] = P50Nanos,
        ["p99_ns"] = P99Nanos,
        ["ops"] = Ops,
        ["depth"] = Depth,
    };

    public static Figures FromJson(JsonNode node) => new(
        node["ops_per_sec"]!.GetValue<double>(),
        node["ops_per_sec_mean"]!.GetValue<double>(),
        node["p50_ns"]!.GetValue<long>(),
        node["p99_ns"]!.GetValue<long>(),
        node["ops"]!.GetValue<long>(),
        node["depth"]!.GetValue<int>());
}
