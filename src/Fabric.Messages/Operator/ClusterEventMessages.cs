namespace Fabric.Messages.Operator;

/// <summary>Subscribe the sender to <see cref="ClusterMemberEvent"/>s. Repeat it now and then: a subscription lapses after its lease.</summary>
public sealed record SubscribeClusterEvents : IFabricMessage
{
    public static SubscribeClusterEvents Instance { get; } = new();
}

public sealed record ClusterEventsSubscribed(TimeSpan Lease) : IFabricMessage;

/// <summary>
/// A membership change seen by the gateway: <paramref name="Kind"/> is MemberJoined, MemberUp, MemberLeft, MemberExited,
/// MemberRemoved, MemberDowned, Unreachable, Reachable or LeaderChanged.
/// </summary>
public sealed record ClusterMemberEvent(DateTimeOffset At, string Kind, string Address, string Status, IReadOnlyList<string> Roles, string? NodeName) : IFabricMessage;
