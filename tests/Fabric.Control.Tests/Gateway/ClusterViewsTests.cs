using System.Collections.Immutable;
using System.Reflection;
using Akka.Actor;
using Akka.Cluster;
using Akka.Util;
using Fabric.Control.Gateway;
using Fabric.Messages.Errors;
using Xunit;

namespace Fabric.Control.Tests.Gateway;

/// <summary>What the gateways tell of the membership and which compute nodes they send to, without a cluster.</summary>
public sealed class ClusterViewsTests
{
    // Akka makes members only inside the cluster (Member.Create is internal): the views are pure, so a member is made directly.
    private static readonly MethodInfo CreateMember = typeof(Member).GetMethod("Create", BindingFlags.NonPublic | BindingFlags.Static,
        [typeof(UniqueAddress), typeof(int), typeof(MemberStatus), typeof(ImmutableHashSet<string>), typeof(AppVersion)])!;

    private static Member Node(int port, MemberStatus status, params string[] roles) => (Member)CreateMember.Invoke(null,
        [new UniqueAddress(new Address("akka.tcp", "fabric", "127.0.0.1", port), port), 1, status, roles.ToImmutableHashSet(), AppVersion.Zero])!;

    [Fact]
    public void A_member_is_found_by_host_and_port_whatever_the_scheme_and_anything_else_is_refused_with_what_to_give()
    {
        var members = new[] { Node(4001, MemberStatus.Up, "control"), Node(4002, MemberStatus.Up, "node:a") };

        Assert.Equal(4002, ClusterViews.MemberAt("akka.ssl.tcp://fabric@127.0.0.1:4002", members).Member!.Address.Port);

        var malformed = ClusterViews.MemberAt("not an address", members).Refusal!;
        Assert.Equal(RejectReason.InvalidArgument, malformed.Reason);
        Assert.Contains("use akka.tcp://fabric@host:port", malformed.Message);

        var stranger = ClusterViews.MemberAt("akka.tcp://fabric@127.0.0.1:4999", members).Refusal!;
        Assert.Equal(RejectReason.NotFound, stranger.Reason);
        Assert.Contains("members: akka.tcp://fabric@127.0.0.1:4001, akka.tcp://fabric@127.0.0.1:4002", stranger.Message);
    }

    [Fact]
    public void Compute_nodes_are_the_Up_members_with_a_node_role_by_name()
    {
        var members = new[] { Node(4001, MemberStatus.Up, "control"), Node(4002, MemberStatus.Up, "node:a"), Node(4003, MemberStatus.Joining, "node:b") };

        var nodes = ClusterViews.ComputeNodes(members);

        Assert.Equal(["a"], nodes.Keys);
        Assert.Contains("compute nodes: a", ClusterViews.UnknownHost("b", nodes.Keys, "is up in the cluster").Message);
        Assert.Contains("compute nodes: none", ClusterViews.UnknownHost("b", [], "is up in the cluster").Message);
    }

    [Fact]
    public void A_node_back_at_a_new_address_replaces_the_old_and_the_old_ones_removal_keeps_it()
    {
        var old = Node(4002, MemberStatus.Up, "node:a");
        var back = Node(4012, MemberStatus.Up, "node:a");

        var map = ComputeNodeMap.Empty.Up(old).Up(back).Removed(old);

        Assert.True(map.TryGet("a", out var address));
        Assert.Equal(4012, address.Port);
        Assert.False(map.Removed(back).TryGet("a", out _));
        Assert.Same(map, map.Up(Node(4001, MemberStatus.Up, "control")));
        Assert.Equal(RejectReason.NotFound, map.UnknownHost(null).Reason);
    }
}
