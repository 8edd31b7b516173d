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
    string RequestId) : IDeviceEvent;

/// <summary>What the device's host reported of its hardware (vendor, model, attach type) changed: the whole set.</summary>
public sealed record DeviceHostTraitsChanged(string DeviceId, IReadOnlyList<string> Traits, string RequestId) : IDeviceEvent;

public sealed record DeviceHealthChanged(string DeviceId, DeviceHealth Health, string Reason, string RequestId) : IDeviceEvent;

public sealed record DeviceEnabledChanged(string DeviceId, bool Enabled, string Reason, string RequestId) : IDeviceEvent;

public sealed record DeviceCapacityReserved(string DeviceId, string AttachmentId, int QueuePairs, string RequestId) : IDeviceEvent;

public sealed record DeviceCapacityReleased(string DeviceId, string AttachmentId, int QueuePairs, string RequestId) : IDeviceEvent;

/// <summary>The operator-set traits of the device after a change: the whole set, so applying it twice changes nothing.</summary>
public sealed record DeviceTraitsChanged(string DeviceId, IReadOnlyList<string> CustomTraits, string RequestId) : IDeviceEvent;

/// <summary>The rates committed to one holder from now on (the whole figure, 0 and 0: none); a release ends them too.</summary>
public sealed record DeviceRatesCommitted(string DeviceId, string AttachmentId, long Ops, long Bytes, string RequestId) : IDeviceEvent;
