namespace Fabric.Messages.Devices;

/// <summary>What a device is and holds, as every query and successful command answers it.</summary>
public sealed record DeviceView(
    string DeviceId,
    string Node,
    string Type,
    IReadOnlyList<string> Functions,
    int CapacityQueuePairs,
    int ReservedQueuePairs,
    DeviceHealth Health,
    string HealthReason,
    IReadOnlyDictionary<string, int> Holders,
    bool Enabled = true) : IFabricMessage
{
    public int FreeQueuePairs => CapacityQueuePairs - ReservedQueuePairs;
}

/// <summary>The reservation is held by the attachment; <paramref name="Device"/> is the device after it.</summary>
public sealed record CapacityReserved(string AttachmentId, int QueuePairs, DeviceView Device) : IFabricMessage;

public sealed record CapacityReleased(string AttachmentId, int QueuePairs, DeviceView Device) : IFabricMessage;
