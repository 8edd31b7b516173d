namespace Fabric.Dataplane.Engine;

/// <summary>Per-queue settings.</summary>
public sealed record QueueOptions
{
    /// <summary>An op (or pipeline stage) past this completes DeadlineExceeded.</summary>
    public TimeSpan OpDeadline { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest key OpenSession accepts.</summary>
    public int MaxKeyBytes { get; init; } = 1024;

    /// <summary>
    /// Most ops of one queue taken from the ring and not yet answered (the reorder window): what an asynchronous
    /// device may hold in flight, plus finished ops waiting for an older one. Rounded up to a power of two.
    /// </summary>
    public int ReorderWindow { get; init; } = 256;

    public static QueueOptions Default { get; } = new();
}
