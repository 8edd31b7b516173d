using Akka.Actor;
using Akka.Cluster.Sharding;
using Fabric.Control.Metrics;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Operator;
using Fabric.Messages.Sharding;

namespace Fabric.Control.Gateway;

/// <summary>
/// The operator gateway's queries that gather from other actors: a node's status, every member's metrics, the shard
/// regions' stats. They run off the actor's thread and touch only their arguments.
/// </summary>
public static class OperatorQueries
{
    /// <summary>
    /// Asks a node agent for its status and copies its lists into arrays: the agent may hand over list types that
    /// only exist in the node's own assembly (collection expressions), which a client process cannot load.
    /// </summary>
    public static async Task<object> NodeStatus(ActorSelection agent, TimeSpan timeout)
    {
        var reply = await agent.Ask<object>(GetNodeStatus.Instance, timeout);
        return reply is NodeStatus status
            ? new NodeStatus(status.Node, status.Devices.Select(d => d with { Functions = d.Functions.ToArray() }).ToArray(), status.Queues.ToArray(), status.Vms?.ToArray())
            : reply;
    }

    /// <summary>Every asked member's metrics, or the one <paramref name="wanted"/> by node name or address; who did not answer is named.</summary>
    public static async Task<object> Metrics(string gateway, (Address Address, Task<NodeMetrics> Reply)[] asks, string? wanted, TimeSpan timeout)
    {
        var nodes = new List<NodeMetrics>();
        var missing = new List<string>();
        foreach (var (address, reply) in asks)
        {
            try
            {
                var metrics = await reply;
                // Copied into arrays: the node may hand over list types a client process cannot load.
                nodes.Add(metrics with
                {
                    Roles = metrics.Roles.ToArray(),
                    Samples = metrics.Samples.Select(s => s with { Tags = s.Tags.ToArray() }).ToArray(),
                });
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                missing.Add($"{address}: no metrics within {timeout.TotalSeconds:0}s (a node without Fabric's metrics, or overloaded)");
            }
        }

        if (wanted is { Length: > 0 })
        {
            nodes = nodes.Where(n => n.Node == wanted || n.Address == wanted || n.Address.EndsWith("@" + wanted, StringComparison.Ordinal)).ToList();
            if (nodes.Count == 0)
            {
                return new Rejected(RejectReason.NotFound, $"no member named '{wanted}' answered; give a node name or a member's address as 'cluster show' lists it"
                    + (missing.Count > 0 ? $" (not answering: {string.Join("; ", missing)})" : ""));
            }

            missing.Clear();
        }

        return new MetricsReport(gateway, nodes.OrderBy(n => n.Node, StringComparer.Ordinal).ThenBy(n => n.Address, StringComparer.Ordinal).ToArray(), missing.ToArray());
    }

    public static async Task<object> ShardingStats(ControlPlane control, TimeSpan timeout)
    {
        var regions = new[]
        {
            (EntityTypes.Device, control.Devices),
            (EntityTypes.Profile, control.Profiles),
            (EntityTypes.Attachment, control.Attachments),
            (EntityTypes.Pipeline, control.Pipelines),
        };
        var types = await Task.WhenAll(regions.Select(r => TypeStats(r.Item1, r.Item2, timeout)));
        return new ShardingStatsView(types);
    }

    private static async Task<EntityTypeShards> TypeStats(string typeName, IActorRef region, TimeSpan timeout)
    {
        try
        {
            var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout / 2), timeout);
            var regions = stats.Regions
                .OrderBy(r => r.Key.ToString(), StringComparer.Ordinal)
                .Select(r => new ShardRegionView(r.Key.ToString(),
                    r.Value.Stats.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new ShardView(s.Key, s.Value)).ToArray(),
                    r.Value.Failed.Order(StringComparer.Ordinal).ToArray()))
                .ToArray();
            return new EntityTypeShards(typeName, regions, null);
        }
        catch (AskTimeoutException)
        {
            return new EntityTypeShards(typeName, [], $"the {typeName} shard coordinator did not answer within {timeout.TotalSeconds:0}s");
        }
    }
}
