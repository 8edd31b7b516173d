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
        var journal = PersistenceQuery.Get(context.System).ReadJournalFor<IEventsByTagQuery>(readJournalId);
        var self = context.Self;
        var settings = RestartSettings.Create(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), 0.2);
        return RestartSource
            .OnFailuresWithBackoff(() => journal.EventsByTag(tag, Offset.Sequence(offset())), settings)
            .ViaMaterialized(KillSwitches.Single<EventEnvelope>(), Keep.Right)
            .ToMaterialized(Sink.ForEach<EventEnvelope>(e => self.Tell(e)), Keep.Left)
            .Run(context.Materializer());
    }
}
