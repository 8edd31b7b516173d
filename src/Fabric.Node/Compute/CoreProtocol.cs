using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;

namespace Fabric.Node.Compute;

// In-process messages of the compute role: they carry live driver objects and never leave the node.

/// <summary>Create the attachment's channel (a sealed memfd and its socket, or a file in path mode) and serve it with <paramref name="Driver"/>.</summary>
public sealed record AddQueue(string QueueId, IGDriver Driver, ChannelGeometry Geometry);

/// <summary>
/// Serve a QEMU guest's virtio-crypto device on the vhost-user socket <paramref name="SocketPath"/> (made here, in a
/// folder only this user opens) with <paramref name="Driver"/>: an AC queue like a channel's (docs/vhost.md). Answered
/// with <see cref="QueueAdded"/> (its path: the socket) or <see cref="QueueNotAdded"/> (no EAL, a function virtio-crypto
/// does not speak, a socket that cannot be made).
/// </summary>
public sealed record AddVhostQueue(string QueueId, IGDriver Driver, string SocketPath);

/// <param name="Counters">The queue's live counters (read by the metrics, written only by its worker).</param>
/// <param name="ChannelPath">What the guest opens: the channel's socket, or its file in path mode.</param>
public sealed record QueueAdded(string QueueId, string ChannelPath, ChannelGeometry Geometry, int Worker, QueueCounters Counters);

public sealed record QueueNotAdded(string QueueId, string Reason);

/// <summary>Drain the queue (completing what the guest posted), remove it, its socket and (path mode) its channel file.</summary>
public sealed record RemoveQueue(string QueueId, TimeSpan DrainTimeout);

public sealed record QueueRemoved(string QueueId, QueueRemoval Removal);

/// <summary>
/// The node is leaving the cluster: drain every queue (what guests posted completes), then remove it. The AML
/// hears of the node's departure from the cluster itself and fails the attachments. Answered with <see cref="NodeDrained"/>.
/// </summary>
public sealed record DrainNode
{
    public static DrainNode Instance { get; } = new();
}

public sealed record NodeDrained(int Queues, long CompletedWhileDraining);

/// <summary>Put another driver behind a queue; the old one is disposed. The guest keeps its channel.</summary>
public sealed record SwapDriver(string QueueId, IGDriver Driver);

/// <param name="Generation">The queue's driver generation after the swap: faults of older ones no longer count.</param>
public sealed record DriverSwapped(string QueueId, uint Generation);

public sealed record DriverNotSwapped(string QueueId, string Reason);

/// <summary>
/// Hold <paramref name="Driver"/> (of <paramref name="DeviceId"/>) ready behind the queue: its worker switches to it by
/// itself the moment the queue's driver faults. Null disarms; the standby it replaces is disposed.
/// </summary>
public sealed record ArmStandby(string QueueId, IGDriver? Driver, string? DeviceId);

public sealed record GetQueueStats
{
    public static GetQueueStats Instance { get; } = new();
}

public sealed record QueueStatsReport(IReadOnlyList<QueueStats> Queues);

/// <summary>From the AC: a queue faulted (its guest corrupted an index) and is no longer served.</summary>
public sealed record QueueFaulted(string QueueId, string Reason);
