using System.Diagnostics;
using System.Diagnostics.Metrics;
using Fabric.Messages.Errors;

namespace Fabric.Control.Metrics;

/// <summary>
/// Binds as the attachment entities carry them out: started, succeeded, failed by reason, and how long each took
/// (from the command to the persisted outcome). <c>kind</c> is <c>bind</c>, <c>rebind</c> (a move to another device
/// or host, e.g. a failover) or <c>resumed</c> (finished after the entity restarted mid-bind; no duration).
/// </summary>
public sealed class BindMetrics
{
    public const string Bind = "bind";
    public const string Rebind = "rebind";
    public const string Resumed = "resumed";

    private readonly KeyValuePair<string, object?> _node;
    private readonly Counter<long> _started;
    private readonly Counter<long> _succeeded;
    private readonly Counter<long> _failed;
    private readonly Histogram<double> _duration;

    public BindMetrics(Meter meter, string node)
    {
        _node = new("node", node);
        _started = meter.CreateCounter<long>(FabricMeters.BindsStarted, "{bind}", "binds and rebinds an attachment entity started");
        _succeeded = meter.CreateCounter<long>(FabricMeters.BindsSucceeded, "{bind}", "binds that ended with a device reserved");
        _failed = meter.CreateCounter<long>(FabricMeters.BindsFailed, "{bind}", "binds that ended without a device, by reason");
        _duration = meter.CreateHistogram(FabricMeters.BindDuration, "ms", "time from the bind command to its persisted outcome",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FabricMeters.BindDurationBounds });
    }

    /// <summary>A bind begins now; the value goes back to <see cref="Succeeded"/> or <see cref="Failed"/>.</summary>
    public long Started(string kind)
    {
        _started.Add(1, _node, new("kind", kind));
        return Stopwatch.GetTimestamp();
    }

    /// <param name="startedAt">What <see cref="Started"/> returned, or 0 when the start was not seen (a resumed bind).</param>
    public void Succeeded(string kind, long startedAt)
    {
        _succeeded.Add(1, _node, new("kind", kind));
        Took(kind, "succeeded", startedAt);
    }

    public void Failed(string kind, RejectReason reason, long startedAt)
    {
        _failed.Add(1, _node, new("kind", kind), new("reason", reason.ToString()));
        Took(kind, "failed", startedAt);
    }

    private void Took(string kind, string result, long startedAt)
    {
        if (startedAt != 0)
        {
            _duration.Record(Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds, _node, new("kind", kind), new("result", result));
        }
    }
}
