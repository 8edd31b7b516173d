using Akka.Actor;
using Fabric.Control.Nodes;
using Fabric.Messages.Attachments;
using Fabric.Messages.Node;

namespace Fabric.Control.Gateway;

/// <summary>
/// A service level changed on a running attachment (both gateways): the attachment entity decides (its device commits the
/// rates or refuses to oversell), then the node agent of an attached one's host applies it to the queue. A retry with the
/// same request id gets the same answer and applies it again, so a lost tell to the node is mended by retrying.
/// </summary>
public static class ServiceLevelChange
{
    /// <summary>Runs off an actor's thread: it touches only its arguments.</summary>
    public static async Task<object> Apply(ActorSystem system, IActorRef attachments, IReadOnlyDictionary<string, Address> computeNodes,
        SetAttachmentServiceLevel cmd, TimeSpan timeout)
    {
        var reply = await attachments.Ask<object>(cmd, timeout);
        if (reply is AttachmentView { Status: AttachmentStatus.Attached, Host: { } host } view && computeNodes.TryGetValue(host, out var address))
        {
            system.ActorSelection(NodeAgentPath.Of(address))
                .Tell(new ApplyServiceLevel(view.AttachmentId, view.Level ?? ServiceLevel.BestEffort), ActorRefs.NoSender);
        }

        return reply;
    }
}
