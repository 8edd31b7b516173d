using Akka.Actor;

namespace Fabric.Control.Gateway;

/// <summary>
/// Subscribers behind cluster clients: each holds a lease it renews by subscribing again; one that stops renewing
/// (its process gone, its tunnel closed) is dropped at the next publication. Used by an actor only.
/// </summary>
public sealed class LeasedSubscribers(TimeSpan lease)
{
    private readonly Dictionary<IActorRef, DateTime> _until = new();

    public TimeSpan Lease { get; } = lease;

    public void Renew(IActorRef subscriber) => _until[subscriber] = DateTime.UtcNow + Lease;

    public void Publish(object message)
    {
        var now = DateTime.UtcNow;
        foreach (var (subscriber, until) in _until.ToArray())
        {
            if (until < now)
            {
                _until.Remove(subscriber);
                continue;
            }

            subscriber.Tell(message);
        }
    }
}
