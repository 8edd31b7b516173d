namespace Fabric.Messages.Devices;

/// <summary>Everything addressed to one <c>Device</c> entity; the id is <c>node/device</c>.</summary>
public interface IDeviceMessage : IFabricMessage
{
    string DeviceId { get; }
}

public interface IDeviceCommand : IDeviceMessage, IFabricCommand
{
}

/// <summary>
/// A host announces a device (again after restarts: registration is idempotent). Its shape is frozen (hosts of an older
/// version send it); <see cref="RegisterDeviceWithTraits"/> adds what the host knows of the hardware.
/// </summary>
public record RegisterDevice(
    string DeviceId,
    string Node,
    string Type,
    IReadOnlyList<string> Functions,
    int CapacityQueuePairs,
    string RequestId) : IDeviceCommand
{
    /// <summary>What the host knows of the hardware (vendor, model, attach type: <c>DeviceTraits</c>); null: nothing.</summary>
    public virtual IReadOnlyList<string>? Traits => null;
}

/// <summary>A registration with the host's traits; the control plane adds the function and type traits.</summary>
public sealed record RegisterDeviceWithTraits(
    string DeviceId,
    string Node,
    string Type,
    IReadOnlyList<string> Functions,
    int CapacityQueuePairs,
    string RequestId,
    IReadOnlyList<string> HostTraits) : RegisterDevice(DeviceId, Node, Type, Functions, CapacityQueuePairs, RequestId)
{
    public override IReadOnlyList<string>? Traits => HostTraits;
}

public sealed record SetDeviceHealth(string DeviceId, DeviceHealth Health, string Reason, string RequestId) : IDeviceCommand;

/// <summary>
/// Reserve queue pairs for one attachment. The device is the only writer of its capacity. A reservation with committed
/// rates is a <see cref="ReserveCommittedCapacity"/> (this shape is frozen: other versions send it).
/// </summary>
public record ReserveCapacity(
    string DeviceId,
    string AttachmentId,
    IReadOnlyList<string> Functions,
    int QueuePairs,
    string RequestId) : IDeviceCommand
{
    /// <summary>Ops/s the device must commit to the attachment; 0: none.</summary>
    public virtual long CommittedOps => 0;

    /// <summary>Payload bytes/s the device must commit to the attachment; 0: none.</summary>
    public virtual long CommittedBytes => 0;
}

/// <summary>A reservation that also commits rates (the attachment's service level, issue 19): refused when they would oversell the device.</summary>
public sealed record ReserveCommittedCapacity(
    string DeviceId,
    string AttachmentId,
    IReadOnlyList<string> Functions,
    int QueuePairs,
    string RequestId,
    long Ops,
    long Bytes) : ReserveCapacity(DeviceId, AttachmentId, Functions, QueuePairs, RequestId)
{
    public override long CommittedOps => Ops;

    public override long CommittedBytes => Bytes;
}

/// <summary>Change the rates committed to an attachment that holds queue pairs here; refused when they would oversell the device.</summary>
public sealed record CommitRates(string DeviceId, string AttachmentId, long Ops, long Bytes, string RequestId) : IDeviceCommand;

/// <summary>Give back what <paramref name="AttachmentId"/> holds; releasing nothing is not an error.</summary>
public sealed record ReleaseCapacity(string DeviceId, string AttachmentId, string RequestId) : IDeviceCommand;

/// <summary>Maintenance: a disabled device keeps what it holds but takes no new reservations.</summary>
public sealed record SetDeviceEnabled(string DeviceId, bool Enabled, string Reason, string RequestId) : IDeviceCommand;

public sealed record GetDevice(string DeviceId) : IDeviceMessage;

/// <summary>Operator-set traits (<c>CUSTOM_*</c>): added and removed on the device entity, kept across registrations.</summary>
public sealed record SetDeviceTraits(string DeviceId, IReadOnlyList<string> Add, IReadOnlyList<string> Remove, string RequestId) : IDeviceCommand;
