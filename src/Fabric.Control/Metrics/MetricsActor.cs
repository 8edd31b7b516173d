using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Fabric.Messages;
using Fabric.Messages.Operator;
using Fabric.Messages.Sharding;

namespace Fabric.Control.Metrics;

/// <summary>
/// <c>/user/fabric-metrics</c> on every node: answers <see cref="GetNodeMetrics"/> with this node's readings. On a
/// control node it also keeps the gauges' sources fresh: it follows the whole journal (the read side: no extra tags
/// written, nothing asked of the entities) for attachments by status and devices by health, and samples its shard
/// regions for shards and entities per type.
/// </summary>
public sealed class MetricsActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan PublishEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SampleShardsEvery = TimeSpan.FromSeconds(5);
    private static readonly string[] EntityTypeNames = [EntityTypes.Device, EntityTypes.Profile, EntityTypes.Attachment, EntityTypes.Pipeline];

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly FabricMetrics _metrics;
    private readonly string _readJournalId;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ControlReadSide _readSide = new();
    private bool _dirty;
    private long _offset;
    private UniqueKillSwitch? _killSwitch;

    public MetricsActor(FabricMetrics metrics, string readJournalId)
    {
        _metrics = metrics;
        _readJournalId = readJournalId;
        Receive<EventEnvelope>(envelope =>
        {
            if (envelope.Event is IFabricEvent e)
            {
                _readSide.Apply(e, envelope.SequenceNr);
                _dirty = true;
            }

            if (envelope.Offset is Sequence sequence && sequence.Value > _offset)
            {
                Interlocked.Exchange(ref _offset, sequence.Value);
            }
        });
        Receive<Publish>(_ => PublishCounts());
        Receive<SampleShards>(_ => Sample().PipeTo(Self));
        Receive<ShardsSampled>(sampled => _metrics.ShardCounts = sampled.Counts);
        Receive<GetNodeMetrics>(_ =>
        {
            PublishCounts();
            Sender.Tell(new NodeMetrics(_metrics.NodeName, _cluster.SelfAddress.ToString(),
                _cluster.SelfRoles.Where(r => r is ControlPlane.ControlRole or "compute").Order(StringComparer.Ordinal).ToArray(),
                DateTimeOffset.UtcNow, _metrics.Reader.Read()));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(FabricMetrics metrics, string readJournalId) => Akka.Actor.Props.Create(() => new MetricsActor(metrics, readJournalId));

    private bool IsControl => _cluster.SelfRoles.Contains(ControlPlane.ControlRole);

    protected override void PreStart()
    {
        if (!IsControl)
        {
            return;
        }

        _killSwitch = FollowJournal();
        Timers.StartPeriodicTimer(Publish.Instance, Publish.Instance, PublishEvery);
        Timers.StartPeriodicTimer(SampleShards.Instance, SampleShards.Instance, TimeSpan.Zero, SampleShardsEvery);
    }

    protected override void PostStop() => _killSwitch?.Shutdown();

    private void PublishCounts()
    {
        if (_dirty || (IsControl && _metrics.Counts is null))
        {
            _dirty = false;
            _metrics.Counts = _readSide.Counts();
        }
    }

    /// <summary>Every event of the journal from the last offset read, restarting with backoff if the database goes away.</summary>
    private UniqueKillSwitch FollowJournal()
    {
        var system = Context.System;
        var self = Self;
        var settings = RestartSettings.Create(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), 0.2);
        return RestartSource
            .OnFailuresWithBackoff(() => Source.Lazily(() =>
                PersistenceQuery.Get(system).ReadJournalFor<IAllEventsQuery>(_readJournalId).AllEvents(Offset.Sequence(Interlocked.Read(ref _offset)))), settings)
            .ViaMaterialized(KillSwitches.Single<EventEnvelope>(), Keep.Right)
            .ToMaterialized(Sink.ForEach<EventEnvelope>(e => self.Tell(e)), Keep.Left)
            .Run(Context.Materializer());
    }

    /// <summary>Asks this node's shard regions what they host. Runs off the actor's thread.</summary>
    private async Task<ShardsSampled> Sample()
    {
        var sharding = ClusterSharding.Get(Context.System);
        var log = _log;
        var counts = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        var regions = new List<(string Type, IActorRef Region)>();
        foreach (var type in EntityTypeNames)
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
                var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, SampleShardsEvery);
                counts[type] = (state.Shards.Count, state.Shards.Sum(s => s.EntityIds.Count));
            }
            catch (AskTimeoutException)
            {
                log.Warning("metrics: the {0} shard region did not report its shards within {1}s", type, SampleShardsEvery.TotalSeconds);
            }
        }

        return new ShardsSampled(counts);
    }

    private sealed record Publish
    {
        public static Publish Instance { get; } = new();
    }

    private sealed record SampleShards
    {
        public static SampleShards Instance { get; } = new();
    }

    private sealed record ShardsSampled(IReadOnlyDictionary<string, (int Shards, int Entities)> Counts);
}
