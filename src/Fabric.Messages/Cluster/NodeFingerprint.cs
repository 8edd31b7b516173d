namespace Fabric.Messages.Cluster;

/// <summary>Asks a fabric-node what it runs on (answered by every node, at <c>/user/fabric-fingerprint</c>).</summary>
public sealed record GetFingerprint : IFabricMessage
{
    public static GetFingerprint Instance { get; } = new();
}

/// <summary>
/// What members of one cluster must agree on: the store they share (its kind and where it is) and the number of
/// shards entities are spread over. A node that differs from the cluster's is refused at start.
/// </summary>
public sealed record NodeFingerprint(string Store, string StoreTarget, int Shards) : IFabricMessage;
