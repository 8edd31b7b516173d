using Fabric.Dataplane.Channel;

namespace Fabric.Guest;

/// <summary>
/// What a run did. Every submitted operation is accounted for exactly once:
/// <c>Submitted == Ok + Errors + Lost</c>, where lost ones were posted but never answered.
/// </summary>
public sealed record GuestResult
{
    public required string ChannelPath { get; init; }
    public required GuestOp Op { get; init; }
    public int Size { get; init; }
    public int Batch { get; init; }
    public double Rate { get; init; }

    public required StopReason StoppedBy { get; init; }

    /// <summary>What went wrong and what to do, or null for a run that ended as asked.</summary>
    public string? Message { get; init; }

    public long Submitted { get; init; }
    public long Ok { get; init; }
    public long Errors => ErrorsByStatus.Values.Sum();
    public IReadOnlyDictionary<OpStatus, long> ErrorsByStatus { get; init; } = new Dictionary<OpStatus, long>();
    public long Lost { get; init; }

    /// <summary>Completions whose tag matched nothing this run had in flight (a previous guest's leftovers).</summary>
    public long Unmatched { get; init; }

    /// <summary>Round trips whose Inverse gave back other bytes than went in, or a digest that did not verify.</summary>
    public long IntegrityFailures { get; init; }

    /// <summary>Work items finished (a round trip counts once).</summary>
    public long Items { get; init; }

    /// <summary>Input bytes of operations answered Ok.</summary>
    public long Bytes { get; init; }

    public double Seconds { get; init; }
    public double P50Micros { get; init; }
    public double P99Micros { get; init; }
    public double MaxMicros { get; init; }

    /// <summary>The function serving the channel, from its header (ABI v2); null on a v1 channel or when the run did not start.</summary>
    public string? Function { get; init; }

    /// <summary>The queue's op deadline, from the channel header (ABI v2); null when unknown.</summary>
    public TimeSpan? OpDeadline { get; init; }

    public double OpsPerSecond => Seconds > 0 ? (Ok + Errors) / Seconds : 0;
    public double MegabytesPerSecond => Seconds > 0 ? Bytes / Seconds / 1e6 : 0;

    /// <summary>Bad input and a missing channel are decided before anything runs; the rest by how the run ended.</summary>
    public int ExitCode { get; init; }
}
