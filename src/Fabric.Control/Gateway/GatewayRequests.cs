using Akka.Actor;
using Fabric.Messages;
using Fabric.Messages.Errors;

namespace Fabric.Control.Gateway;

/// <summary>
/// How a gateway hands a request on (both gateways alike): each one is held by a <see cref="PendingRequest"/> child
/// until it is answered, refused because the node leaves, or timed out; never silence.
/// </summary>
public static class GatewayRequests
{
    /// <summary>How long a handed-on request may stay unanswered before the requester hears a typed timeout; longer than any client waits.</summary>
    public static readonly TimeSpan HoldLimit = TimeSpan.FromMinutes(2);

    /// <summary>To a shard region: held by a child that also sends it again while it waits (see <see cref="PendingRequest"/>).</summary>
    public static void Relay(IActorContext context, IActorRef target, object request) =>
        target.Tell(request, context.ActorOf(PendingRequest.Props(context.Sender, request.GetType().Name, HoldLimit, (target, request))));

    /// <summary>A child that holds the sender's request until it is answered, refused because this node leaves, or timed out.</summary>
    public static IActorRef Pending(IActorContext context, string what) => context.ActorOf(PendingRequest.Props(context.Sender, what, HoldLimit));

    /// <summary>Sends what <paramref name="work"/> answers to the sender; a collaborator's silence becomes a typed Timeout.</summary>
    public static void Reply(IActorContext context, Task<object> work, string what, string next) =>
        work.PipeTo(Pending(context, what), failure: ex => new Rejected(RejectReason.Timeout,
            $"the control plane did not answer for {what} in time ({ex.GetBaseException().GetType().Name}); {next}"));

    /// <summary>A message from outside that this gateway does not take: refused with where it belongs.</summary>
    public static Rejected NotAccepted(IFabricMessage m, string why) => new(RejectReason.InvalidArgument, $"{m.GetType().Name} {why}");
}
