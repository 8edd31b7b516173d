using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Engine;

/// <summary>A reading of one queue's counters, taken without stopping its worker.</summary>
public sealed record QueueStats(
    string QueueId,
    string Function,
    int Worker,
    ChannelState State,
    long Ops,
    long BytesIn,
    long BytesOut,
    long Errors,
    long BadDescriptors,
    long DriverFaults,
    long DeadlinesExceeded,
    long CqFullStalls,
    long LatencyP50Nanos,
    long LatencyP99Nanos,
    long LatencyMaxNanos,
    uint DriverGeneration,
    string? FaultReason,
    Scheduling.QueueServiceStats? Service = null);
