namespace Fabric.Dataplane.Engine.Scheduling;

/// <summary>
/// A reading of one queue's service level and what the scheduler did with it. <paramref name="Scheduled"/> false: the
/// worker runs plain round-robin (every queue on it is best effort), rate and share are not measured (0 and NaN).
/// Tokens are NaN when the queue has no peak of that kind.
/// </summary>
public sealed record QueueServiceStats(
    QueueServiceLevel Level,
    bool Scheduled,
    long ThrottledNanos,
    double OpsTokens,
    double BytesTokens,
    double OpsPerSecond,
    double BytesPerSecond,
    double Share)
{
    public static QueueServiceStats Of(ServiceCounters c) =>
        new(c.Level, c.Scheduled, c.ThrottledNanos, c.OpsTokens, c.BytesTokens, c.OpsPerSecond, c.BytesPerSecond, c.Share);
}
