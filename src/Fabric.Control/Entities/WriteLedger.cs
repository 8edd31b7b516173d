using System.Collections.Immutable;
using Akka.Actor;

namespace Fabric.Control.Entities;

/// <summary>
/// An entity's bookkeeping of its writes: who is owed an answer that waits for a pipelined write in flight (oldest
/// first: the journal confirms writes in order) and how many events went to the journal since the last snapshot.
/// Pure: the entity keeps the current ledger and replaces it.
/// </summary>
public sealed record WriteLedger(ImmutableQueue<IActorRef> InFlight, int EventsSinceSnapshot)
{
    public static WriteLedger Empty { get; } = new(ImmutableQueue<IActorRef>.Empty, 0);

    /// <summary>Nothing in flight: the state is exactly what the journal holds.</summary>
    public bool Idle => InFlight.IsEmpty;

    public WriteLedger Waiting(IActorRef requester) => this with { InFlight = InFlight.Enqueue(requester) };

    /// <summary>The oldest write in flight is confirmed and its requester answered.</summary>
    public WriteLedger Answered() => this with { InFlight = InFlight.Dequeue() };

    public WriteLedger Persisted(int events) => this with { EventsSinceSnapshot = EventsSinceSnapshot + events };

    public bool SnapshotDue(int every) => EventsSinceSnapshot >= every;

    /// <summary>
    /// A snapshot is due but writes are in flight: the command waits until they drain, or under steady load
    /// snapshots would never find a quiet moment.
    /// </summary>
    public bool MustDrainFirst(int every) => SnapshotDue(every) && !Idle;

    public WriteLedger SnapshotTaken() => this with { EventsSinceSnapshot = 0 };

    /// <summary>Every write in flight failed: all of them are told, and nobody waits any more.</summary>
    public WriteLedger Failed(out IReadOnlyList<IActorRef> waiting)
    {
        waiting = InFlight.ToArray();
        return this with { InFlight = ImmutableQueue<IActorRef>.Empty };
    }
}
