using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Fabric.Messages.Vim;

namespace Fabric.Control.Events;

/// <summary>Publishes <see cref="FabricEvent"/>s cluster-wide (distributed pub-sub); a no-op outside a cluster (unit tests).</summary>
public static class FabricEventBus
{
    public static void Publish(ActorSystem system, FabricEvent e)
    {
        if (system is ExtendedActorSystem { Provider: IClusterActorRefProvider })
        {
            DistributedPubSub.Get(system).Mediator.Tell(new Publish(FabricEvent.Topic, e));
        }
    }
}
