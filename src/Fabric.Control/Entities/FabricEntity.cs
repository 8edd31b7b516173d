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
/// (the actor then stops and recovers its last persisted state on the next message); a failed recovery answers the
/// commands that waited for it with the same reason.
/// </summary>
public abstract class FabricEntity<TState> : ReceivePersistentActor
    where TState : class
{
    public const int SnapshotEvery = 100;

    private int _eventsSinceSnapshot;
    private IActorRef _persistingFor = ActorRefs.Nobody;
    private Exception? _recoveryFailure;

    // Pipelined writes only: everyone owed an answer that waits for a write in flight, oldest first.
    private readonly Queue<IActorRef> _inFlight = new();

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
        EntityCommands();
    }

    /// <summary>
    /// Switches the entity to <paramref name="behaviour"/> keeping the handlers every entity needs (snapshot outcomes).
    /// A plain <c>Become</c> replaces every handler registered so far, so after it the snapshot store's answers went
    /// unhandled and old snapshots were never deleted.
    /// </summary>
    protected void Behave(Action behaviour) => Become(() =>
    {
        EntityCommands();
        behaviour();
    });

    private void EntityCommands()
    {
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

    /// <summary>The state once recovery has replayed the journal up to <paramref name="lastSequenceNr"/>; as replayed by default.</summary>
    protected virtual TState Recovered(TState state, long lastSequenceNr) => state;

    protected override void OnReplaySuccess()
    {
        State = Recovered(State, LastSequenceNr);
        base.OnReplaySuccess();
    }

    /// <summary>The event applied to the state (pure).</summary>
    protected abstract TState Apply(TState state, IFabricEvent e);

    /// <summary>The request log inside the state.</summary>
    protected abstract RequestLog RequestsOf(TState state);

    protected abstract TState WithRequests(TState state, RequestLog requests);

    /// <summary>The answer a command that wrote <paramref name="e"/> gives, from the state after it.</summary>
    protected abstract object ReplyFor(TState state, IFabricEvent e);

    /// <summary>
    /// Whether commands are decided while earlier writes are still in flight. An entity that many requests queue at
    /// (a device: every bind and delete reserves or releases on one) otherwise takes one command per journal round
    /// trip. Pipelined, each decision is applied to the state at once, its events join the entity's next journal
    /// write, and every answer (also a refusal, a retried request's, a query's) is sent only once what it was decided
    /// on is in the journal. A failed or rejected write stops the entity, which then recovers what is in the journal;
    /// the requesters of every write in flight are told.
    /// </summary>
    protected virtual bool PipelinesWrites => false;

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

        ReplyWhenDurable(reply);
        return true;
    }

    /// <summary>
    /// Answer now, or, with pipelined writes in flight, once they are in the journal (the answer may rest on them).
    /// </summary>
    protected void ReplyWhenDurable(object reply)
    {
        if (_inFlight.Count == 0)
        {
            Sender.Tell(reply);
            return;
        }

        var sender = Sender;
        _inFlight.Enqueue(sender);
        DeferAsync(reply, r =>
        {
            _inFlight.Dequeue();
            sender.Tell(r);
            OnDrained();
        });
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
            return;
        }

        if (!PipelinesWrites || decision.Events.Count == 0)
        {
            PersistEvents(decision.Events, () => ReplyWhenDurable(reply(State)));
            return;
        }

        if (TakesSnapshots && _eventsSinceSnapshot >= SnapshotEvery && _inFlight.Count > 0)
        {
            // A snapshot is due, and only with nothing in flight is the state exactly what the journal holds: let
            // the writes drain (the last one takes the snapshot), then take this command again. Under steady load
            // snapshots would otherwise never find a quiet moment.
            Stash.Stash();
            return;
        }

        var sender = Sender;
        _inFlight.Enqueue(sender);
        foreach (var e in decision.Events)
        {
            State = ApplyAndLog(State, e);
        }

        var answer = reply(State);
        var remaining = decision.Events.Count;
        PersistAllAsync(Tag(decision.Events), persisted =>
        {
            OnPersisted(Untag(persisted));
            if (--remaining > 0)
            {
                return;
            }

            _inFlight.Dequeue();
            sender.Tell(answer);
            _eventsSinceSnapshot += decision.Events.Count;
            OnDrained();
        });
    }

    /// <summary>Once nothing is in flight: the snapshot that was due, then the commands that waited for it.</summary>
    private void OnDrained()
    {
        if (_inFlight.Count > 0)
        {
            return;
        }

        if (TakesSnapshots && _eventsSinceSnapshot >= SnapshotEvery)
        {
            // Only with nothing in flight is the state exactly what the journal holds.
            _eventsSinceSnapshot = 0;
            SaveSnapshot(State);
        }

        Stash.UnstashAll();
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
        PersistAll(Tag(events), persisted =>
        {
            var e = Untag(persisted);
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

    private object[] Tag(IReadOnlyList<IFabricEvent> events)
    {
        var tagged = new object[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var tags = TagsOf(events[i]);
            tagged[i] = tags.Count == 0 ? events[i] : new Tagged(events[i], tags);
        }

        return tagged;
    }

    private static IFabricEvent Untag(object persisted) => (IFabricEvent)(persisted is Tagged t ? t.Payload : persisted);

    private TState ApplyAndLog(TState state, IFabricEvent e)
    {
        var next = Apply(state, e);
        return WithRequests(next, RequestsOf(next).Record(e.RequestId, ReplyFor(next, e)));
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // A failed write is not known to be unwritten: a timeout or a lost connection may come after the commit (a
        // delete refused so had been journaled and finished after the restart). The request log makes the retry safe.
        PersistenceFailed(new Rejected(
            RejectReason.PersistenceFailed,
            $"{PersistenceId}: the store is failing, the journal could not confirm the change ({cause.Message}); it may have been written: "
            + "retry later with the same request id, which gets the first answer if it was"));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _recoveryFailure = reason;
        base.OnRecoveryFailure(reason, message);
    }

    public override void AroundPostStop()
    {
        // Akka puts the commands that started the entity (stashed while it recovered) back into the mailbox here, and
        // a stopped actor's mailbox goes to dead letters: after a failed recovery (the store failing, its circuit
        // breaker open) every requester waited for its timeout. Each is told instead; nothing was written.
        base.AroundPostStop();
        if (_recoveryFailure is not { } failure || Context is not ActorCell cell)
        {
            return;
        }

        var refusal = new Rejected(
            RejectReason.PersistenceFailed,
            $"{PersistenceId}: the store is failing, the entity could not read its state ({failure.Message}); nothing was changed, retry later");
        while (cell.Mailbox?.MessageQueue.TryDequeue(out var envelope) == true)
        {
            if (envelope.Message is IFabricMessage && envelope.Sender is { } sender && !sender.IsNobody())
            {
                sender.Tell(refusal);
            }
            else
            {
                cell.SystemImpl.DeadLetters.Tell(new DeadLetter(envelope.Message, envelope.Sender ?? ActorRefs.NoSender, Self));
            }
        }
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
        if (_inFlight.Count > 0)
        {
            // Pipelined: the state ran ahead of the journal. Tell everyone waiting, and start again from the journal
            // (after a failure Akka stops the entity itself; after a rejection it would go on).
            while (_inFlight.TryDequeue(out var waiting))
            {
                waiting.Tell(rejected);
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
