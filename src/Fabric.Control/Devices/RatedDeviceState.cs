using System.Collections.Immutable;

namespace Fabric.Control.Devices;

/// <summary>
/// A device with rates committed to its holders (issue 19), and its traits. A type of its own, like
/// <see cref="TraitedDeviceState"/>: snapshots taken before keep their shape.
/// </summary>
public sealed record RatedDeviceState : DeviceState
{
    public RatedDeviceState(
        DeviceState state,
        ImmutableSortedSet<string>? hostTraits,
        ImmutableSortedSet<string>? customTraits,
        ImmutableDictionary<string, long> opsHeld,
        ImmutableDictionary<string, long> bytesHeld)
        : base(state)
    {
        HostTraitSet = hostTraits;
        CustomTraitSet = customTraits;
        OpsHeldMap = opsHeld;
        BytesHeldMap = bytesHeld;
    }

    public ImmutableSortedSet<string>? HostTraitSet { get; init; }

    public ImmutableSortedSet<string>? CustomTraitSet { get; init; }

    public ImmutableDictionary<string, long> OpsHeldMap { get; init; }

    public ImmutableDictionary<string, long> BytesHeldMap { get; init; }

    public override ImmutableSortedSet<string>? HostTraits => HostTraitSet;

    public override ImmutableSortedSet<string>? CustomTraits => CustomTraitSet;

    public override ImmutableDictionary<string, long>? OpsHeld => OpsHeldMap;

    public override ImmutableDictionary<string, long>? BytesHeld => BytesHeldMap;

    protected override DeviceState WithTraits(ImmutableSortedSet<string>? host, ImmutableSortedSet<string>? custom) =>
        this with { HostTraitSet = host, CustomTraitSet = custom };
}
