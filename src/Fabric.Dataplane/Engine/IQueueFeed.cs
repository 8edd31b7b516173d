namespace Fabric.Dataplane.Engine;

/// <summary>
/// Something that is not a guest's channel but feeds a queue through one the AC created for it (a vhost-user
/// backend, <see cref="AcVhostQueue"/>): the owning worker runs it on every visit of the queue, so it shares the
/// queue's scheduling lane, counters, deadlines, fault signals and driver swaps. Worker thread only, no allocation.
/// </summary>
internal interface IQueueFeed : IDisposable
{
    /// <summary>Before the queue's own pass: answers what the queue finished, then posts new requests when <paramref name="take"/>.</summary>
    int Feed(bool take);

    /// <summary>After the queue's pass: answers what it finished.</summary>
    int Answer();

    /// <summary>Requests are waiting outside the channel, or may be (the scheduler's "backlogged").</summary>
    bool HasWork { get; }

    /// <summary>Nothing is held outside the channel (a drain may end).</summary>
    bool Idle { get; }

    /// <summary>The queue closed: whatever is still held is answered with an error.</summary>
    void Close();
}
