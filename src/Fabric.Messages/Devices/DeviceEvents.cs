namespace Fabric.Messages.Devices;

public interface IDeviceEvent : IFabricEvent
{
    string DeviceId { get; }
}

public sealed record DeviceRegistered(
    string DeviceId,
    string Node,
    string Type,
    IReadOnlyList<string> Functions,
    int CapacityQueuePairs,
    string RequestId,
    IReadOnlyList<string>? Traits = null) : IDeviceEvent;

public sealed record DeviceHealthChanged(string DeviceId, DeviceHealth Health, string Reason, string RequestId) : IDeviceEvent;

public sealed record DeviceEnabledChanged(string DeviceId, bool Enabled, string Reason, string RequestId) : IDeviceEvent;

public sealed record DeviceCapacityReserved(string DeviceId, string AttachmentId, int QueuePairs, string RequestId) : IDeviceEvent;

public sealed record DeviceCapacityReleased(string DeviceId, string AttachmentId, int QueuePairs, string RequestId) : IDeviceEvent;

/// <summary>The operator-set traits of the device after a change: the whole set, so applying it twice changes nothing.</summary>
public sealed record DeviceTraitsChanged(string DeviceId, IReadOnlyList<string> CustomTraits, string RequestId) : IDeviceEvent;
