using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Fabric.Messages.Vim;

namespace Fabric.Vim.Client;

/// <summary>Keeps a subscription to the gateway's events alive (it lapses otherwise) and hands each event to a callback.</summary>
internal sealed class EventSubscriber : ReceiveActor, IWithTimers
{
    public EventSubscriber(IActorRef client, string gatewayPath, Action<FabricEvent> handler)
    {
        Receive<Renew>(_ => client.Tell(new ClusterClient.Send(gatewayPath, SubscribeEvents.Instance)));
        Receive<EventsSubscribed>(subscribed =>
            Timers.StartSingleTimer(Renew.Instance, Renew.Instance, subscribed.Lease / 3));
        Receive<FabricEvent>(handler);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        Self.Tell(Renew.Instance);
        // If an answer to a renewal is lost, try again rather than lapse.
        Timers.StartPeriodicTimer("retry", Renew.Instance, TimeSpan.FromSeconds(20));
    }

    private sealed record Renew
    {
        public static Renew Instance { get; } = new();
    }
}
