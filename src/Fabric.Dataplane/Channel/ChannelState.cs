namespace Fabric.Dataplane.Channel;

/// <summary>Header state word, written by the AC only.</summary>
public enum ChannelState : uint
{
    /// <summary>File created, not yet served by a worker.</summary>
    Created = 0,
    /// <summary>A worker polls the submission ring.</summary>
    Active = 1,
    /// <summary>Queue removal in progress: already-posted descriptors are still completed; post nothing new.</summary>
    Draining = 2,
    /// <summary>No worker serves the channel any more.</summary>
    Closed = 3,
    /// <summary>The guest corrupted a ring index; the AC stopped serving the channel.</summary>
    Faulted = 4,
}
