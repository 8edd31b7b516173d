using Akka.Actor;

namespace Fabric.Control.Nodes;

/// <summary>
/// Where a compute node's agent lives: the one place its name is written. The compute role starts the agent under
/// <see cref="Name"/> (and registers it in the node's ActorRegistry); gateways on other members reach it by <see cref="Of"/>.
/// </summary>
public static class NodeAgentPath
{
    public const string Name = "node-agent";

    /// <summary>The agent of the member at <paramref name="address"/>.</summary>
    public static ActorPath Of(Address address) => new RootActorPath(address) / "user" / Name;
}
