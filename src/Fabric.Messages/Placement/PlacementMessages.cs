using Fabric.Messages.Devices;

namespace Fabric.Messages.Placement;

/// <summary>Ask the capacity read model for devices that could take a reservation, best first; <paramref name="CommittedOps"/> and
/// <paramref name="CommittedBytes"/>: the rates the device must still be able to commit.</summary>
public sealed record FindCandidates(
    IReadOnlyList<string> Functions,
    int QueuePairs,
    string? Host,
    IReadOnlyList<string> Exclude,
    IReadOnlyList<Profiles.ProfileGroup>? Groups = null,
    long CommittedOps = 0,
    long CommittedBytes = 0) : IFabricMessage;

/// <summary>Why no device is a candidate, for people: the first constraint every device failed.</summary>
public sealed record Candidates(IReadOnlyList<string> DeviceIds, string? NoneBecause = null) : IFabricMessage;


/// <summary>A fresher view of a device than the read model may have (from a device's own answer).</summary>
public sealed record CapacityObserved(DeviceView Device) : IFabricMessage;

/// <summary>A device refused a reservation: the read model stops proposing it until its next event says otherwise.</summary>
public sealed record DeviceRefused(string DeviceId, Errors.RejectReason Reason) : IFabricMessage;

public sealed record GetCapacity : IFabricMessage
{
    public static GetCapacity Instance { get; } = new();
}

public sealed record DeviceCapacity(
    string DeviceId,
    string Node,
    IReadOnlyList<string> Functions,
    int Capacity,
    int Reserved,
    DeviceHealth Health,
    bool Enabled = true,
    IReadOnlyList<string>? Traits = null,
    IReadOnlyList<string>? ResourceClasses = null,
    long CapacityOps = 0,
    long CapacityBytes = 0,
    long CommittedOps = 0,
    long CommittedBytes = 0);

/// <summary>The read model's view of every device it knows, and the journal offset it has read up to.</summary>
public sealed record CapacitySnapshot(IReadOnlyList<DeviceCapacity> Devices, long Offset) : IFabricMessage;
