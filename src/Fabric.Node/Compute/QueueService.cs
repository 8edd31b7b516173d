using Fabric.Dataplane.Channel;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;

namespace Fabric.Node.Compute;

/// <summary>
/// What the AC's answers to the queues a VM saga asks for mean: the agent's next state, the effects, and the saga's
/// answer. Pure (tested without actors); the agent asks the AC and carries them out.
/// </summary>
public static class QueueService
{
    /// <summary>A VF has no AC queue: closing it gives it back at once (null: the AC drains and removes the queue).</summary>
    public static (ComputeState State, QueueClosed Answer)? ClosedAtOnce(ComputeState state, string queueId) =>
        state.Queues.TryGetValue(queueId, out var entry) && entry.Vf is not null
            ? (state.Apply(new QueueReleased(queueId)), new QueueClosed(queueId, 0))
            : null;

    /// <summary>
    /// The AC's answer to an <see cref="OpenQueue"/>: a queue it serves is attached (its standby armed, its service level
    /// set) and the saga gets its handle; anything else releases the queue and the saga gets why.
    /// </summary>
    public static (ComputeState State, IReadOnlyList<ComputeEffect> Effects, object Answer) Served(ComputeState state, OpenQueue open, object reply)
    {
        var id = open.QueueId;
        if (reply is not QueueAdded added)
        {
            var released = new List<ComputeEffect>();
            state = ComputeEffects.Record(state, new QueueReleased(id), released);
            return (state, released, reply as Rejected ?? new Rejected(RejectReason.IllegalState, (reply as QueueNotAdded)?.Reason ?? $"unexpected answer {reply.GetType().Name}"));
        }

        var g = added.Geometry;
        var handle = open.VhostSocket is not null ? new VhostUserAttachHandle(state.Node, added.ChannelPath)
            : new AttachHandle(state.Node, added.ChannelPath, (int)ChannelLayout.AbiVersion, g.SqEntries, g.CqEntries, g.SlotCount, g.SlotSize);
        var (after, effects) = ComputeEffects.Settle(state, new QueueAttached(id, handle));
        return (after, [new SetServiceLevel(new SetQueueServiceLevel(id, open.Level ?? ServiceLevel.BestEffort)), .. effects], new QueueOpened(id, handle));
    }

    /// <summary>The AC's answer to removing a queue: <paramref name="completed"/> ops finished while it drained, or -1 when it did not answer.</summary>
    public static (ComputeState State, IReadOnlyList<ComputeEffect> Effects, object Answer) Closed(ComputeState state, string queueId, long completed, string core)
    {
        if (completed < 0)
        {
            return (state, [], new Rejected(RejectReason.Timeout, $"{core} did not answer RemoveQueue for {queueId}"));
        }

        var effects = new List<ComputeEffect>();
        return (ComputeEffects.Record(state, new QueueReleased(queueId), effects), effects, new QueueClosed(queueId, completed));
    }

    /// <summary>The node leaves: every AC queue (not VFs) is released here and drained by the effects actor.</summary>
    public static (ComputeState State, DrainQueues Drain) Drained(ComputeState state)
    {
        var queues = state.Queues.Values.Where(q => q.Vf is null).Select(q => q.QueueId).ToArray();
        return (queues.Aggregate(state, (s, id) => s.Apply(new QueueReleased(id))), new DrainQueues(queues));
    }
}
