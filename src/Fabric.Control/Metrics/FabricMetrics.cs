using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Fabric.Messages.Attachments;

namespace Fabric.Control.Metrics;

/// <summary>
/// The metrics of one node (one actor system): its meters (<see cref="FabricMeters"/>), the bind instruments the
/// attachment entities feed, the gauges of the control plane's read side and of the cluster, and a
/// <see cref="MetricsReader"/> over exactly these meters. Making it is cheap; <see cref="Serve"/> starts the
/// <c>/user/fabric-metrics</c> actor that follows the journal for the gauges and answers <c>GetNodeMetrics</c>.
/// </summary>
public sealed class FabricMetrics : IExtension, IDisposable
{
    public const string ActorName = "fabric-metrics";

    private readonly ExtendedActorSystem _system;
    private readonly List<Meter> _meters = [];
    private readonly KeyValuePair<string, object?> _node;
    private ControlCounts? _counts;
    private IReadOnlyDictionary<string, (int Shards, int Entities)>? _shardCounts;
    private int _serving;
    private int _disposed;

    public FabricMetrics(ExtendedActorSystem system)
    {
        _system = system;
        NodeName = system.Settings.Config.GetString("fabric.node-name", "") ?? "";
        _node = new("node", NodeName);
        Reader = new MetricsReader();

        var control = CreateMeter(FabricMeters.Control);
        Binds = new BindMetrics(control, NodeName);
        control.CreateObservableGauge(FabricMeters.Attachments, ObserveAttachments, "{attachment}",
            "attachments that are not deleted, by status, as this control node has read the journal");
        control.CreateObservableGauge(FabricMeters.Devices, ObserveDevices, "{device}",
            "registered devices by host, health and maintenance switch (enabled), as this control node has read the journal");
        control.CreateObservableGauge(FabricMeters.QueuePairsCapacity, () => ObserveQueuePairs(reserved: false), "{queue_pair}",
            "queue pairs of the devices of each host");
        control.CreateObservableGauge(FabricMeters.QueuePairsReserved, () => ObserveQueuePairs(reserved: true), "{queue_pair}",
            "queue pairs of each host's devices held by attachments");

        var cluster = CreateMeter(FabricMeters.Cluster);
        cluster.CreateObservableGauge(FabricMeters.Members, ObserveMembers, "{member}", "cluster members by status and role, as this node sees them");
        cluster.CreateObservableGauge(FabricMeters.Unreachable, ObserveUnreachable, "{member}", "members this node's failure detector finds unreachable");
        cluster.CreateObservableGauge(FabricMeters.Shards, () => ObserveShards(entities: false), "{shard}", "shards of each entity type hosted on this node");
        cluster.CreateObservableGauge(FabricMeters.Entities, () => ObserveShards(entities: true), "{entity}", "entities of each type running on this node");

        system.RegisterOnTermination(Dispose);
    }

    public static FabricMetrics Get(ActorSystem system) => system.WithExtension<FabricMetrics, FabricMetricsProvider>();

    /// <summary>The <c>node</c> tag of every series: this node's name (<c>fabric.node-name</c>).</summary>
    public string NodeName { get; }

    public BindMetrics Binds { get; }

    public MetricsReader Reader { get; }

    /// <summary>What the read side last counted; null until this node follows the journal (control nodes that serve).</summary>
    internal ControlCounts? Counts
    {
        get => Volatile.Read(ref _counts);
        set => Volatile.Write(ref _counts, value);
    }

    /// <summary>Shards and entities per entity type on this node, from the last sample; null until sampled.</summary>
    internal IReadOnlyDictionary<string, (int Shards, int Entities)>? ShardCounts
    {
        get => Volatile.Read(ref _shardCounts);
        set => Volatile.Write(ref _shardCounts, value);
    }

    /// <summary>A meter of this node, read by <see cref="Reader"/> and disposed with the actor system.</summary>
    public Meter CreateMeter(string name)
    {
        var meter = new Meter(name, typeof(FabricMetrics).Assembly.GetName().Version?.ToString());
        Reader.Add(meter);
        lock (_meters)
        {
            _meters.Add(meter);
        }

        return meter;
    }

    /// <summary>Starts <c>/user/fabric-metrics</c> once (later calls do nothing).</summary>
    public void Serve()
    {
        if (Interlocked.Exchange(ref _serving, 1) == 0)
        {
            _system.ActorOf(MetricsActor.Props(this, ControlPlane.ReadJournalId), ActorName);
        }
    }

    private IEnumerable<Measurement<int>> ObserveAttachments()
    {
        if (Counts is not { } counts)
        {
            return [];
        }

        return counts.Attachments.Select(a => new Measurement<int>(a.Value, _node, new("status", a.Key.ToString())));
    }

    private IEnumerable<Measurement<int>> ObserveDevices()
    {
        if (Counts is not { } counts)
        {
            return [];
        }

        return counts.Devices.Select(d => new Measurement<int>(d.Value, _node, new("host", d.Key.Host),
            new("health", d.Key.Health.ToString()), new("enabled", d.Key.Enabled ? "true" : "false")));
    }

    private IEnumerable<Measurement<int>> ObserveQueuePairs(bool reserved)
    {
        if (Counts is not { } counts)
        {
            return [];
        }

        return counts.QueuePairsByHost.Select(h => new Measurement<int>(reserved ? h.Value.Reserved : h.Value.Capacity, _node, new("host", h.Key)));
    }

    private IEnumerable<Measurement<int>> ObserveMembers()
    {
        if (Stopped)
        {
            return [];
        }

        var state = Cluster.Get(_system).State;
        return state.Members
            .SelectMany(m => RolesOf(m).Select(role => (Status: m.Status.ToString(), Role: role)))
            .GroupBy(m => m)
            .Select(g => new Measurement<int>(g.Count(), _node, new("status", g.Key.Status), new("role", g.Key.Role)))
            .ToArray();
    }

    private IEnumerable<Measurement<int>> ObserveUnreachable()
    {
        if (Stopped)
        {
            return [];
        }

        return [new Measurement<int>(Cluster.Get(_system).State.Unreachable.Count, _node)];
    }

    private IEnumerable<Measurement<int>> ObserveShards(bool entities)
    {
        if (ShardCounts is not { } shards)
        {
            return [];
        }

        return shards.Select(s => new Measurement<int>(entities ? s.Value.Entities : s.Value.Shards, _node, new("type", s.Key)));
    }

    /// <summary>The Fabric roles of a member (its <c>node:</c> and data-centre roles are not labels worth a series).</summary>
    private static IEnumerable<string> RolesOf(Member member)
    {
        var roles = member.Roles.Where(r => r is ControlPlane.ControlRole or "compute").Order(StringComparer.Ordinal).ToArray();
        return roles.Length == 0 ? ["none"] : roles;
    }

    private bool Stopped => Volatile.Read(ref _disposed) != 0 || _system.WhenTerminated.IsCompleted;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_meters)
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }

        Reader.Dispose();
    }
}

public sealed class FabricMetricsProvider : ExtensionIdProvider<FabricMetrics>
{
    public override FabricMetrics CreateExtension(ExtendedActorSystem system) => new(system);
}
