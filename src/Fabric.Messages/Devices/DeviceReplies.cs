namespace Fabric.Messages.Devices;

/// <summary>
/// What a device is and holds, as every query and successful command answers it. <paramref name="Revision"/> is the
/// sequence number of the device's last event in the view: of two views, the higher revision is the newer.
/// <paramref name="Traits"/> are all the traits placement matches (<paramref name="CustomTraits"/>, the operator's, among
/// them); <paramref name="ResourceClasses"/> the classes a function-less group can ask for.
/// </summary>
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
    bool Enabled = true,
    long Revision = 0,
    IReadOnlyList<string>? Traits = null,
    IReadOnlyList<string>? CustomTraits = null,
    IReadOnlyList<string>? ResourceClasses = null) : IFabricMessage
{
    public int FreeQueuePairs => CapacityQueuePairs - ReservedQueuePairs;
}

/// <summary>The reservation is held by the attachment; <paramref name="Device"/> is the device after it.</summary>
public sealed record CapacityReserved(string AttachmentId, int QueuePairs, DeviceView Device) : IFabricMessage;

public sealed record CapacityReleased(string AttachmentId, int QueuePairs, DeviceView Device) : IFabricMessage;
