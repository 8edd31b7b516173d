using Akka.Actor;
using Akka.Event;
using Fabric.Messages;
using Fabric.Messages.Errors;

namespace Fabric.Control.Entities;

/// <summary>
/// After a failed recovery Akka puts the commands that started the entity (stashed while it recovered) back into the
/// mailbox of the stopped actor, whose mailbox goes to dead letters: every requester waited for its timeout (the
/// store failing, its circuit breaker open). Each Fabric request is refused instead; nothing was written.
/// </summary>
public static class RecoveryRefusal
{
    public static void RefuseWaiting(IActorContext context, IActorRef self, Rejected refusal)
    {
        if (context is not ActorCell cell)
        {
            return;
        }

        while (cell.Mailbox?.MessageQueue.TryDequeue(out var envelope) == true)
        {
            if (envelope.Message is IFabricMessage && envelope.Sender is { } sender && !sender.IsNobody())
            {
                sender.Tell(refusal);
            }
            else
            {
                cell.SystemImpl.DeadLetters.Tell(new DeadLetter(envelope.Message, envelope.Sender ?? ActorRefs.NoSender, self));
            }
        }
    }
}
