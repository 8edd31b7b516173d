namespace Fabric.Dataplane.Engine;

/// <summary>Per-queue settings.</summary>
public sealed record QueueOptions
{
    /// <summary>An op (or pipeline stage) past this completes DeadlineExceeded.</summary>
    public TimeSpan OpDeadline { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest key OpenSession accepts.</summary>
    public int MaxKeyBytes { get; init; } = 1024;

    public static QueueOptions Default { get; } = new();
}
