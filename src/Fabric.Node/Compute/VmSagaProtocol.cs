using Fabric.Messages.Attachments;

namespace Fabric.Node.Compute;

// Between a VmSaga and its node agent (in-process): the saga talks to the AML itself and asks the agent, which owns
// the ComputeState and the AC, for the host's part. Each ask is answered with its reply or a Rejected.

/// <summary>Open a driver of <paramref name="DeviceId"/> for <paramref name="Chain"/> and serve the queue in the AC at the
/// attachment's service level (null: best effort). With <paramref name="VhostSocket"/> the queue is a VHOST_USER
/// realization: a virtio-crypto device served on that vhost-user socket (a <see cref="VhostUserAttachHandle"/>), not a
/// channel. Answered with <see cref="QueueOpened"/>.</summary>
public sealed record OpenQueue(string QueueId, string VmId, string DeviceId, string Chain, string RequestId, ServiceLevel? Level = null, string? VhostSocket = null);

public sealed record QueueOpened(string QueueId, AttachHandle Handle);

/// <summary>Give a free VF of the PCI device to the attachment (<paramref name="Held"/>, the one it had, when still free). Answered with <see cref="VfClaimed"/>.</summary>
public sealed record ClaimVf(string QueueId, string VmId, string DeviceId, string? Held, string RequestId);

public sealed record VfClaimed(string QueueId, PciAttachHandle Handle);

/// <summary>Drain and remove the queue (or give the VF back). Answered with <see cref="QueueClosed"/>.</summary>
public sealed record CloseQueue(string QueueId);

public sealed record QueueClosed(string QueueId, long CompletedWhileDraining);

/// <summary>Which queues a request made (a failed request takes them all back). Answered with <see cref="RequestQueues"/>.</summary>
public sealed record QueuesOfRequest(string RequestId);

public sealed record RequestQueues(IReadOnlyList<string> QueueIds);
