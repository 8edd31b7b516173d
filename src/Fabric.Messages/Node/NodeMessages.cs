using Fabric.Messages.Attachments;

namespace Fabric.Messages.Node;

/// <summary>What one node agent runs: its devices (as the host found them) and its dataplane queues.</summary>
public sealed record GetNodeStatus : IFabricMessage
{
    public static GetNodeStatus Instance { get; } = new();
}

public sealed record NodeDevice(
    string DeviceId,
    string Type,
    string Backing,
    bool Usable,
    string? Reason,
    IReadOnlyList<string> Functions,
    int QueuePairs,
    string Supervision);

/// <param name="State">The channel's state as the AC sees it: Created, Active, Draining, Closed or Faulted.</param>
/// <param name="FaultReason">Why the AC stopped serving a Faulted channel (what the guest corrupted); null otherwise.</param>
/// <param name="Service">The queue's service level and what the AC's scheduler did with it; null from a node without one.</param>
public sealed record NodeQueue(
    string QueueId,
    string VmId,
    string DeviceId,
    string Driver,
    long Ops,
    long Errors,
    long DriverFaults,
    long LatencyP50Nanos,
    long LatencyP99Nanos,
    long BytesIn,
    long BytesOut,
    string State = "Active",
    string? FaultReason = null,
    NodeQueueService? Service = null);

/// <summary>A queue's service level in the AC and what the scheduler did with it (issue 19).</summary>
/// <param name="Scheduled">False while its worker runs plain round-robin (every queue on it best effort): rate and share are then null.</param>
/// <param name="ThrottledNanos">Time the queue had work but waited for its peak tokens, in all.</param>
/// <param name="OpsTokens">Peak ops tokens left (null: no ops cap); may be below 0 while a visit's overrun is paid.</param>
/// <param name="BytesTokens">Peak bytes tokens left (null: no bytes cap).</param>
/// <param name="OpsPerSecond">Ops served over the scheduler's last window.</param>
/// <param name="BytesPerSecond">Input bytes served over the scheduler's last window.</param>
/// <param name="Share">Fraction of its worker's service time it took over that window (0..1).</param>
public sealed record NodeQueueService(
    ServiceLevel Level,
    bool Scheduled,
    long ThrottledNanos,
    double? OpsTokens,
    double? BytesTokens,
    double? OpsPerSecond,
    double? BytesPerSecond,
    double? Share);

/// <param name="Vms">The VM machines the node agent started (running, or stopped and not yet deleted); null from a node without any.</param>
public sealed record NodeStatus(string Node, IReadOnlyList<NodeDevice> Devices, IReadOnlyList<NodeQueue> Queues, IReadOnlyList<VmMachineView>? Vms = null) : IFabricMessage;

/// <summary>Operators and tests: make a device's g-driver fail (Throw, Hang, Corrupt) until <see cref="RepairDevice"/>.</summary>
public sealed record InjectDeviceFault(string DeviceId, string Fault, string RequestId) : IFabricCommand;

/// <summary>The device is fixed: faults stop, and once its probe passes it is healthy again and takes new attachments.</summary>
public sealed record RepairDevice(string DeviceId, string RequestId) : IFabricCommand;

/// <summary>
/// Node agent to its Acceleration Core actor: serve this queue at this service level from now on, without reopening
/// its channel. Sent after a queue is added and whenever the attachment's level changes.
/// </summary>
public sealed record SetQueueServiceLevel(string QueueId, ServiceLevel Level) : IFabricMessage;

/// <summary>
/// Control plane -> the node agent of an attachment's host: apply the attachment's changed service level to its queue
/// (the agent tells its AC <see cref="SetQueueServiceLevel"/>); an attachment the node does not serve is ignored.
/// </summary>
public sealed record ApplyServiceLevel(string AttachmentId, ServiceLevel Level) : IFabricMessage;
