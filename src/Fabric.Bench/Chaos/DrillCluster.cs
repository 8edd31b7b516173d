using Fabric.Messages.Operator;
using Fabric.Messages.Sharding;
using Fabric.Security;
using Fabric.Vim.Client;

namespace Fabric.Bench.Chaos;

/// <summary>
/// A PostgreSQL-backed fabric of <c>fabric-node</c> processes on loopback: h1 and h2 (control + compute, both
/// seeds) and h3 (compute only). Every process it starts is stopped when it is disposed, also after a failure.
/// </summary>
public sealed class DrillCluster : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private DrillCluster(PostgresServer postgres, string folder, IReadOnlyList<NodeProcess> nodes)
    {
        Postgres = postgres;
        Folder = folder;
        Nodes = nodes;
    }

    public PostgresServer Postgres { get; }

    public string Folder { get; }

    public IReadOnlyList<NodeProcess> Nodes { get; }

    public NodeProcess Node(string name) => Nodes.Single(n => n.Name == name);

    /// <summary>Gateway contact points: the control nodes (the VIM client moves to another when one goes).</summary>
    public string Contacts => string.Join(',', Nodes.Where(n => n.HasRole("control")).Select(n => n.Contact));

    public static async Task<DrillCluster> StartAsync(Action<string> progress, CancellationToken cancellation = default)
    {
        var folder = Directory.CreateTempSubdirectory("fabric-drill-").FullName;
        progress("starting a throwaway PostgreSQL server");
        var postgres = await PostgresServer.StartAsync(cancellation);
        var ports = new[] { Loopback.FreePort(), Loopback.FreePort(), Loopback.FreePort() };
        var seeds = new[] { $"akka.tcp://fabric@127.0.0.1:{ports[0]}", $"akka.tcp://fabric@127.0.0.1:{ports[1]}" };
        var database = postgres.ConnectionString();
        var nodes = new[]
        {
            new NodeProcess("h1", ports[0], ["control", "compute"], seeds, database, folder),
            new NodeProcess("h2", ports[1], ["control", "compute"], seeds, database, folder),
            new NodeProcess("h3", ports[2], ["compute"], seeds, database, folder),
        };
        var cluster = new DrillCluster(postgres, folder, nodes);
        try
        {
            // The first seed forms the cluster; the others join it.
            progress($"starting h1 (control, compute) on port {ports[0]}");
            await nodes[0].StartAsync(StartTimeout, cancellation);
            progress("starting h2 (control, compute) and h3 (compute)");
            await Task.WhenAll(nodes[1].StartAsync(StartTimeout, cancellation), nodes[2].StartAsync(StartTimeout, cancellation));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public Task<FabricVimClient> ConnectVimAsync(TimeSpan timeout, int attempts, CancellationToken cancellation = default) =>
        FabricVimClient.ConnectAsync(Contacts, timeout, ClientTls(), attempts, cancellation);

    /// <summary>The operator gateway; a cluster just started may take a while to offer it on a loaded machine (up to 90 s here).</summary>
    public Task<FabricVimClient> ConnectOperatorAsync(CancellationToken cancellation = default) =>
        FabricVimClient.ConnectAsync(Contacts, "/user/operator-gateway", TimeSpan.FromSeconds(10), 9, ClientTls(), cancellation);

    /// <summary>The client certificate of the drill fabric's own CA (made by the first node in the shared data folder).</summary>
    public ClusterTls ClientTls() => LocalTls.LoadClient(NodeProcess.DataFolderOf(Folder));

    /// <summary>The shards of an entity type that the shard region of <paramref name="node"/> hosts.</summary>
    public async Task<IReadOnlySet<string>> ShardsOn(FabricVimClient operatorClient, string entityType, NodeProcess node)
    {
        var stats = await operatorClient.Request<ShardingStatsView>(GetShardingStats.Instance);
        var type = stats.Types.Single(t => t.TypeName == entityType);
        return type.Regions
            .Where(r => r.Address.EndsWith($":{node.Port}", StringComparison.Ordinal))
            .SelectMany(r => r.Shards.Select(s => s.ShardId))
            .ToHashSet();
    }

    /// <summary>The shard an entity id falls in (the fabric's own extractor).</summary>
    public static string ShardOf(string entityId) => Extractor.ShardId(entityId);

    private static readonly FabricMessageExtractor Extractor = new();

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        await Postgres.DisposeAsync();
    }
}
