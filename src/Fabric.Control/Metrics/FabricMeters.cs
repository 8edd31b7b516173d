namespace Fabric.Control.Metrics;

/// <summary>
/// Names of Fabric's meters, instruments and tags: one meter per concern, tags of bounded cardinality (node, host,
/// device, queue pair, status, reason, ...), never an attachment or VM id.
/// </summary>
public static class FabricMeters
{
    /// <summary>The AML: binds, bind latency, attachments by status, devices by health.</summary>
    public const string Control = "Fabric.Control";

    /// <summary>Membership and sharding as this node sees them.</summary>
    public const string Cluster = "Fabric.Cluster";

    /// <summary>The Acceleration Core of a compute node, per device queue pair.</summary>
    public const string Dataplane = "Fabric.Dataplane";

    public static readonly string[] All = [Control, Cluster, Dataplane];

    public const string BindsStarted = "fabric.binds.started";
    public const string BindsSucceeded = "fabric.binds.succeeded";
    public const string BindsFailed = "fabric.binds.failed";
    public const string BindDuration = "fabric.bind.duration";
    public const string Attachments = "fabric.attachments";
    public const string Devices = "fabric.devices";
    public const string QueuePairsCapacity = "fabric.queue_pairs.capacity";
    public const string QueuePairsReserved = "fabric.queue_pairs.reserved";

    public const string Members = "fabric.cluster.members";
    public const string Unreachable = "fabric.cluster.unreachable";
    public const string Shards = "fabric.sharding.shards";
    public const string Entities = "fabric.sharding.entities";

    public const string DataplaneOps = "fabric.dataplane.ops";
    public const string DataplaneIo = "fabric.dataplane.io";
    public const string DataplaneErrors = "fabric.dataplane.errors";
    public const string DataplaneLatency = "fabric.dataplane.latency";
    public const string DataplaneQueues = "fabric.dataplane.queues";
    public const string DataplaneQueuesFaulted = "fabric.dataplane.queues.faulted";
    public const string DataplaneThrottled = "fabric.dataplane.throttled";
    public const string DataplaneTokens = "fabric.dataplane.tokens";
    public const string DataplaneRate = "fabric.dataplane.rate";
    public const string DataplaneShare = "fabric.dataplane.share";

    /// <summary>Bucket bounds of <see cref="BindDuration"/> in milliseconds: a bind takes a few to a few hundred.</summary>
    public static readonly double[] BindDurationBounds = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
}
