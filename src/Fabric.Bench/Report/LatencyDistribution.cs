using System.Text.Json.Nodes;
using HdrHistogram;

namespace Fabric.Bench.Report;

/// <summary>
/// A latency distribution as the values at <see cref="Percentiles"/> (in the report's unit): small enough to travel in
/// a benchmark's JSON (from a guest process, say) and all a percentile plot needs.
/// </summary>
public sealed record LatencyDistribution(string Name, IReadOnlyList<double> Percentiles, IReadOnlyList<double> Values)
{
    /// <summary>Dense where tails live: the plot's x axis is log(1 / (1 - p)).</summary>
    public static readonly IReadOnlyList<double> StandardPercentiles =
        [0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.5, 99.75, 99.9, 99.95, 99.99, 99.995, 99.999, 100];

    /// <param name="unitsPerTick">e.g. 1e-3 for nanosecond ticks shown in µs.</param>
    public static LatencyDistribution From(string name, HistogramBase histogram, double unitsPerTick) =>
        new(name, StandardPercentiles, StandardPercentiles.Select(p => histogram.TotalCount == 0 ? 0 : (p >= 100 ? histogram.GetMaxValue() : histogram.GetValueAtPercentile(p)) * unitsPerTick).ToArray());

    /// <summary>The values alone (at <see cref="StandardPercentiles"/>), for a benchmark's JSON.</summary>
    public static JsonArray ValuesJson(HistogramBase histogram, double unitsPerTick) =>
        new(From("", histogram, unitsPerTick).Values.Select(v => (JsonNode)JsonValue.Create(Math.Round(v, 3))).ToArray());

    public static LatencyDistribution? FromJson(string name, JsonNode? values) =>
        values is JsonArray array && array.Count == StandardPercentiles.Count
            ? new LatencyDistribution(name, StandardPercentiles, array.Select(v => v!.GetValue<double>()).ToArray())
            : null;
}
