using Fabric.Dataplane.Engine.Scheduling;
using Fabric.Messages.Attachments;
using Fabric.Messages.Node;

namespace Fabric.Node.Scheduling;

/// <summary>Between the control plane's service level (Fabric.Messages) and the AC's own (the dataplane references no messages).</summary>
public static class ServiceLevelMapping
{
    public static QueueServiceLevel ToEngine(ServiceLevel level) => new(
        level.Weight,
        level.CommittedOpsPerSecond,
        level.PeakOpsPerSecond,
        level.CommittedBytesPerSecond,
        level.PeakBytesPerSecond,
        level.Class == ServiceClass.Latency ? QueueClass.Latency : QueueClass.Bulk);

    public static ServiceLevel ToMessage(QueueServiceLevel level) => new(
        level.Weight,
        level.CommittedOpsPerSecond,
        level.PeakOpsPerSecond,
        level.CommittedBytesPerSecond,
        level.PeakBytesPerSecond,
        level.Class == QueueClass.Latency ? ServiceClass.Latency : ServiceClass.Bulk);

    /// <summary>The AC's reading as a message: NaN (not measured, no cap) becomes null, so it crosses JSON too.</summary>
    public static NodeQueueService? ToView(QueueServiceStats? stats) => stats is null ? null : new(
        ToMessage(stats.Level),
        stats.Scheduled,
        stats.ThrottledNanos,
        Finite(stats.OpsTokens),
        Finite(stats.BytesTokens),
        stats.Scheduled ? Finite(stats.OpsPerSecond) : null,
        stats.Scheduled ? Finite(stats.BytesPerSecond) : null,
        stats.Scheduled ? Finite(stats.Share) : null);

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
