using System.Collections.Immutable;
using Fabric.Control.Placement;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Placement;
using Xunit;

namespace Fabric.Control.Tests.Placement;

/// <summary>
/// The capacity index hears of a device twice: from the journal (late, in order) and from the views in the device's
/// answers (fresh, in any order). Whatever order they arrive in, it must end with the newest facts (found by the
/// control bench: a reservation read from the journal after a view showing its release made a device look full, and a
/// bind failed with NoCapacity while queue pairs were free).
/// </summary>
public sealed class CapacityIndexOrderTests
{
    private const string Device = "host-1/aes";
    private static readonly FindCandidates Query = new(["aes-256-gcm"], 1, null, []);

    private static CapacityIndex Registered(int capacity)
    {
        var index = new CapacityIndex();
        index.Apply(new DeviceRegistered(Device, "host-1", "software", ["aes-256-gcm"], capacity, "r0"), 1);
        return index;
    }

    private static DeviceView View(int capacity, long revision, params string[] holders) =>
        new(Device, "host-1", "software", ["aes-256-gcm"], capacity, holders.Length, DeviceHealth.Healthy, "",
            holders.ToImmutableSortedDictionary(h => h, _ => 1), Revision: revision);

    private static int Reserved(CapacityIndex index) => index.Devices.Single().Reserved;

    [Fact]
    public void A_reservation_read_from_the_journal_after_a_view_showing_its_release_does_not_hold_the_device_again()
    {
        var index = Registered(capacity: 1);

        // The device's answers: a reserved at 2, a released at 3; the journal reaches seq 2 only afterwards.
        index.Observe(View(1, 2, "a"));
        index.Observe(View(1, 3));
        index.Apply(new DeviceCapacityReserved(Device, "a", 1, "r1"), 2);

        Assert.Equal(0, Reserved(index));
        Assert.Equal([Device], index.Candidates(Query, new Random(1)));

        // The release at 3 read later changes nothing either; a new reservation at 4 is applied.
        index.Apply(new DeviceCapacityReleased(Device, "a", 1, "r2"), 3);
        index.Apply(new DeviceCapacityReserved(Device, "b", 1, "r3"), 4);
        Assert.Equal(1, Reserved(index));
        Assert.Empty(index.Candidates(Query, new Random(1)));
    }

    [Fact]
    public void An_older_view_that_arrives_after_a_newer_one_is_ignored()
    {
        var index = Registered(capacity: 2);
        index.Observe(View(2, 5, "a"));
        index.Observe(View(2, 4, "a", "b"));

        Assert.Equal(1, Reserved(index));
    }

    [Fact]
    public void Journal_events_newer_than_the_last_view_are_applied_on_top_of_it()
    {
        var index = Registered(capacity: 3);
        index.Observe(View(3, 4, "a", "b"));
        index.Apply(new DeviceCapacityReleased(Device, "a", 1, "r5"), 5);
        index.Apply(new DeviceCapacityReserved(Device, "c", 1, "r6"), 6);
        index.Apply(new DeviceCapacityReserved(Device, "d", 1, "r7"), 7);

        Assert.Equal(3, Reserved(index));
        Assert.Empty(index.Candidates(Query, new Random(1)));
    }

    [Fact]
    public void A_device_that_refused_for_capacity_is_proposed_again_after_a_newer_fact_shows_room()
    {
        var index = Registered(capacity: 1);
        index.Apply(new DeviceCapacityReserved(Device, "a", 1, "r1"), 2);
        index.Observe(View(1, 3));
        index.Refused(Device, RejectReason.NoCapacity);
        Assert.Empty(index.Candidates(Query, new Random(1)));

        // Older news does not lift the refusal; the release after it does.
        index.Apply(new DeviceCapacityReleased(Device, "a", 1, "r2"), 3);
        Assert.Empty(index.Candidates(Query, new Random(1)));
        index.Observe(View(1, 5));
        Assert.Equal([Device], index.Candidates(Query, new Random(1)));
    }
}
