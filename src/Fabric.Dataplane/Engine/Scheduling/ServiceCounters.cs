namespace Fabric.Dataplane.Engine.Scheduling;

/// <summary>
/// What the scheduler publishes about one queue, once a window (<see cref="SchedulingOptions.Window"/>): written by the
/// queue's worker only, read from any thread. Rates and share are over the last window; tokens are NaN without a cap.
/// </summary>
public sealed class ServiceCounters
{
    private QueueServiceLevel _level = QueueServiceLevel.BestEffort;
    private int _scheduled;
    private long _throttledNanos;
    private double _opsTokens = double.NaN;
    private double _bytesTokens = double.NaN;
    private double _opsPerSecond;
    private double _bytesPerSecond;
    private double _share = double.NaN;

    /// <summary>The level the queue is served at (set when it is applied on the worker).</summary>
    public QueueServiceLevel Level => Volatile.Read(ref _level);

    /// <summary>True while the worker schedules by service level (false: plain round-robin, rate and share unmeasured).</summary>
    public bool Scheduled => Volatile.Read(ref _scheduled) != 0;

    /// <summary>Time the queue had work but waited for its peak tokens, in all.</summary>
    public long ThrottledNanos => Volatile.Read(ref _throttledNanos);

    public double OpsTokens => Volatile.Read(ref _opsTokens);

    public double BytesTokens => Volatile.Read(ref _bytesTokens);

    public double OpsPerSecond => Volatile.Read(ref _opsPerSecond);

    public double BytesPerSecond => Volatile.Read(ref _bytesPerSecond);

    /// <summary>Fraction of the worker's service time this queue took over the last window (0..1).</summary>
    public double Share => Volatile.Read(ref _share);

    internal void SetLevel(QueueServiceLevel level) => Volatile.Write(ref _level, level);

    internal void Publish(bool scheduled, long throttledNanos, double opsTokens, double bytesTokens, double opsPerSecond, double bytesPerSecond, double share)
    {
        Volatile.Write(ref _scheduled, scheduled ? 1 : 0);
        Volatile.Write(ref _throttledNanos, throttledNanos);
        Volatile.Write(ref _opsTokens, opsTokens);
        Volatile.Write(ref _bytesTokens, bytesTokens);
        Volatile.Write(ref _opsPerSecond, opsPerSecond);
        Volatile.Write(ref _bytesPerSecond, bytesPerSecond);
        Volatile.Write(ref _share, share);
    }
}
