namespace Fabric.Dataplane.Channel;

/// <summary>Completion status. Anything but <see cref="Ok"/> means no output may be trusted.</summary>
public enum OpStatus : int
{
    Ok = 0,
    /// <summary>Slot, offset, length or flags out of range, or input and output overlap.</summary>
    BadDescriptor = 1,
    /// <summary>Unknown op code, or an op the queue's driver does not do.</summary>
    Unsupported = 2,
    /// <summary>Unknown, closed or stale session id, or a missing session for a keyed driver.</summary>
    BadSession = 3,
    /// <summary>The output capacity cannot hold the result.</summary>
    OutputTooSmall = 4,
    /// <summary>AEAD tag or digest did not verify.</summary>
    AuthFailed = 5,
    /// <summary>The driver threw; the op was abandoned and the worker carried on.</summary>
    DriverFault = 6,
    /// <summary>The op (or one pipeline stage) ran past its deadline; output discarded.</summary>
    DeadlineExceeded = 7,
    /// <summary>The queue was removed (its drain time ran out) before the op could run; the op was not run.</summary>
    QueueClosing = 8,
    /// <summary>Input that cannot be decoded (bad compressed stream, bad AEAD layout).</summary>
    BadInput = 9,
    /// <summary>The session table of this channel is full.</summary>
    SessionTableFull = 10,
    /// <summary>The key has the wrong size for the driver.</summary>
    BadKey = 11,
}
