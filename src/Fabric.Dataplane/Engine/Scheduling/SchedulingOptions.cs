namespace Fabric.Dataplane.Engine.Scheduling;

/// <summary>Tuning of the AC's service-level scheduler (docs/service-levels.md).</summary>
public sealed record SchedulingOptions
{
    /// <summary>Service time a weight-1 queue earns per round; a queue of weight w earns w times it.</summary>
    public TimeSpan Quantum { get; init; } = TimeSpan.FromMicroseconds(10);

    /// <summary>How much unused peak or committed rate a bucket keeps: the burst allowed after an idle spell.</summary>
    public TimeSpan BucketDepth { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Least service time charged per input byte: an asynchronous device returns at once from a submit, so its queue
    /// pays for its bytes at this rate even when the worker spent little time on them (0.1 ns: 10 GB/s).
    /// </summary>
    public double NanosPerByte { get; init; } = 0.1;

    /// <summary>Rates, share and tokens are published once per window.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMilliseconds(250);

    public static SchedulingOptions Default { get; } = new();
}
