namespace Fabric.Guest;

/// <summary>Everything one run of the workload needs. <see cref="Validate"/> checks what can be checked before the channel is open.</summary>
public sealed record GuestWorkloadOptions
{
    /// <summary>Largest <see cref="Batch"/>: a lane id must fit the 16 bits of the tag reserved for it.</summary>
    public const int MaxBatch = 4096;

    public required string ChannelPath { get; init; }

    public GuestOp Op { get; init; } = GuestOp.RoundTrip;

    /// <summary>Input bytes per operation.</summary>
    public int Size { get; init; } = 4096;

    /// <summary>Work items in flight at once (each has its own slots); new ones are posted in one burst.</summary>
    public int Batch { get; init; } = 8;

    /// <summary>Operations (descriptors) per second; 0 = as fast as the queue answers.</summary>
    public double Rate { get; init; }

    /// <summary>Stop starting new work after this long. Null with a null <see cref="Count"/>: run until cancelled.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Stop after this many operations (a round trip is two, so the count is rounded up to whole round trips).</summary>
    public long? Count { get; init; }

    /// <summary>Session key; null = 32 random bytes made for this run. The workload wipes its copy after OpenSession.</summary>
    public byte[]? Key { get; init; }

    public PayloadKind Payload { get; init; } = PayloadKind.Random;

    /// <summary>How often progress is reported to the sink.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long operations may stay unanswered before the AC counts as gone (exit 4).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Says what is wrong with these options (and what to do), or null when they are usable.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(ChannelPath))
        {
            return "--channel is required: give the channel path from the attachment's attach handle (the node's socket, e.g. /dev/shm/fabric-<uid>/<node>-<port>/<attachment>.sock)";
        }
        if (!Enum.IsDefined(Op))
        {
            return $"--op: unknown op {Op}; known: {string.Join(", ", GuestOps.Names)}";
        }
        if (Size < 1)
        {
            return $"--size must be at least 1 byte, was {Size}";
        }
        if (Batch < 1 || Batch > MaxBatch)
        {
            return $"--batch must be in [1, {MaxBatch}], was {Batch}";
        }
        if (double.IsNaN(Rate) || double.IsInfinity(Rate) || Rate < 0)
        {
            return $"--rate must be 0 (unlimited) or a positive number of operations per second, was {Rate}";
        }
        if (Duration is { } d && d <= TimeSpan.Zero)
        {
            return $"--duration must be positive, was {d}";
        }
        if (Count is { } c && c < 1)
        {
            return $"--count must be at least 1, was {c}";
        }
        if (Duration is not null && Count is not null)
        {
            return "give --duration or --count, not both";
        }
        if (Key is { Length: 0 })
        {
            return "the key is empty: a key file must hold at least one byte (32 for AEAD stages)";
        }
        if (ProgressInterval <= TimeSpan.Zero)
        {
            return $"--progress-interval must be positive, was {ProgressInterval}";
        }
        if (Timeout <= TimeSpan.Zero)
        {
            return $"--timeout must be positive, was {Timeout}";
        }
        return null;
    }
}
