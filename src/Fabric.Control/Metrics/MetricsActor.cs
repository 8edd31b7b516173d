using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Streams;
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
        Receive<SampleShards>(_ => ShardSampler.Sample(ClusterSharding.Get(Context.System), EntityTypeNames, SampleShardsEvery, _log)
            .PipeTo(Self, success: counts => new ShardsSampled(counts)));
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

        // Every event of the journal from the last offset read, restarting with backoff if the database goes away.
        var self = Self;
        _killSwitch = JournalFollower.Follow(Context.System, Context.Materializer(), _readJournalId, () => Interlocked.Read(ref _offset), e => self.Tell(e));
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
