using Akka.Actor;
using Fabric.Messages.Cluster;

namespace Fabric.Control.Hosting;

/// <summary>Answers what this node runs on, so a node that joins can check it agrees with the cluster.</summary>
public sealed class FingerprintActor : ReceiveActor
{
    public const string Name = "fabric-fingerprint";

    public FingerprintActor(NodeFingerprint fingerprint) => Receive<GetFingerprint>(_ => Sender.Tell(fingerprint));

    public static Props Props(NodeFingerprint fingerprint) => Akka.Actor.Props.Create(() => new FingerprintActor(fingerprint));
}
