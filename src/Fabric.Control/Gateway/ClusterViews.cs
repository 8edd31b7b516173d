using Akka.Actor;
using Akka.Cluster;
using Fabric.Control.Nodes;
using Fabric.Messages.Errors;
using Fabric.Messages.Operator;
using Fabric.Messages.Vim;

namespace Fabric.Control.Gateway;

/// <summary>What the gateways tell of the cluster, as pure functions of its membership.</summary>
public static class ClusterViews
{
    /// <summary>Compute nodes that are Up, by node name.</summary>
    public static Dictionary<string, Address> ComputeNodes(IEnumerable<Member> members)
    {
        var nodes = new Dictionary<string, Address>(StringComparer.Ordinal);
        foreach (var member in members.Where(m => m.Status == MemberStatus.Up))
        {
            if (NodeLossWatcher.NodeNameOf(member) is { } node)
            {
                nodes[node] = member.Address;
            }
        }

        return nodes;
    }

    public static GatewayInfo Info(IEnumerable<string> computeNodes, IEnumerable<Member> members) => new(
        computeNodes.Order(StringComparer.Ordinal).ToArray(),
        members.Where(m => m.HasRole(ControlPlane.ControlRole)).Select(m => m.Address.ToString()).ToArray());

    public static ClusterStateView State(ClusterEvent.CurrentClusterState state, Address self)
    {
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = state.Members
            .Select(m => new ClusterMemberView(m.Address.ToString(), m.Status.ToString(), m.Roles.Order(StringComparer.Ordinal).ToArray(),
                NodeLossWatcher.NodeNameOf(m), !unreachable.Contains(m.Address)))
            .ToArray();
        return new ClusterStateView(self.ToString(), members, state.Leader?.ToString(),
            unreachable.Select(a => a.ToString()).Order(StringComparer.Ordinal).ToArray());
    }

    /// <summary>
    /// The member an operator names by its address; the scheme (akka.tcp, or akka.ssl.tcp with TLS) is the cluster's,
    /// not the operator's to get right: host:port names the member. Otherwise the refusal that says what to give.
    /// </summary>
    public static (Member? Member, Rejected? Refusal) MemberAt(string? address, IReadOnlyCollection<Member> members)
    {
        Address parsed;
        try
        {
            parsed = Address.Parse(address ?? "");
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException)
        {
            return (null, new Rejected(RejectReason.InvalidArgument, $"'{address}' is not a member address; use akka.tcp://fabric@host:port as 'cluster show' lists it"));
        }

        var member = members.FirstOrDefault(m => m.Address.System == parsed.System && m.Address.Host == parsed.Host && m.Address.Port == parsed.Port);
        return member is not null
            ? (member, null)
            : (null, new Rejected(RejectReason.NotFound, $"{parsed} is not a member of the cluster; members: {string.Join(", ", members.Select(m => m.Address.ToString()))}"));
    }

    /// <summary>The refusal for a request to a compute node that is not (Up) in the cluster.</summary>
    public static Rejected UnknownHost(string? host, IEnumerable<string> computeNodes, string where)
    {
        var names = computeNodes.Order().ToArray();
        return new Rejected(RejectReason.NotFound,
            $"no compute node named '{host}' {where}; compute nodes: {(names.Length == 0 ? "none" : string.Join(", ", names))}");
    }

    public static ClusterMemberEvent MemberEvent(ClusterEvent.IMemberEvent e) => Event(e.GetType().Name, e.Member);

    public static ClusterMemberEvent Event(string kind, Member member) => new(
        DateTimeOffset.UtcNow, kind, member.Address.ToString(), member.Status.ToString(),
        member.Roles.Order(StringComparer.Ordinal).ToArray(), NodeLossWatcher.NodeNameOf(member));

    public static ClusterMemberEvent LeaderChanged(Address? leader) => new(DateTimeOffset.UtcNow, "LeaderChanged", leader?.ToString() ?? "", "", [], null);
}
