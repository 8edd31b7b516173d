namespace Fabric.Messages.Attachments;

/// <summary>Everything addressed to one <c>Attachment</c> entity (an accelerator request, Cyborg's ARQ).</summary>
public interface IAttachmentMessage : IFabricMessage
{
    string AttachmentId { get; }
}

public interface IAttachmentCommand : IAttachmentMessage, IFabricCommand
{
}

/// <summary>
/// Create the request for a VM from a device profile. The profile's groups are copied in. <paramref name="Project"/>: the
/// owning project (Keystone's project id, Cyborg's ARQ project_id); none for a fabric without projects.
/// </summary>
public sealed record CreateAttachment(string AttachmentId, string VmId, string Profile, string RequestId, string? Project = null) : IAttachmentCommand;

/// <summary>Pick a device with free capacity for the profile on <paramref name="Host"/> (any host when null) and reserve it.</summary>
public sealed record BindAttachment(string AttachmentId, string? Host, string RequestId) : IAttachmentCommand;

/// <summary>The node realized the attachment: the channel exists and the AC serves it.</summary>
public sealed record MarkAttached(string AttachmentId, AttachHandle Handle, string RequestId) : IAttachmentCommand;

/// <summary>The channel was removed (VM stopped); the device reservation is kept until delete.</summary>
public sealed record DetachAttachment(string AttachmentId, string RequestId) : IAttachmentCommand;

/// <summary>Move to another device: on <paramref name="Host"/> when given, else on the current host if it has one, else anywhere.</summary>
public sealed record RebindAttachment(string AttachmentId, string? Host, string Reason, string RequestId) : IAttachmentCommand;

/// <summary>The attachment can no longer be served (e.g. its node was lost).</summary>
public sealed record FailAttachment(string AttachmentId, string Reason, string RequestId) : IAttachmentCommand;

/// <summary>Delete the request and release its capacity. Refused while attached: detach first.</summary>
public sealed record DeleteAttachment(string AttachmentId, string RequestId) : IAttachmentCommand;

public sealed record GetAttachment(string AttachmentId) : IAttachmentMessage;

/// <summary>
/// Records what a bind was asked with (Cyborg's ARQ bind fields) on an attachment that is not bound yet, before the bind
/// runs: the fabric then holds the bind's progress, and any client can resume it or report its outcome.
/// </summary>
public sealed record RequestBind(string AttachmentId, string Host, string DeviceRpUuid, string? Project, string RequestId) : IAttachmentCommand;

/// <summary>The outcome of the recorded bind was reported (e.g. Nova was told); reporting again is no change.</summary>
public sealed record MarkBindReported(string AttachmentId, string RequestId) : IAttachmentCommand;

/// <summary>
/// Change the attachment's service level. A bound attachment's device must commit the new rates (refused with
/// <c>NoCapacity</c> when it would oversell them); an attached one's node applies it to the queue without reopening the channel.
/// </summary>
public sealed record SetAttachmentServiceLevel(string AttachmentId, ServiceLevel Level, string RequestId) : IAttachmentCommand;
