using System.Collections.Immutable;
using Akka.Cluster;
using Fabric.Messages.Devices;
using Fabric.Messages.Placement;

namespace Fabric.Control.Nodes;

/// <summary>A compute node whose loss is to be carried out: how it was lost, and the prefix of the request ids that mark it (idempotent).</summary>
public sealed record LostNode(string Node, string How, string RequestPrefix)
{
    /// <summary>A node removed from the cluster; the request ids are those of this incarnation (its uid).</summary>
    public static LostNode Removed(string node, ClusterEvent.MemberRemoved removed) => new(node,
        removed.PreviousStatus == MemberStatus.Down ? "was downed" : "left the cluster", $"lost:{removed.Member.UniqueAddress.Uid}");

    /// <summary>A node found absent by reconciling (a removal the singleton did not see).</summary>
    public static LostNode Absent(string node, DateTime now) => new(node, "is not a member of the cluster", $"lost:absent:{now.Ticks}");
}

/// <summary>The compute nodes whose loss is not carried out yet, by name (pure: the watcher keeps the current one).</summary>
public sealed record NodeLosses(ImmutableDictionary<string, LostNode> Pending)
{
    public static NodeLosses Empty { get; } = new(ImmutableDictionary.Create<string, LostNode>(StringComparer.Ordinal));

    public bool IsPending(string node) => Pending.ContainsKey(node);

    public NodeLosses Lost(LostNode lost) => new(Pending.SetItem(lost.Node, lost));

    /// <summary>Carried out, or back before it was: nothing (more) to mark.</summary>
    public NodeLosses Settled(string node) => new(Pending.Remove(node));

    /// <summary>Nodes with devices not lost that are neither members nor pending: their removal was missed.</summary>
    public IReadOnlyList<string> Missed(CapacitySnapshot capacity, Func<string, bool> isMember) => capacity.Devices
        .Where(d => d.Health != DeviceHealth.Lost)
        .Select(d => d.Node)
        .Distinct()
        .Where(node => !isMember(node) && !IsPending(node))
        .ToArray();
}
