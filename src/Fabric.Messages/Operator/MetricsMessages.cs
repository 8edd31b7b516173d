namespace Fabric.Messages.Operator;

// The metrics every node exports on /metrics, readable through the operator gateway (fabric-cmd metrics). A node
// answers from its own meters, so fabric-cmd shows the numbers a Prometheus scrape of that node would show.

/// <summary>To the operator gateway: every member's metrics, or only those of the member whose node name or address is <paramref name="Node"/>.</summary>
public sealed record GetMetrics(string? Node) : IFabricMessage;

/// <summary>To <c>/user/fabric-metrics</c> of one member: its metrics now.</summary>
public sealed record GetNodeMetrics : IFabricMessage
{
    public static GetNodeMetrics Instance { get; } = new();
}

public enum MetricKind
{
    /// <summary>A monotonic total since the node started.</summary>
    Counter,

    /// <summary>A value now.</summary>
    Gauge,

    /// <summary>A distribution: count, sum and cumulative-free bucket counts over <see cref="MetricHistogram.Bounds"/>.</summary>
    Histogram,
}

public sealed record MetricTag(string Key, string Value) : IFabricMessage;

/// <param name="Bounds">Upper bounds of the buckets; <paramref name="BucketCounts"/> has one more entry (above the last bound).</param>
public sealed record MetricHistogram(long Count, double Sum, IReadOnlyList<double> Bounds, IReadOnlyList<long> BucketCounts) : IFabricMessage;

/// <summary>One time series: an instrument of <paramref name="Meter"/> with one set of tags. A histogram's value is its count.</summary>
public sealed record MetricSample(
    string Meter,
    string Name,
    string Unit,
    MetricKind Kind,
    IReadOnlyList<MetricTag> Tags,
    double Value,
    MetricHistogram? Histogram) : IFabricMessage;

/// <summary>What one member measured at <paramref name="At"/>.</summary>
public sealed record NodeMetrics(string Node, string Address, IReadOnlyList<string> Roles, DateTimeOffset At, IReadOnlyList<MetricSample> Samples) : IFabricMessage;

/// <summary>The members' metrics as gathered by <paramref name="Gateway"/>; <paramref name="Missing"/> says which members did not answer and why.</summary>
public sealed record MetricsReport(string Gateway, IReadOnlyList<NodeMetrics> Nodes, IReadOnlyList<string> Missing) : IFabricMessage;
