using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Fabric.Control.Metrics;

/// <summary>
/// Follows the whole journal (the read side: no extra tags written, nothing asked of the entities) from an offset the
/// follower keeps, restarting with backoff if the database goes away; each restart resumes from the offset read last.
/// </summary>
public static class JournalFollower
{
    public static UniqueKillSwitch Follow(ActorSystem system, IMaterializer materializer, string readJournalId, Func<long> offset, Action<EventEnvelope> onEvent)
    {
        var settings = RestartSettings.Create(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), 0.2);
        return RestartSource
            .OnFailuresWithBackoff(() => Source.Lazily(() =>
                PersistenceQuery.Get(system).ReadJournalFor<IAllEventsQuery>(readJournalId).AllEvents(Offset.Sequence(offset()))), settings)
            .ViaMaterialized(KillSwitches.Single<EventEnvelope>(), Keep.Right)
            .ToMaterialized(Sink.ForEach(onEvent), Keep.Left)
            .Run(materializer);
    }
}
