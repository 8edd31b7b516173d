using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Fabric.Control.Nodes;
using Fabric.Messages.Errors;

namespace Fabric.Control.Gateway;

/// <summary>
/// The compute nodes a gateway has seen come up, by node name, as membership events tell them: a node that comes back
/// at a new address replaces the old one, and the removal of an old incarnation does not take the new one away.
/// </summary>
public sealed record ComputeNodeMap(ImmutableDictionary<string, Address> Nodes)
{
    public static ComputeNodeMap Empty { get; } = new(ImmutableDictionary.Create<string, Address>(StringComparer.Ordinal));

    public ComputeNodeMap Up(Member member) =>
        NodeLossWatcher.NodeNameOf(member) is { } node ? new(Nodes.SetItem(node, member.Address)) : this;

    public ComputeNodeMap Removed(Member member) =>
        NodeLossWatcher.NodeNameOf(member) is { } node && Nodes.TryGetValue(node, out var address) && address == member.Address
            ? new(Nodes.Remove(node))
            : this;

    public bool TryGet(string? host, out Address address) => Nodes.TryGetValue(host ?? "", out address!);

    public Rejected UnknownHost(string? host) => ClusterViews.UnknownHost(host, Nodes.Keys, "is in the cluster");
}
