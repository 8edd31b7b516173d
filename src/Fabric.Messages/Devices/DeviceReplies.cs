namespace Fabric.Messages.Devices;

/// <summary>
/// What a device is and holds, as every query and successful command answers it. <paramref name="Revision"/> is the
/// sequence number of the device's last event in the view: of two views, the higher revision is the newer.
/// A <see cref="TraitedDeviceView"/> adds all the traits placement matches (the operator's among them) and the resource
/// classes a function-less group can ask for.
/// </summary>
public record DeviceView(
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
    long Revision = 0) : IFabricMessage
{
    public int FreeQueuePairs => CapacityQueuePairs - ReservedQueuePairs;

    public virtual IReadOnlyList<string>? Traits => null;

    public virtual IReadOnlyList<string>? CustomTraits => null;

    public virtual IReadOnlyList<string>? ResourceClasses => null;

    /// <summary>Ops/s the device can commit (configuration by device type and function); 0: not known (an older view).</summary>
    public virtual long CapacityOps => 0;

    /// <summary>Payload bytes/s the device can commit; 0: not known.</summary>
    public virtual long CapacityBytes => 0;

    /// <summary>Ops/s committed to each holder that has some.</summary>
    public virtual IReadOnlyDictionary<string, long>? HeldOps => null;

    /// <summary>Bytes/s committed to each holder that has some.</summary>
    public virtual IReadOnlyDictionary<string, long>? HeldBytes => null;

    public long CommittedOps => HeldOps?.Values.Sum() ?? 0;

    public long CommittedBytes => HeldBytes?.Values.Sum() ?? 0;
}

/// <summary>A device view with its traits: a type of its own, as views are kept in entities' request logs (snapshots).</summary>
public record TraitedDeviceView(
    string DeviceId,
    string Node,
    string Type,
    IReadOnlyList<string> Functions,
    int CapacityQueuePairs,
    int ReservedQueuePairs,
    DeviceHealth Health,
    string HealthReason,
    IReadOnlyDictionary<string, int> Holders,
    bool Enabled,
    long Revision,
    IReadOnlyList<string> AllTraits,
    IReadOnlyList<string> OperatorTraits,
    IReadOnlyList<string> Classes)
    : DeviceView(DeviceId, Node, Type, Functions, CapacityQueuePairs, ReservedQueuePairs, Health, HealthReason, Holders, Enabled, Revision)
{
    public override IReadOnlyList<string>? Traits => AllTraits;

    public override IReadOnlyList<string>? CustomTraits => OperatorTraits;

    public override IReadOnlyList<string>? ResourceClasses => Classes;

    // Views are compared (tests, idempotent replies): by the traits they list, not by which arrays hold them.
    public virtual bool Equals(TraitedDeviceView? other) =>
        base.Equals(other) && AllTraits.SequenceEqual(other.AllTraits) && OperatorTraits.SequenceEqual(other.OperatorTraits) && Classes.SequenceEqual(other.Classes);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), AllTraits.Count, OperatorTraits.Count);
}

/// <summary>A device view with its committed rates and what it can commit (issue 19): a type of its own, as <see cref="TraitedDeviceView"/>.</summary>
public sealed record RatedDeviceView(
    string DeviceId,
    string Node,
    string Type,
    IReadOnlyList<string> Functions,
    int CapacityQueuePairs,
    int ReservedQueuePairs,
    DeviceHealth Health,
    string HealthReason,
    IReadOnlyDictionary<string, int> Holders,
    bool Enabled,
    long Revision,
    IReadOnlyList<string> AllTraits,
    IReadOnlyList<string> OperatorTraits,
    IReadOnlyList<string> Classes,
    long OpsCapacity,
    long BytesCapacity,
    IReadOnlyDictionary<string, long> OpsHeld,
    IReadOnlyDictionary<string, long> BytesHeld)
    : TraitedDeviceView(DeviceId, Node, Type, Functions, CapacityQueuePairs, ReservedQueuePairs, Health, HealthReason, Holders, Enabled, Revision,
        AllTraits, OperatorTraits, Classes)
{
    public override long CapacityOps => OpsCapacity;

    public override long CapacityBytes => BytesCapacity;

    public override IReadOnlyDictionary<string, long>? HeldOps => OpsHeld;

    public override IReadOnlyDictionary<string, long>? HeldBytes => BytesHeld;

    public bool Equals(RatedDeviceView? other) =>
        base.Equals(other) && OpsCapacity == other.OpsCapacity && BytesCapacity == other.BytesCapacity
        && OpsHeld.OrderBy(h => h.Key).SequenceEqual(other.OpsHeld.OrderBy(h => h.Key))
        && BytesHeld.OrderBy(h => h.Key).SequenceEqual(other.BytesHeld.OrderBy(h => h.Key));

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), OpsCapacity, BytesCapacity);
}

/// <summary>The reservation is held by the attachment; <paramref name="Device"/> is the device after it.</summary>
public sealed record CapacityReserved(string AttachmentId, int QueuePairs, DeviceView Device) : IFabricMessage;

public sealed record CapacityReleased(string AttachmentId, int QueuePairs, DeviceView Device) : IFabricMessage;
