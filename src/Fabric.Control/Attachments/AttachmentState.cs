using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Fabric.Control.Entities;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;

namespace Fabric.Control.Attachments;

/// <summary>
/// An accelerator request for one VM. Binding and releasing talk to <c>Device</c> entities; the state records
/// each step before it is taken (<see cref="PendingDevice"/>, <see cref="ReleasePending"/>) so that an entity
/// restarted in the middle finishes the step instead of leaking a reservation.
/// </summary>
public sealed partial record AttachmentState(
    string AttachmentId,
    bool Exists,
    string VmId,
    string Profile,
    ImmutableArray<ProfileGroup> Groups,
    AttachmentStatus Status,
    string? DeviceId,
    string? Host,
    ImmutableArray<string> DeviceFunctions,
    AttachHandle? Handle,
    string? PendingDevice,
    string? TargetHost,
    ImmutableList<string> ReleasePending,
    RejectReason? FailureReason,
    string? FailureMessage,
    RequestLog Requests,
    BindRequest? BindRequest = null,
    string? Project = null,
    ServiceLevel? Level = null) : IFabricMessage, IEntityState<AttachmentState>
{
    public static AttachmentState Empty(string attachmentId) => new(
        attachmentId, false, "", "", [], AttachmentStatus.Initial, null, null, [], null, null, null,
        ImmutableList<string>.Empty, null, null, RequestLog.Empty);

    /// <summary>The functions the device must run: every group's function (a group of Cyborg's own profiles may name none).</summary>
    public IReadOnlyList<string> Functions => Groups.Select(g => g.Function).Where(f => f.Length > 0).Distinct(StringComparer.Ordinal).ToArray();

    public int QueuePairs => Groups.Sum(g => g.QueuePairs);

    public bool Binding => Status is AttachmentStatus.BindStarted or AttachmentStatus.Rebinding;

    public AttachmentView ToView() => new(
        AttachmentId, VmId, Profile, Status, Groups.ToArray(), DeviceId, Host, DeviceFunctions.ToArray(), Handle,
        FailureReason, FailureMessage, BindRequest, Project, Level);

    /// <summary>A query's answer: the view, or NotFound for an attachment never created.</summary>
    public object Query() => Exists ? ToView() : new Rejected(RejectReason.NotFound, $"attachment {AttachmentId} does not exist");

    /// <summary>Deleted with nothing owed to a device: nothing more happens to it.</summary>
    public bool Gone => Status == AttachmentStatus.Deleted && ReleasePending.IsEmpty;

    /// <summary>The device a reservation is held on (or may be, mid-bind): the one that must commit a changed level's rates.</summary>
    public string? HeldDevice => Status is AttachmentStatus.Bound or AttachmentStatus.Attached or AttachmentStatus.Detached or AttachmentStatus.Failed
        ? DeviceId
        : null;

    /// <summary>The reservation to ask a device for: queue pairs, and the level's committed rates when it has any.</summary>
    public ReserveCapacity Reservation(string deviceId, string requestId) =>
        Level is { } l && (l.CommittedOpsPerSecond > 0 || l.CommittedBytesPerSecond > 0)
            ? new ReserveCommittedCapacity(deviceId, AttachmentId, Functions.ToArray(), QueuePairs, requestId, l.CommittedOpsPerSecond, l.CommittedBytesPerSecond)
            : new ReserveCapacity(deviceId, AttachmentId, Functions.ToArray(), QueuePairs, requestId);

    /// <summary>
    /// A new service level: checked here; when <see cref="HeldDevice"/> is set, its device must commit the rates before the
    /// event is written (the actor asks it). The same level again is no change.
    /// </summary>
    public Decision Decide(SetAttachmentServiceLevel cmd)
    {
        if (Missing() is { } missing)
        {
            return new Decision([], missing);
        }

        if (ServiceLevelKeys.Problem(cmd.Level) is { } problem)
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"attachment {AttachmentId}: service level: {problem}");
        }

        return (Level ?? ServiceLevel.BestEffort) == cmd.Level
            ? Decision.Unchanged
            : Decision.Persist(new AttachmentServiceLevelSet(AttachmentId, cmd.Level, cmd.RequestId));
    }

    /// <summary>Checks that need no other entity; the profile lookup comes after.</summary>
    public Decision Validate(CreateAttachment cmd)
    {
        if (!IdPattern().IsMatch(cmd.AttachmentId ?? ""))
        {
            return Decision.Reject(RejectReason.InvalidArgument,
                $"attachment id '{cmd.AttachmentId}' is not valid: 1-128 characters of a-z, A-Z, 0-9, '.', '_' and '-'");
        }

        if (string.IsNullOrWhiteSpace(cmd.VmId) || cmd.VmId.Length > 128)
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"attachment {cmd.AttachmentId}: a VM id (1-128 characters) is required");
        }

        if (cmd.Project is { Length: > 255 })
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"attachment {cmd.AttachmentId}: a project has at most 255 characters");
        }

        if (string.IsNullOrWhiteSpace(cmd.Profile))
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"attachment {cmd.AttachmentId}: a device profile is required");
        }

        if (Exists)
        {
            return VmId == cmd.VmId && Profile == cmd.Profile && Project == cmd.Project && Status != AttachmentStatus.Deleted
                ? Decision.Unchanged
                : Decision.Reject(RejectReason.AlreadyExists,
                    $"attachment {AttachmentId} exists already (VM {VmId}, profile {Profile}, {Status}); use a new id");
        }

        return Decision.Unchanged;
    }

    public Decision Decide(CreateAttachment cmd, ProfileView profile)
    {
        if (Exists)
        {
            return Validate(cmd);
        }

        var events = new List<IFabricEvent> { new AttachmentCreated(cmd.AttachmentId, cmd.VmId, profile.Name, profile.Groups.ToArray(), cmd.RequestId) };
        if (cmd.Project is { Length: > 0 } project)
        {
            events.Add(new AttachmentProjectSet(cmd.AttachmentId, project, cmd.RequestId));
        }

        // The profile's level is copied in, like its groups: a later change of either is the attachment's own.
        if (profile.Level is { } level)
        {
            events.Add(new AttachmentServiceLevelSet(cmd.AttachmentId, level, cmd.RequestId));
        }

        return new Decision(events, null);
    }

    /// <summary>Whether a bind may start; a started bind writes its events as it goes.</summary>
    public Rejected? CanBind(BindAttachment cmd)
    {
        if (Missing() is { } missing)
        {
            return missing;
        }

        if (cmd.Host is not null && string.IsNullOrWhiteSpace(cmd.Host))
        {
            return new Rejected(RejectReason.InvalidArgument, $"attachment {AttachmentId}: host must not be blank (omit it for any host)");
        }

        return Status switch
        {
            AttachmentStatus.Initial or AttachmentStatus.BindFailed => null,
            AttachmentStatus.Failed => new Rejected(RejectReason.IllegalState,
                $"attachment {AttachmentId} has failed ({FailureMessage}); rebind it or delete it"),
            _ => new Rejected(RejectReason.IllegalState,
                $"attachment {AttachmentId} is {Status}{(DeviceId is null ? "" : $" to {DeviceId}")}; it is bound already"),
        };
    }

    public Rejected? CanRebind(RebindAttachment cmd)
    {
        if (Missing() is { } missing)
        {
            return missing;
        }

        if (cmd.Host is not null && string.IsNullOrWhiteSpace(cmd.Host))
        {
            return new Rejected(RejectReason.InvalidArgument, $"attachment {AttachmentId}: host must not be blank (omit it to stay on this host)");
        }

        return Status is AttachmentStatus.Bound or AttachmentStatus.Attached or AttachmentStatus.Detached or AttachmentStatus.Failed
            ? null
            : new Rejected(RejectReason.IllegalState, $"attachment {AttachmentId} is {Status}; only a bound, attached, detached or failed attachment can be rebound");
    }

    public Decision Decide(MarkAttached cmd)
    {
        if (Missing() is { } missing)
        {
            return new Decision([], missing);
        }

        var h = cmd.Handle;
        // A PCI handle names a VF (domain:bus:device.function); a vhost-user handle its socket; a channel handle its channel and geometry.
        var pci = h?.PciAddress is { } address && address.Count(c => c == ':') == 2 && address.Contains('.');
        var vhost = h?.VhostUserSocket is { } socket && Path.IsPathRooted(socket);
        if (h is null || (!pci && !vhost && (string.IsNullOrWhiteSpace(h.ChannelPath) || h.AbiVersion < 1 || h.SubmissionRingSize < 1
            || h.CompletionRingSize < 1 || h.SlotCount < 1 || h.SlotSize < 1)))
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"attachment {AttachmentId}: the attach handle is incomplete");
        }

        if (Status is not (AttachmentStatus.Bound or AttachmentStatus.Detached or AttachmentStatus.Attached))
        {
            return Decision.Reject(RejectReason.IllegalState, $"attachment {AttachmentId} is {Status}; only a bound attachment can be attached");
        }

        if (h.Node != Host)
        {
            return Decision.Reject(RejectReason.IllegalState, $"attachment {AttachmentId} is bound on host {Host}, not {h.Node}");
        }

        return Status == AttachmentStatus.Attached && Handle == h
            ? Decision.Unchanged
            : Decision.Persist(new AttachmentAttached(AttachmentId, h, cmd.RequestId));
    }

    public Decision Decide(DetachAttachment cmd) =>
        Missing() is { } missing ? new Decision([], missing)
        : Status == AttachmentStatus.Attached ? Decision.Persist(new AttachmentDetached(AttachmentId, cmd.RequestId))
        : Decision.Unchanged;

    public Decision Decide(FailAttachment cmd) =>
        Missing() is { } missing ? new Decision([], missing)
        : Status == AttachmentStatus.Failed && FailureMessage == cmd.Reason ? Decision.Unchanged
        : Decision.Persist(new AttachmentFailed(AttachmentId, cmd.Reason ?? "", cmd.RequestId));

    /// <summary>Recorded once, before the attachment is bound; the same request again is no change.</summary>
    public Decision Decide(RequestBind cmd)
    {
        if (Missing() is { } missing)
        {
            return new Decision([], missing);
        }

        if (string.IsNullOrWhiteSpace(cmd.Host) || cmd.Host.Length > 255 || string.IsNullOrWhiteSpace(cmd.DeviceRpUuid) || cmd.DeviceRpUuid.Length > 64
            || cmd.Project is { Length: > 255 })
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"attachment {AttachmentId}: a bind request needs a host (1-255 characters), a device resource provider (1-64) and at most 255 characters of project");
        }

        if (BindRequest is { } recorded)
        {
            return recorded.Host == cmd.Host && recorded.DeviceRpUuid == cmd.DeviceRpUuid && recorded.Project == cmd.Project
                ? Decision.Unchanged
                : Decision.Reject(RejectReason.IllegalState, $"attachment {AttachmentId} has a bind requested on host {recorded.Host} already; use a new attachment");
        }

        return Status == AttachmentStatus.Initial
            ? Decision.Persist(new AttachmentBindRequested(AttachmentId, cmd.Host, cmd.DeviceRpUuid, cmd.Project, cmd.RequestId))
            : Decision.Reject(RejectReason.IllegalState, $"attachment {AttachmentId} is {Status}; a bind is requested before it starts");
    }

    public Decision Decide(MarkBindReported cmd) =>
        Missing() is { } missing ? new Decision([], missing)
        : BindRequest is null ? Decision.Reject(RejectReason.IllegalState, $"attachment {AttachmentId} has no requested bind to report")
        : BindRequest.Reported ? Decision.Unchanged
        : Decision.Persist(new AttachmentBindReported(AttachmentId, cmd.RequestId));

    public Decision Decide(DeleteAttachment cmd)
    {
        if (!Exists)
        {
            return Decision.Reject(RejectReason.NotFound, $"attachment {AttachmentId} does not exist");
        }

        return Status switch
        {
            AttachmentStatus.Deleted => Decision.Unchanged,
            AttachmentStatus.Attached => Decision.Reject(RejectReason.IllegalState,
                $"attachment {AttachmentId} is attached to VM {VmId}; detach it (or delete the VM) first"),
            _ => Decision.Persist(new AttachmentDeleted(AttachmentId, cmd.RequestId)),
        };
    }

    public AttachmentState WithRequests(RequestLog requests) => this with { Requests = requests };

    public AttachmentState Apply(IFabricEvent e) => e switch
    {
        AttachmentCreated c => this with
        {
            Exists = true, VmId = c.VmId, Profile = c.Profile, Groups = [.. c.Groups], Status = AttachmentStatus.Initial,
        },
        AttachmentProjectSet p => this with { Project = p.Project },
        AttachmentServiceLevelSet l => this with { Level = l.Level },
        AttachmentDeviceChosen c => this with
        {
            PendingDevice = c.DeviceId,
            TargetHost = c.Host,
            Status = Status == AttachmentStatus.Rebinding ? AttachmentStatus.Rebinding : AttachmentStatus.BindStarted,
            FailureReason = null,
            FailureMessage = null,
        },
        AttachmentBound b => this with
        {
            ReleasePending = DeviceId is { } previous && previous != b.DeviceId ? ReleasePending.Add(previous) : ReleasePending,
            DeviceId = b.DeviceId,
            Host = b.Host,
            DeviceFunctions = [.. b.DeviceFunctions],
            PendingDevice = null,
            TargetHost = null,
            Handle = null,
            Status = AttachmentStatus.Bound,
            FailureReason = null,
            FailureMessage = null,
        },
        AttachmentBindFailed f => this with
        {
            ReleasePending = DeviceId is { } previous ? ReleasePending.Add(previous) : ReleasePending,
            DeviceId = null,
            Host = null,
            DeviceFunctions = [],
            Handle = null,
            PendingDevice = null,
            TargetHost = null,
            Status = AttachmentStatus.BindFailed,
            FailureReason = f.Reason,
            FailureMessage = f.Message,
        },
        AttachmentAttached a => this with { Status = AttachmentStatus.Attached, Handle = a.Handle },
        AttachmentDetached => this with { Status = AttachmentStatus.Detached, Handle = null },
        AttachmentRebindStarted r => this with
        {
            Status = AttachmentStatus.Rebinding, TargetHost = r.Host ?? Host, PendingDevice = null, Handle = null,
            FailureMessage = r.Reason,
        },
        AttachmentFailed f => this with { Status = AttachmentStatus.Failed, Handle = null, FailureReason = null, FailureMessage = f.Reason },
        AttachmentDeleted => this with
        {
            Status = AttachmentStatus.Deleted,
            ReleasePending = ReleasePending.AddRange(new[] { DeviceId, PendingDevice }.OfType<string>().Distinct().Where(d => !ReleasePending.Contains(d))),
            DeviceId = null,
            PendingDevice = null,
            Handle = null,
        },
        AttachmentBindRequested r => this with { BindRequest = new BindRequest(r.Host, r.DeviceRpUuid, r.Project, false) },
        AttachmentBindReported => this with { BindRequest = BindRequest is null ? null : BindRequest with { Reported = true } },
        AttachmentDeviceReleased r => this with { ReleasePending = ReleasePending.Remove(r.DeviceId) },
        AttachmentReservationUnconfirmed u => this with
        {
            ReleasePending = ReleasePending.Contains(u.DeviceId) || u.DeviceId == DeviceId ? ReleasePending : ReleasePending.Add(u.DeviceId),
            PendingDevice = null,
        },
        _ => this,
    };

    private Rejected? Missing() =>
        !Exists ? new Rejected(RejectReason.NotFound, $"attachment {AttachmentId} does not exist")
        : Status == AttachmentStatus.Deleted ? new Rejected(RejectReason.NotFound, $"attachment {AttachmentId} was deleted")
        : null;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex IdPattern();
}
