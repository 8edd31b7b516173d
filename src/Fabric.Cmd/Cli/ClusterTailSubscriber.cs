using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Fabric.Messages.Operator;

namespace Fabric.Cmd.Cli;

/// <summary>Keeps a subscription to the operator gateway's membership events alive (it lapses otherwise) and hands each event to a callback.</summary>
internal sealed class ClusterTailSubscriber : ReceiveActor, IWithTimers
{
    private Action? _onFirstSubscribed;

    public ClusterTailSubscriber(IActorRef client, string gatewayPath, Action<ClusterMemberEvent> handler, Action onSubscribed)
    {
        _onFirstSubscribed = onSubscribed;
        Receive<Renew>(_ => client.Tell(new ClusterClient.Send(gatewayPath, SubscribeClusterEvents.Instance)));
        Receive<ClusterEventsSubscribed>(subscribed =>
        {
            Timers.StartSingleTimer(Renew.Instance, Renew.Instance, subscribed.Lease / 3);
            _onFirstSubscribed?.Invoke();
            _onFirstSubscribed = null;
        });
        Receive<ClusterMemberEvent>(handler);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary><paramref name="onSubscribed"/> runs once, when the gateway first confirms: changes from then on are seen.</summary>
    public static Props Props(IActorRef client, string gatewayPath, Action<ClusterMemberEvent> handler, Action onSubscribed) =>
        Akka.Actor.Props.Create(() => new ClusterTailSubscriber(client, gatewayPath, handler, onSubscribed));

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
