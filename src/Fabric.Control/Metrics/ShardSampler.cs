using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;

namespace Fabric.Control.Metrics;

/// <summary>Shards and entities per entity type that this node's shard regions host, for the metrics gauges.</summary>
public static class ShardSampler
{
    /// <summary>Asks this node's shard regions what they host. Runs off the actor's thread and touches only its arguments.</summary>
    public static async Task<IReadOnlyDictionary<string, (int Shards, int Entities)>> Sample(ClusterSharding sharding, IReadOnlyList<string> entityTypes, TimeSpan timeout, ILoggingAdapter log)
    {
        var counts = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        var regions = new List<(string Type, IActorRef Region)>();
        foreach (var type in entityTypes)
        {
            try
            {
                regions.Add((type, sharding.ShardRegion(type)));
            }
            catch (ArgumentException)
            {
                // Not started (yet) on this node: nothing hosted.
            }
        }

        foreach (var (type, region) in regions)
        {
            try
            {
                var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, timeout);
                counts[type] = (state.Shards.Count, state.Shards.Sum(s => s.EntityIds.Count));
            }
            catch (AskTimeoutException)
            {
                log.Warning("metrics: the {0} shard region did not report its shards within {1}s", type, timeout.TotalSeconds);
            }
        }

        return counts;
    }
}
