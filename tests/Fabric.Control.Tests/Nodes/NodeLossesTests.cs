using Fabric.Control.Nodes;
using Fabric.Messages.Devices;
using Fabric.Messages.Placement;
using Xunit;

namespace Fabric.Control.Tests.Nodes;

/// <summary>The node loss watcher's bookkeeping, without a cluster: which losses wait, and which removals were missed.</summary>
public sealed class NodeLossesTests
{
    private static DeviceCapacity Device(string node, string name, DeviceHealth health) => new($"{node}/{name}", node, ["sha256"], 4, 0, health);

    [Fact]
    public void A_loss_waits_until_it_is_carried_out_or_the_node_is_back_and_a_second_removal_replaces_the_first()
    {
        var first = new LostNode("a", "left the cluster", "lost:1");
        var losses = NodeLosses.Empty.Lost(first);
        Assert.True(losses.IsPending("a"));

        var again = new LostNode("a", "was downed", "lost:2");
        Assert.Equal(again, losses.Lost(again).Pending["a"]);

        Assert.False(losses.Settled("a").IsPending("a"));
        Assert.Empty(NodeLosses.Empty.Settled("b").Pending);
    }

    [Fact]
    public void Missed_removals_are_nodes_with_devices_not_lost_that_are_neither_members_nor_pending_each_once()
    {
        var capacity = new CapacitySnapshot(
        [
            Device("gone", "d0", DeviceHealth.Healthy), Device("gone", "d1", DeviceHealth.Healthy),
            Device("member", "d0", DeviceHealth.Healthy),
            Device("marked", "d0", DeviceHealth.Lost),
            Device("waiting", "d0", DeviceHealth.Healthy),
        ], 0);
        var losses = NodeLosses.Empty.Lost(LostNode.Absent("waiting", DateTime.UnixEpoch));

        Assert.Equal(["gone"], losses.Missed(capacity, node => node == "member"));
    }

    [Fact]
    public void An_absent_node_gets_request_ids_of_its_own_so_a_later_loss_of_the_same_name_is_marked_again()
    {
        var earlier = LostNode.Absent("a", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var later = LostNode.Absent("a", new DateTime(2026, 1, 1, 0, 0, 1, DateTimeKind.Utc));

        Assert.StartsWith("lost:absent:", earlier.RequestPrefix);
        Assert.NotEqual(earlier.RequestPrefix, later.RequestPrefix);
        Assert.Equal("is not a member of the cluster", earlier.How);
    }

    [Fact]
    public void The_reconcile_interval_is_configured_and_can_be_turned_off()
    {
        static TimeSpan? Of(string hocon) => NodeLossWatcher.ReconcileEvery(Akka.Configuration.ConfigurationFactory.ParseString(hocon));

        Assert.Equal(TimeSpan.FromSeconds(15), Of(""));
        Assert.Equal(TimeSpan.FromSeconds(5), Of("fabric.control.node-loss.reconcile-every = 5s"));
        Assert.Null(Of("fabric.control.node-loss.reconcile-every = off"));
    }
}
