using System.Text.Json.Nodes;

namespace Fabric.Bench.Dataplane;

/// <summary>Throughput and round-trip latency of one side of a comparison.</summary>
internal sealed record Figures(double OpsPerSec, long P50Nanos, long P99Nanos, long Ops, int Depth)
{
    public JsonObject ToJson() => new()
    {
        ["ops_per_sec"] = Math.Round(OpsPerSec),
        ["p50_ns"] = P50Nanos,
        ["p99_ns"] = P99Nanos,
        ["ops"] = Ops,
        ["depth"] = Depth,
    };

    public static Figures FromJson(JsonNode node) => new(
        node["ops_per_sec"]!.GetValue<double>(),
        node["p50_ns"]!.GetValue<long>(),
        node["p99_ns"]!.GetValue<long>(),
        node["ops"]!.GetValue<long>(),
        node["depth"]!.GetValue<int>());
}
