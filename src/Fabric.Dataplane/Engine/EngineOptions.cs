namespace Fabric.Dataplane.Engine;

/// <summary>Settings of an <see cref="AccelerationEngine"/>.</summary>
public sealed record EngineOptions
{
    /// <summary>Worker threads (each a dedicated, busy-polling thread).</summary>
    public int Workers { get; init; } = 1;

    /// <summary>
    /// Core for each worker (index i pins worker i). Null: no pinning. Pinning failures are reported
    /// in <see cref="WorkerStatus.PinMessage"/>, never thrown.
    /// </summary>
    public IReadOnlyList<int>? Cores { get; init; }

    /// <summary>
    /// Nice value for the worker threads (-20..19), or null to leave it. A dedicated AC core is best done
    /// with isolated CPUs; a negative nice keeps other work on a shared machine from starving the AC.
    /// Failures are reported in <see cref="WorkerStatus.PinMessage"/>, never thrown.
    /// </summary>
    public int? Nice { get; init; }

    /// <summary>Most descriptors one queue serves per visit before the worker moves to the next queue.</summary>
    public int Burst { get; init; } = 32;

    /// <summary>Empty polls spent spinning (one short pause each, a few milliseconds in all) before yielding the core.</summary>
    public int IdleSpinPolls { get; init; } = 100_000;

    /// <summary>Empty polls spent yielding before sleeping.</summary>
    public int IdleYieldPolls { get; init; } = 2_000;

    /// <summary>Sleep between polls once idle that long (bounds the wake-up latency of an idle worker).</summary>
    public TimeSpan IdleSleep { get; init; } = TimeSpan.FromMilliseconds(1);

    public QueueOptions Queue { get; init; } = QueueOptions.Default;

    /// <summary>The service-level scheduler's quantum, bucket depth and publication window.</summary>
    public global::Fabric.Dataplane.Engine.Scheduling.SchedulingOptions Scheduling { get; init; } = global::Fabric.Dataplane.Engine.Scheduling.SchedulingOptions.Default;

    /// <summary>
    /// Called once when a queue faults, with its id and the reason, on the queue's worker thread: keep it short and
    /// non-blocking (e.g. tell an actor). What it throws is swallowed: it cannot stop the worker.
    /// </summary>
    public Action<string, string>? QueueFaulted { get; init; }

    /// <summary>
    /// Called on the queue's worker thread the first time its driver answers an op with a driver fault or a missed
    /// deadline, once per driver generation (a swapped-in driver may signal again): the node's fault detector, pushed
    /// at once instead of polled. Keep it short and non-blocking (e.g. tell an actor); what it throws is swallowed.
    /// </summary>
    public Action<DriverFaultSignal>? DriverFaulted { get; init; }
}
