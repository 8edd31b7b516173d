namespace Fabric.Messages.Attachments;

/// <summary>
/// The life of an accelerator request for one VM:
/// <c>Initial -> BindStarted -> Bound -> Attached -> Detached -> Deleted</c>, with <c>BindFailed</c>,
/// <c>Failed</c> (e.g. its node was lost) and <c>Rebinding</c> (moving to another device or host).
/// </summary>
public enum AttachmentStatus
{
    Initial,
    BindStarted,
    Bound,
    Attached,
    Detached,
    Deleted,
    BindFailed,
    Failed,
    Rebinding,
}
