using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Fabric.Control.Events;

/// <summary>
/// Follows one tag of the journal (Akka.Persistence.Query) into an actor's mailbox as <see cref="EventEnvelope"/>s,
/// restarting with backoff from the last offset the actor reports if the database goes away.
/// </summary>
public static class TagStream
{
    public static UniqueKillSwitch Follow(IActorContext context, string readJournalId, string tag, Func<long> offset)
    {
        var system = context.System;
        var self = context.Self;
        var settings = RestartSettings.Create(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), 0.2);
        // The read journal is made inside the stream, not in the actor's constructor: making it asks the journal,
        // and on a starved or starting node that ask can time out; then the stream restarts instead of the actor dying.
        return RestartSource
            .OnFailuresWithBackoff(() => Source.Lazily(() =>
                PersistenceQuery.Get(system).ReadJournalFor<IEventsByTagQuery>(readJournalId).EventsByTag(tag, Offset.Sequence(offset()))), settings)
            .ViaMaterialized(KillSwitches.Single<EventEnvelope>(), Keep.Right)
            .ToMaterialized(Sink.ForEach<EventEnvelope>(e => self.Tell(e)), Keep.Left)
            .Run(context.Materializer());
    }
}
