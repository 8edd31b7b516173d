using System.Collections.Immutable;

namespace Fabric.Control.Devices;

/// <summary>
/// A device with traits. A type of its own rather than fields of <see cref="DeviceState"/>: Hyperion reads a record's fields
/// by position, so a field added there would make every snapshot taken before unreadable.
/// </summary>
public sealed record TraitedDeviceState : DeviceState
{
    public TraitedDeviceState(DeviceState state, ImmutableSortedSet<string>? hostTraits, ImmutableSortedSet<string>? customTraits)
        : base(state)
    {
        HostTraitSet = hostTraits;
        CustomTraitSet = customTraits;
    }

    public ImmutableSortedSet<string>? HostTraitSet { get; init; }

    public ImmutableSortedSet<string>? CustomTraitSet { get; init; }

    public override ImmutableSortedSet<string>? HostTraits => HostTraitSet;

    public override ImmutableSortedSet<string>? CustomTraits => CustomTraitSet;
}
