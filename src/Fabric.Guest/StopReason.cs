namespace Fabric.Guest;

/// <summary>Why a run ended.</summary>
public enum StopReason
{
    /// <summary>Did not run: bad input or no usable channel.</summary>
    NotStarted,
    Duration,
    Count,
    Cancelled,
    /// <summary>The AC started removing the queue (channel Draining).</summary>
    ChannelDraining,
    ChannelClosed,
    /// <summary>The AC stopped serving the channel because an index was corrupt.</summary>
    ChannelFaulted,
    /// <summary>Operations were in flight and no answer came within the timeout.</summary>
    NoAnswer,
    /// <summary>The session could not be opened.</summary>
    SessionFailed,
}
