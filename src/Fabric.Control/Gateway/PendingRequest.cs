using Akka.Actor;
using Fabric.Messages.Errors;

namespace Fabric.Control.Gateway;

/// <summary>
/// One request a gateway handed on (to a shard region, a node agent, or work of its own) and that is not answered
/// yet: the first answer goes to the requester. A shard region may hold a request while its shards move, and a node
/// that is leaving drops what it holds; so when the gateway leaves, the request is refused with
/// <see cref="RejectReason.NodeLeaving"/> (the client retries it, with the same request id, elsewhere), and silence
/// past the timeout becomes a typed <see cref="RejectReason.Timeout"/>. Never silence.
/// </summary>
public sealed class PendingRequest : ReceiveActor
{
    public PendingRequest(IActorRef requester, string what, TimeSpan timeout)
    {
        Context.SetReceiveTimeout(timeout);
        Receive<GatewayLeaving>(leaving => Answer(requester, GatewayShutdown.Refusal(leaving.Node, what)));
        Receive<ReceiveTimeout>(_ => Answer(requester, new Rejected(RejectReason.Timeout,
            $"{what}: the control plane did not answer within {timeout.TotalSeconds:0}s; retry with the same request id, or check 'cluster show'")));
        ReceiveAny(reply => Answer(requester, reply));
    }

    public static Props Props(IActorRef requester, string what, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new PendingRequest(requester, what, timeout));

    private void Answer(IActorRef requester, object reply)
    {
        requester.Tell(reply);
        Context.Stop(Self);
    }
}
