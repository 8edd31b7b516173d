using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Fabric.Messages.Vim;

namespace Fabric.Vim.Client;

/// <summary>
/// Keeps a subscription to the gateway's events alive (it lapses otherwise) and hands each event to a callback,
/// once. The gateway reaches this actor through the node the client is connected to; when that node goes, events
/// sent meanwhile are lost on the way. So each renewal (every few seconds) says when the last event arrived, the
/// gateway sends again what came after, and what was already seen is dropped here.
/// </summary>
internal sealed class EventSubscriber : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(3);
    private const int Remembered = 4096;

    private readonly HashSet<FabricEvent> _seen = [];
    private readonly Queue<FabricEvent> _seenOrder = new();
    private readonly DateTimeOffset _subscribedAt = DateTimeOffset.UtcNow;
    private DateTimeOffset _since;

    public EventSubscriber(IActorRef client, string gatewayPath, Action<FabricEvent> handler)
    {
        Receive<Renew>(_ => client.Tell(new ClusterClient.Send(gatewayPath, new SubscribeEvents(_since))));
        Receive<EventsSubscribed>(subscribed =>
            Timers.StartSingleTimer(Renew.Instance, Renew.Instance, subscribed.Lease / 3 < RenewEvery ? subscribed.Lease / 3 : RenewEvery));
        _since = _subscribedAt;
        Receive<FabricEvent>(e =>
        {
            // A replay reaches a little further back than asked (clocks differ): not what came before subscribing.
            if (e.At < _subscribedAt || !_seen.Add(e))
            {
                return;
            }

            _seenOrder.Enqueue(e);
            if (_seenOrder.Count > Remembered)
            {
                _seen.Remove(_seenOrder.Dequeue());
            }

            if (e.At > _since)
            {
                _since = e.At;
            }

            handler(e);
        });
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
