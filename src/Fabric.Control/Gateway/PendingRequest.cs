using Akka.Actor;
using Fabric.Messages.Errors;

namespace Fabric.Control.Gateway;

/// <summary>
/// One request a gateway handed on (to a shard region, a node agent, or work of its own) and that is not answered
/// yet: the first answer goes to the requester. A shard region may hold a request while its shards move, and a node
/// that is leaving drops what it holds; so when the gateway leaves, the request is refused with
/// <see cref="RejectReason.NodeLeaving"/> (the client retries it, with the same request id, elsewhere), and silence
/// past the timeout becomes a typed <see cref="RejectReason.Timeout"/>. Never silence.
/// A request to a shard region is also sent again while it waits: a region that hands a shard off drops the messages
/// it buffered for it ("Dropping [1] buffered messages to shard [39] during hand off"), which left a client of another
/// control node waiting for the timeout. Entity commands carry request ids and queries change nothing, so a copy that
/// arrives after all is answered from the request log and its answer ignored.
/// </summary>
public sealed class PendingRequest : ReceiveActor, IWithTimers
{
    public static readonly TimeSpan ResendEvery = TimeSpan.FromSeconds(3);

    public PendingRequest(IActorRef requester, string what, TimeSpan timeout, (IActorRef Target, object Message)? resend)
    {
        Timers.StartSingleTimer(Deadline.Instance, Deadline.Instance, timeout);
        if (resend is { } again)
        {
            Timers.StartPeriodicTimer(Resend.Instance, Resend.Instance, ResendEvery);
            Receive<Resend>(_ => again.Target.Tell(again.Message, Self));
        }

        Receive<GatewayLeaving>(leaving => Answer(requester, GatewayShutdown.Refusal(leaving.Node, what)));
        Receive<Deadline>(_ => Answer(requester, new Rejected(RejectReason.Timeout,
            $"{what}: the control plane did not answer within {timeout.TotalSeconds:0}s; retry with the same request id, or check 'cluster show'")));
        ReceiveAny(reply => Answer(requester, reply));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef requester, string what, TimeSpan timeout, (IActorRef Target, object Message)? resend = null) =>
        Akka.Actor.Props.Create(() => new PendingRequest(requester, what, timeout, resend));

    private void Answer(IActorRef requester, object reply)
    {
        requester.Tell(reply);
        Context.Stop(Self);
    }

    private sealed class Deadline
    {
        public static readonly Deadline Instance = new();
    }

    private sealed class Resend
    {
        public static readonly Resend Instance = new();
    }
}
