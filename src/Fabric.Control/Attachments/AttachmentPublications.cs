using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Vim;

namespace Fabric.Control.Attachments;

/// <summary>The attachment events a VIM is told of, as the events it subscribes to.</summary>
public static class AttachmentPublications
{
    /// <summary>What the VIM hears of an attachment's event (bound, bind failed, failed); nothing of the others.</summary>
    public static FabricEvent? Of(string attachmentId, string vmId, IFabricEvent e) => e switch
    {
        AttachmentBound b => new AttachmentBoundEvent(attachmentId, vmId, b.DeviceId, b.Host),
        AttachmentBindFailed f => new AttachmentBindFailedEvent(attachmentId, vmId, f.Reason, f.Message),
        AttachmentFailed f => new AttachmentFailedEvent(attachmentId, vmId, f.Reason),
        _ => null,
    };
}
