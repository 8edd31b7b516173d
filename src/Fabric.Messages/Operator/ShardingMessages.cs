namespace Fabric.Messages.Operator;

/// <summary>Shards and entities of every AML entity type (device, device-profile, attachment, pipeline), per region.</summary>
public sealed record GetShardingStats : IFabricMessage
{
    public static GetShardingStats Instance { get; } = new();
}

public sealed record ShardView(string ShardId, int Entities) : IFabricMessage;

/// <summary>One shard region (one control node) of an entity type; <paramref name="Failed"/> lists shards that did not answer.</summary>
public sealed record ShardRegionView(string Address, IReadOnlyList<ShardView> Shards, IReadOnlyList<string> Failed) : IFabricMessage;

/// <summary>The regions of one entity type; <paramref name="Error"/> says why there are none when the coordinator did not answer.</summary>
public sealed record EntityTypeShards(string TypeName, IReadOnlyList<ShardRegionView> Regions, string? Error) : IFabricMessage;

public sealed record ShardingStatsView(IReadOnlyList<EntityTypeShards> Types) : IFabricMessage;
