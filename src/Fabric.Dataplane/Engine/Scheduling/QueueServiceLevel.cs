namespace Fabric.Dataplane.Engine.Scheduling;

/// <summary>The priority class of a queue: latency-class queues are visited first in every round, within their share.</summary>
public enum QueueClass
{
    Bulk = 0,
    Latency = 1,
}

/// <summary>
/// How the AC serves one queue when its worker is contended (the AC's own copy of the control plane's service level).
/// Rates of 0 mean "none committed" / "no cap".
/// </summary>
/// <param name="Weight">Share of the worker's service time when contended, relative to the other queues on it (1..1000).</param>
/// <param name="CommittedOpsPerSecond">Served ahead of the weighted share while the queue is under it.</param>
/// <param name="PeakOpsPerSecond">Never exceeded: the queue waits (throttled) once its tokens are spent.</param>
/// <param name="CommittedBytesPerSecond">As <paramref name="CommittedOpsPerSecond"/>, in input bytes.</param>
/// <param name="PeakBytesPerSecond">As <paramref name="PeakOpsPerSecond"/>, in input bytes.</param>
/// <param name="Class">Latency-class queues are visited first.</param>
public sealed record QueueServiceLevel(
    int Weight,
    long CommittedOpsPerSecond,
    long PeakOpsPerSecond,
    long CommittedBytesPerSecond,
    long PeakBytesPerSecond,
    QueueClass Class)
{
    public const int MaxWeight = 1000;

    /// <summary>Weight 1, nothing committed, no cap, bulk: what every queue gets until told otherwise.</summary>
    public static QueueServiceLevel BestEffort { get; } = new(1, 0, 0, 0, 0, QueueClass.Bulk);

    /// <summary>True when this level asks nothing of the scheduler (a worker whose queues are all best effort runs plain round-robin).</summary>
    public bool IsBestEffort => this == BestEffort;

    public bool HasCommitted => CommittedOpsPerSecond > 0 || CommittedBytesPerSecond > 0;

    /// <summary>Why this level cannot be applied, or null when it can.</summary>
    public string? Problem()
    {
        if (Weight is < 1 or > MaxWeight)
        {
            return $"weight must be 1..{MaxWeight}, was {Weight}";
        }
        if (CommittedOpsPerSecond < 0 || PeakOpsPerSecond < 0 || CommittedBytesPerSecond < 0 || PeakBytesPerSecond < 0)
        {
            return "rates must not be negative (0 means none / no cap)";
        }
        if (PeakOpsPerSecond > 0 && CommittedOpsPerSecond > PeakOpsPerSecond)
        {
            return $"committed ops/s {CommittedOpsPerSecond} exceeds the peak {PeakOpsPerSecond}";
        }
        if (PeakBytesPerSecond > 0 && CommittedBytesPerSecond > PeakBytesPerSecond)
        {
            return $"committed bytes/s {CommittedBytesPerSecond} exceeds the peak {PeakBytesPerSecond}";
        }
        if (!Enum.IsDefined(Class))
        {
            return $"unknown class {(int)Class}";
        }
        return null;
    }
}
