using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;

namespace Fabric.Messages.Attachments;

public interface IAttachmentEvent : IFabricEvent
{
    string AttachmentId { get; }
}

public sealed record AttachmentCreated(
    string AttachmentId,
    string VmId,
    string Profile,
    IReadOnlyList<ProfileGroup> Groups,
    string RequestId) : IAttachmentEvent;

/// <summary>
/// The owning project of a request just created, journaled right after <see cref="AttachmentCreated"/>. An event of its
/// own, not a field of that one: Hyperion reads a known type's fields by position, so a field added to an event would
/// misread every journal written before it.
/// </summary>
public sealed record AttachmentProjectSet(string AttachmentId, string Project, string RequestId) : IAttachmentEvent;

/// <summary>Written before the device is asked, so a restarted entity knows which reservation it may hold.</summary>
public sealed record AttachmentDeviceChosen(string AttachmentId, string DeviceId, string? Host, string RequestId) : IAttachmentEvent;

public sealed record AttachmentBound(
    string AttachmentId,
    string DeviceId,
    string Host,
    IReadOnlyList<string> DeviceFunctions,
    string RequestId) : IAttachmentEvent;

public sealed record AttachmentBindFailed(string AttachmentId, RejectReason Reason, string Message, string RequestId) : IAttachmentEvent;

public sealed record AttachmentAttached(string AttachmentId, AttachHandle Handle, string RequestId) : IAttachmentEvent;

public sealed record AttachmentDetached(string AttachmentId, string RequestId) : IAttachmentEvent;

public sealed record AttachmentRebindStarted(string AttachmentId, string? Host, string Reason, string RequestId) : IAttachmentEvent;

public sealed record AttachmentFailed(string AttachmentId, string Reason, string RequestId) : IAttachmentEvent;

public sealed record AttachmentDeleted(string AttachmentId, string RequestId) : IAttachmentEvent;

/// <summary>A device that no longer serves this attachment acknowledged the release of its queue pairs.</summary>
public sealed record AttachmentDeviceReleased(string AttachmentId, string DeviceId, string RequestId) : IAttachmentEvent;

/// <summary>
/// The device did not answer a reservation in time: it may hold one for this attachment (the answer may have been
/// lost with a node), so its release is owed and retried until the device answers, like any other owed release.
/// </summary>
public sealed record AttachmentReservationUnconfirmed(string AttachmentId, string DeviceId, string RequestId) : IAttachmentEvent;

public sealed record AttachmentBindRequested(string AttachmentId, string Host, string DeviceRpUuid, string? Project, string RequestId) : IAttachmentEvent;

public sealed record AttachmentBindReported(string AttachmentId, string RequestId) : IAttachmentEvent;

/// <summary>
/// The attachment's service level (issue 19): copied from its profile at create, or changed on a running attachment. An
/// event of its own, not a field of <see cref="AttachmentCreated"/> (Hyperion reads known types by position).
/// </summary>
public sealed record AttachmentServiceLevelSet(string AttachmentId, ServiceLevel Level, string RequestId) : IAttachmentEvent;
