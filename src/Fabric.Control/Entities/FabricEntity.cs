using Akka.Actor;
using Fabric.Messages;
using Fabric.Messages.Errors;

namespace Fabric.Control.Entities;

/// <summary>
/// The shape every AML entity shares: state as an immutable record with pure decide/apply functions
/// (<see cref="IEntityState{TState}"/>), commands answered from the request log when retried, events persisted then
/// applied, a snapshot every <see cref="SnapshotEvery"/> events, and a journal failure answered with
/// <see cref="RejectReason.PersistenceFailed"/> (the actor then stops and recovers its last persisted state on the next
/// message); a failed recovery answers the commands that waited for it with the same reason. What differs between
/// entity types is an <see cref="EntityShape{TState}"/>; an entity reaches its base only through the few members below.
/// </summary>
public abstract class FabricEntity<TState> : JournaledEntity<TState>
    where TState : class, IEntityState<TState>
{
    public const int SnapshotEvery = 100;

    private readonly EntityShape<TState> _shape;
    private WriteLedger _writes = WriteLedger.Empty;
    private IActorRef _persistingFor = ActorRefs.Nobody;

    protected FabricEntity(EntityShape<TState> shape, string entityId, TState empty)
        : base(shape.Type, entityId, empty, shape.TakesSnapshots)
    {
        _shape = shape;
    }

    /// <summary>Called once per event after it is persisted and applied (not on recovery): tell the world.</summary>
    protected virtual void OnPersisted(IFabricEvent e)
    {
    }

    /// <summary>
    /// Hook for entities with work in flight when a write fails; <paramref name="told"/> (the sender of the message
    /// whose handling persisted) already got <paramref name="rejected"/>.
    /// </summary>
    protected virtual void OnPersistenceFailed(Rejected rejected, IActorRef told)
    {
    }

    /// <summary>A retry of a request already answered: answer it again and skip the command.</summary>
    protected bool AnsweredBefore(IFabricCommand command)
    {
        if (!State.Requests.TryGet(command.RequestId, out var reply))
        {
            return false;
        }

        ReplyWhenDurable(reply);
        return true;
    }

    /// <summary>Answer now, or, with pipelined writes in flight, once they are in the journal (the answer may rest on them).</summary>
    protected void ReplyWhenDurable(object reply)
    {
        if (_writes.Idle)
        {
            Sender.Tell(reply);
            return;
        }

        var sender = Sender;
        _writes = _writes.Waiting(sender);
        DeferAsync(reply, r => Settle(sender, r, 0));
    }

    /// <summary>
    /// Carry out a decision and answer the sender: the refusal, or <paramref name="reply"/> of the state after the
    /// decision's events once they are persisted.
    /// </summary>
    protected void Answer(Decision decision, Func<TState, object> reply)
    {
        if (decision.Rejection is { } rejected)
        {
            ReplyWhenDurable(rejected);
        }
        else if (!_shape.PipelinesWrites || decision.Events.Count == 0)
        {
            PersistEvents(decision.Events, () => ReplyWhenDurable(reply(State)));
        }
        else if (_shape.TakesSnapshots && _writes.MustDrainFirst(SnapshotEvery))
        {
            // Only with nothing in flight is the state exactly what the journal holds: the last write takes the
            // snapshot, then this command comes again.
            Stash.Stash();
        }
        else
        {
            Pipeline(decision.Events, reply);
        }
    }

    /// <summary>Persist events; <paramref name="then"/> runs once, after the last one is applied.</summary>
    protected void PersistEvents(IReadOnlyList<IFabricEvent> events, Action then)
    {
        if (events.Count == 0)
        {
            then();
            return;
        }

        _persistingFor = Sender;
        var remaining = events.Count;
        PersistAll(EventTags.Tag(events, _shape.Tags), persisted =>
        {
            var e = EventTags.Untag(persisted);
            State = Replay(State, e);
            OnPersisted(e);
            _writes = _writes.Persisted(1);
            SnapshotIfDue();

            if (--remaining == 0)
            {
                _persistingFor = ActorRefs.Nobody;
                then();
            }
        });
    }

    /// <summary>A pipelined write: the state moves on at once, the answer waits for the journal.</summary>
    private void Pipeline(IReadOnlyList<IFabricEvent> events, Func<TState, object> reply)
    {
        var sender = Sender;
        _writes = _writes.Waiting(sender);
        foreach (var e in events)
        {
            State = Replay(State, e);
        }

        var answer = reply(State);
        var remaining = events.Count;
        PersistAllAsync(EventTags.Tag(events, _shape.Tags), persisted =>
        {
            OnPersisted(EventTags.Untag(persisted));
            if (--remaining == 0)
            {
                Settle(sender, answer, events.Count);
            }
        });
    }

    /// <summary>The oldest write in flight is in the journal: its requester hears, and once nothing is in flight the snapshot that was due is taken and the commands that waited for it come again.</summary>
    private void Settle(IActorRef requester, object answer, int persisted)
    {
        _writes = _writes.Answered().Persisted(persisted);
        requester.Tell(answer);
        if (!_writes.Idle)
        {
            return;
        }

        SnapshotIfDue();
        Stash.UnstashAll();
    }

    /// <summary>Only with nothing in flight is the state exactly what the journal holds: callers make sure.</summary>
    private void SnapshotIfDue()
    {
        if (_shape.TakesSnapshots && _writes.SnapshotDue(SnapshotEvery))
        {
            _writes = _writes.SnapshotTaken();
            SaveSnapshot(State);
        }
    }

    /// <summary>The event applied, and the answer its command gives logged for retries.</summary>
    protected sealed override TState Replay(TState state, IFabricEvent e)
    {
        var next = state.Apply(e);
        return next.WithRequests(next.Requests.Record(e.RequestId, _shape.ReplyFor(next, e)));
    }

    protected sealed override void PersistenceFailed(Rejected rejected)
    {
        if (!_writes.Idle)
        {
            // Pipelined: the state ran ahead of the journal. Tell everyone waiting, and start again from the journal
            // (after a failure Akka stops the entity itself; after a rejection it would go on).
            _writes = _writes.Failed(out var waiting);
            foreach (var requester in waiting)
            {
                requester.Tell(rejected);
            }

            Context.Stop(Self);
            return;
        }

        var told = _persistingFor;
        told.Tell(rejected);
        _persistingFor = ActorRefs.Nobody;
        OnPersistenceFailed(rejected, told);
    }
}
