using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;

namespace Fabric.Messages.Attachments;

/// <summary>An attachment as queries and commands answer it. A failed bind is a view with status <c>BindFailed</c> and its reason.
/// <paramref name="Level"/>: its service level; null is <see cref="ServiceLevel.BestEffort"/>.</summary>
public sealed record AttachmentView(
    string AttachmentId,
    string VmId,
    string Profile,
    AttachmentStatus Status,
    IReadOnlyList<ProfileGroup> Groups,
    string? DeviceId,
    string? Host,
    IReadOnlyList<string> DeviceFunctions,
    AttachHandle? Handle,
    RejectReason? FailureReason,
    string? FailureMessage,
    BindRequest? BindRequest = null,
    string? Project = null,
    ServiceLevel? Level = null) : IFabricMessage;

/// <summary>What a recorded bind was asked with (<see cref="RequestBind"/>) and whether its outcome was reported.</summary>
public sealed record BindRequest(string Host, string DeviceRpUuid, string? Project, bool Reported) : IFabricMessage;
