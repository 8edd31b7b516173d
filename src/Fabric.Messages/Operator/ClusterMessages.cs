namespace Fabric.Messages.Operator;

// What an operator tool (fabric-cmd) asks the operator gateway about the cluster's membership. Addresses are
// strings (akka.tcp://fabric@host:port) so that the wire carries no Akka types a client would have to agree on.

/// <summary>Who is in the cluster, as the answering control node sees it.</summary>
public sealed record GetClusterState : IFabricMessage
{
    public static GetClusterState Instance { get; } = new();
}

/// <summary>One member: its address, status (Joining, Up, Leaving, Exiting, Down, ...), roles, node name (compute nodes) and reachability.</summary>
public sealed record ClusterMemberView(string Address, string Status, IReadOnlyList<string> Roles, string? NodeName, bool Reachable) : IFabricMessage;

/// <summary>The membership seen from <paramref name="Gateway"/> (the control node that answered).</summary>
public sealed record ClusterStateView(string Gateway, IReadOnlyList<ClusterMemberView> Members, string? Leader, IReadOnlyList<string> Unreachable) : IFabricMessage;

/// <summary>Ask the member at <paramref name="Address"/> to leave gracefully (its shards are handed over first). Idempotent by nature.</summary>
public sealed record LeaveMember(string Address) : IFabricMessage;

/// <summary>Mark the member at <paramref name="Address"/> down (it is gone; its shards move, its entities recover elsewhere). Idempotent by nature.</summary>
public sealed record DownMember(string Address) : IFabricMessage;

/// <summary>The leave or down was handed to the cluster; membership changes follow (watch them with <c>cluster tail</c>).</summary>
public sealed record MemberCommandAccepted(string Address, string Action, string StatusBefore) : IFabricMessage;
