namespace Fabric.Dataplane.Engine.Scheduling;

/// <summary>
/// The scheduler's state for one queue: its level, token buckets, deficit and the window it publishes. Owned by one
/// worker thread (or a test's deterministic loop); built when the queue arrives or its level changes, never per op.
/// </summary>
internal sealed class ServiceLane(ServiceCounters published)
{
    public ServiceCounters Published { get; } = published;

    public QueueServiceLevel Level = QueueServiceLevel.BestEffort;
    public TokenBucket PeakOps;
    public TokenBucket PeakBytes;
    public TokenBucket CommittedOps;
    public TokenBucket CommittedBytes;

    /// <summary>Service ticks earned per round (weight x quantum).</summary>
    public long Quantum;

    /// <summary>Service ticks still owed to (positive) or by (negative) the queue in the weighted round-robin.</summary>
    public long Deficit;

    /// <summary>Recent cost of one op, in ticks and input bytes: how many ops a deficit or a bucket pays for.</summary>
    public double AvgOpTicks;
    public double AvgOpBytes;

    /// <summary>Input bytes the current visit may take (the last op may run over): peak and committed bytes tokens.</summary>
    public long ByteBudget = long.MaxValue;

    /// <summary>The current visit is paid from the committed buckets instead of the deficit.</summary>
    public bool CommittedVisit;

    /// <summary>The current visit may take ops (false: it only answers what the device finished, and is not charged).</summary>
    public bool Granted;

    /// <summary>Backlogged, but skipped this round to pay its debt.</summary>
    public bool Indebted;

    /// <summary>When the queue started waiting for peak tokens (-1: not throttled).</summary>
    public long ThrottledSince = -1;
    public long ThrottledTicks;

    public long WindowOps;
    public long WindowBytes;
    public long WindowTicks;
}
