using Fabric.Messages.Devices;
using Fabric.Messages.Errors;

namespace Fabric.Messages.Vim;

/// <summary>
/// What the fabric tells a VIM without being asked (Cyborg's external events, e.g. accelerator-request-bound).
/// Published cluster-wide on <see cref="Topic"/>; the gateway passes them to its subscribers.
/// </summary>
public abstract record FabricEvent : IFabricMessage
{
    public const string Topic = "fabric-events";

    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;
}

public sealed record AttachmentBoundEvent(string AttachmentId, string VmId, string DeviceId, string Host) : FabricEvent;

public sealed record AttachmentBindFailedEvent(string AttachmentId, string VmId, RejectReason Reason, string Message) : FabricEvent;

public sealed record AttachmentFailedEvent(string AttachmentId, string VmId, string Reason) : FabricEvent;

public sealed record DeviceHealthEvent(string DeviceId, string Node, DeviceHealth Health, string Reason) : FabricEvent;
