namespace Fabric.Messages.Attachments;

/// <summary>How the AC serves one attachment's queue when its worker is contended (issue 19).</summary>
/// <param name="Weight">Share of the worker when contended, relative to the other queues on it (1 or more).</param>
/// <param name="CommittedOpsPerSecond">Rate the device guarantees (placement never oversells it); 0 = none committed.</param>
/// <param name="PeakOpsPerSecond">Rate the AC never lets the queue exceed; 0 = no cap.</param>
/// <param name="CommittedBytesPerSecond">As <paramref name="CommittedOpsPerSecond"/>, in payload bytes.</param>
/// <param name="PeakBytesPerSecond">As <paramref name="PeakOpsPerSecond"/>, in payload bytes.</param>
/// <param name="Class">Latency-class queues are visited first within their share.</param>
public sealed record ServiceLevel(
    int Weight,
    long CommittedOpsPerSecond,
    long PeakOpsPerSecond,
    long CommittedBytesPerSecond,
    long PeakBytesPerSecond,
    ServiceClass Class)
{
    /// <summary>What an attachment gets when its profile says nothing: weight 1, nothing committed, no cap, bulk.</summary>
    public static ServiceLevel BestEffort { get; } = new(1, 0, 0, 0, 0, ServiceClass.Bulk);
}

/// <summary>The priority class of a queue.</summary>
public enum ServiceClass
{
    Bulk = 0,
    Latency = 1,
}
