using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Fabric.Messages;
using Fabric.Messages.Errors;

namespace Fabric.Control.Entities;

/// <summary>
/// The shape every AML entity shares: state as an immutable record with pure decide/apply functions, commands
/// answered from the request log when retried, events persisted then applied, a snapshot every
/// <see cref="SnapshotEvery"/> events, and a journal failure answered with <see cref="RejectReason.PersistenceFailed"/>
/// (the actor then stops and recovers its last persisted state on the next message).
/// </summary>
public abstract class FabricEntity<TState> : ReceivePersistentActor
    where TState : class
{
    public const int SnapshotEvery = 100;

    private int _eventsSinceSnapshot;
    private IActorRef _persistingFor = ActorRefs.Nobody;

    protected FabricEntity(string entityType, string entityId, TState empty)
    {
        EntityId = entityId;
        PersistenceId = $"{entityType}-{entityId}";
        State = empty;

        // An entity without snapshots starts against Akka's no-op snapshot store. Even with no snapshot wanted, recovery
        // first asks the snapshot store, and the SQL one answers in turn with the snapshots other entities save: under
        // load a new attachment waited 100-450 ms there. (TakesSnapshots is a constant of each entity type.)
        if (!TakesSnapshots)
        {
            SnapshotPluginId = "akka.persistence.no-snapshot-store";
        }

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is TState snapshot)
            {
                State = snapshot;
            }
        });
        Recover<IFabricEvent>(e => State = ApplyAndLog(State, e));
        // Journals that keep tags with the payload (the in-memory ones) replay the Tagged wrapper.
        Recover<Tagged>(t =>
        {
            if (t.Payload is IFabricEvent e)
            {
                State = ApplyAndLog(State, e);
            }
        });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => Log.Warning(f.Cause, "{0}: snapshot failed; recovery replays more events", PersistenceId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId { get; }

    /// <summary>
    /// Whether this entity keeps snapshots. An entity with a short journal by nature is cheaper without: starting
    /// it then skips the snapshot store's query altogether.
    /// </summary>
    protected virtual bool TakesSnapshots => true;

    public override Recovery Recovery => TakesSnapshots ? base.Recovery : new Recovery(SnapshotSelectionCriteria.None);

    protected string EntityId { get; }

    protected TState State { get; private set; }

    /// <summary>The event applied to the state (pure).</summary>
    protected abstract TState Apply(TState state, IFabricEvent e);

    /// <summary>The request log inside the state.</summary>
    protected abstract RequestLog RequestsOf(TState state);

    protected abstract TState WithRequests(TState state, RequestLog requests);

    /// <summary>The answer a command that wrote <paramref name="e"/> gives, from the state after it.</summary>
    protected abstract object ReplyFor(TState state, IFabricEvent e);

    /// <summary>Journal tags of an event (for read models); none by default.</summary>
    protected virtual IReadOnlySet<string> TagsOf(IFabricEvent e) => NoTags;

    protected static readonly IReadOnlySet<string> NoTags = new HashSet<string>();

    /// <summary>A retry of a request already answered: answer it again and skip the command.</summary>
    protected bool AnsweredBefore(IFabricCommand command)
    {
        if (!RequestsOf(State).TryGet(command.RequestId, out var reply))
        {
            return false;
        }

        Sender.Tell(reply);
        return true;
    }

    /// <summary>Carry out a decision: refuse, or persist its events and then run <paramref name="then"/>.</summary>
    protected void Carry(Decision decision, Action then)
    {
        if (decision.Rejection is { } rejected)
        {
            Sender.Tell(rejected);
            return;
        }

        PersistEvents(decision.Events, then);
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
        var tagged = new object[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var tags = TagsOf(events[i]);
            tagged[i] = tags.Count == 0 ? events[i] : new Tagged(events[i], tags);
        }

        PersistAll(tagged, persisted =>
        {
            var e = (IFabricEvent)(persisted is Tagged t ? t.Payload : persisted);
            State = ApplyAndLog(State, e);
            OnPersisted(e);
            if (TakesSnapshots && ++_eventsSinceSnapshot >= SnapshotEvery)
            {
                _eventsSinceSnapshot = 0;
                SaveSnapshot(State);
            }

            if (--remaining == 0)
            {
                _persistingFor = ActorRefs.Nobody;
                then();
            }
        });
    }

    private TState ApplyAndLog(TState state, IFabricEvent e)
    {
        var next = Apply(state, e);
        return WithRequests(next, RequestsOf(next).Record(e.RequestId, ReplyFor(next, e)));
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        PersistenceFailed(new Rejected(
            RejectReason.PersistenceFailed,
            $"{PersistenceId}: the journal could not write the change ({cause.Message}); nothing was changed, retry later"));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        PersistenceFailed(new Rejected(
            RejectReason.PersistenceFailed,
            $"{PersistenceId}: the journal rejected the change ({cause.Message}); nothing was changed"));
        base.OnPersistRejected(cause, @event, sequenceNr);
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

    private void PersistenceFailed(Rejected rejected)
    {
        var told = _persistingFor;
        told.Tell(rejected);
        _persistingFor = ActorRefs.Nobody;
        OnPersistenceFailed(rejected, told);
    }
}
