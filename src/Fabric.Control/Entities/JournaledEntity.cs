using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Fabric.Messages;
using Fabric.Messages.Errors;

namespace Fabric.Control.Entities;

/// <summary>
/// The journal side of an AML entity: its persistence id (<c>{type}-{id}</c>, which existing journals are keyed by),
/// recovery from a snapshot and the events after it (bare or <see cref="Tagged"/>), old snapshots deleted after a new
/// one, and the journal's failures: a failed or rejected write is handed to <see cref="PersistenceFailed"/>, a failed
/// recovery refuses the commands that waited for it. <see cref="FabricEntity{TState}"/> builds the commands on it.
/// </summary>
public abstract class JournaledEntity<TState> : ReceivePersistentActor
    where TState : class
{
    private readonly bool _takesSnapshots;
    private Exception? _recoveryFailure;

    protected JournaledEntity(string entityType, string entityId, TState empty, bool takesSnapshots)
    {
        EntityId = entityId;
        PersistenceId = $"{entityType}-{entityId}";
        State = empty;
        _takesSnapshots = takesSnapshots;

        // An entity without snapshots starts against Akka's no-op snapshot store. Even with no snapshot wanted, recovery
        // first asks the snapshot store, and the SQL one answers in turn with the snapshots other entities save: under
        // load a new attachment waited 100-450 ms there.
        if (!takesSnapshots)
        {
            SnapshotPluginId = "akka.persistence.no-snapshot-store";
        }

        Recover<SnapshotOffer>(offer => State = offer.Snapshot as TState ?? State);
        Recover<IFabricEvent>(e => State = Replay(State, e));
        // Journals that keep tags with the payload (the in-memory ones) replay the Tagged wrapper.
        Recover<Tagged>(t => State = t.Payload is IFabricEvent e ? Replay(State, e) : State);
        EntityCommands();
    }

    public override string PersistenceId { get; }

    public override Recovery Recovery => _takesSnapshots ? base.Recovery : new Recovery(SnapshotSelectionCriteria.None);

    protected string EntityId { get; }

    protected TState State { get; set; }

    /// <summary>The state after a replayed event (recovery).</summary>
    protected abstract TState Replay(TState state, IFabricEvent e);

    /// <summary>The state once recovery has replayed the journal up to <paramref name="lastSequenceNr"/>; as replayed by default.</summary>
    protected virtual TState Recovered(TState state, long lastSequenceNr) => state;

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

    protected override void OnReplaySuccess()
    {
        State = Recovered(State, LastSequenceNr);
        base.OnReplaySuccess();
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        PersistenceFailed(JournalRefusals.WriteFailed(PersistenceId, cause));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        PersistenceFailed(JournalRefusals.WriteRejected(PersistenceId, cause));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _recoveryFailure = reason;
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>The journal failed or refused a write: tell whoever waits for it (the write is not known either way).</summary>
    protected abstract void PersistenceFailed(Rejected rejected);

    public override void AroundPostStop()
    {
        base.AroundPostStop();
        if (_recoveryFailure is { } failure)
        {
            RecoveryRefusal.RefuseWaiting(Context, Self, JournalRefusals.RecoveryFailed(PersistenceId, failure));
        }
    }

    private void EntityCommands()
    {
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => Log.Warning(f.Cause, "{0}: snapshot failed; recovery replays more events", PersistenceId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }
}
