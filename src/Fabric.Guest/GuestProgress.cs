namespace Fabric.Guest;

/// <summary>One progress report: running totals plus the rates and latencies of the last interval.</summary>
public readonly record struct GuestProgress(
    TimeSpan Elapsed,
    long Submitted,
    long Ok,
    long Errors,
    long InFlight,
    long IntegrityFailures,
    double IntervalOpsPerSecond,
    double IntervalMegabytesPerSecond,
    double IntervalP50Micros,
    double IntervalP99Micros);
