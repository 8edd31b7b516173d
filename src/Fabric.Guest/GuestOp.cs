namespace Fabric.Guest;

/// <summary>
/// What the workload asks of its queue. The queue's chain (one function or a pipeline) was chosen by the
/// node when the attachment was realized; the guest only picks the direction and whether to come back.
/// </summary>
public enum GuestOp
{
    /// <summary>Nop descriptors: measures the channel and the AC loop, no driver work.</summary>
    Nop,

    /// <summary>Forward only: seal, hash, compress, or run the pipeline forwards.</summary>
    Forward,

    /// <summary>Forward, then Inverse on its output; the bytes must come back equal to the input.</summary>
    RoundTrip,

    /// <summary>Digest queues: Forward appends the digest after the data, Inverse verifies data || digest.</summary>
    HashVerify,
}
