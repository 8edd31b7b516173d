using Akka.Actor;
using Akka.Configuration;
using Fabric.Control.Configuration;
using Fabric.Control.Gateway;

namespace Fabric.Control.Tests.Gateway;

/// <summary>A VIM gateway on an actor system of its own, over a stand-in for the attachments' shard region.</summary>
public static class GatewayRig
{
    public static ActorSystem System() => ActorSystem.Create("fabric", ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.loglevel = WARNING
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            """).WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(FabricConfig.HoconDirectory, "serialization.conf")))));

    /// <summary>The gateway, with <paramref name="attachments"/> (made as /user/attachments) as the attachments' region.</summary>
    public static IActorRef Gateway(ActorSystem system, Props attachments)
    {
        var region = system.ActorOf(attachments, "attachments");
        var control = new ControlPlane(ActorRefs.Nobody, ActorRefs.Nobody, region, ActorRefs.Nobody, null);
        return system.ActorOf(VimGateway.Props(control), VimGateway.Name);
    }
}
