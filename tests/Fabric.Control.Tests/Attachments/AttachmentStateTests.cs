using Fabric.Control.Attachments;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Attachments;

public class AttachmentStateTests
{
    private const string Id = "arq-1";
    private static readonly AttachHandle Handle = new("host-a", "/dev/shm/fabric/arq-1", 1, 256, 256, 64, 16384);

    private static AttachmentState With(params IFabricEvent[] events) =>
        events.Aggregate(AttachmentState.Empty(Id), (s, e) => s.Apply(e));

    private static readonly IFabricEvent Created = new AttachmentCreated(Id, "vm-1", "crypto", [new ProfileGroup("aes-256-gcm", 1)], "c");
    private static readonly IFabricEvent Chosen = new AttachmentDeviceChosen(Id, "host-a/sw0", null, "b");
    private static readonly IFabricEvent Bound = new AttachmentBound(Id, "host-a/sw0", "host-a", ["aes-256-gcm", "sha256"], "b");
    private static readonly IFabricEvent Attached = new AttachmentAttached(Id, Handle, "m");

    public static TheoryData<string, AttachmentStatus> States => new()
    {
        { "initial", AttachmentStatus.Initial },
        { "bound", AttachmentStatus.Bound },
        { "attached", AttachmentStatus.Attached },
        { "detached", AttachmentStatus.Detached },
        { "failed", AttachmentStatus.Failed },
        { "bind-failed", AttachmentStatus.BindFailed },
        { "deleted", AttachmentStatus.Deleted },
    };

    private static AttachmentState StateNamed(string name) => name switch
    {
        "initial" => With(Created),
        "bound" => With(Created, Chosen, Bound),
        "attached" => With(Created, Chosen, Bound, Attached),
        "detached" => With(Created, Chosen, Bound, Attached, new AttachmentDetached(Id, "d")),
        "failed" => With(Created, Chosen, Bound, Attached, new AttachmentFailed(Id, "NodeLost: host-a left", "f")),
        "bind-failed" => With(Created, new AttachmentBindFailed(Id, RejectReason.NoCapacity, "none", "b")),
        "deleted" => With(Created, new AttachmentDeleted(Id, "x")),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(States))]
    public void The_named_states_are_what_their_events_make(string name, AttachmentStatus status)
    {
        Assert.Equal(status, StateNamed(name).Status);
    }

    [Theory]
    [InlineData("initial", true)]
    [InlineData("bind-failed", true)]
    [InlineData("bound", false)]
    [InlineData("attached", false)]
    [InlineData("detached", false)]
    [InlineData("failed", false)]
    [InlineData("deleted", false)]
    public void Bind_starts_only_from_initial_or_bind_failed(string state, bool allowed)
    {
        var rejected = StateNamed(state).CanBind(new BindAttachment(Id, null, "r"));

        Assert.Equal(allowed, rejected is null);
    }

    [Theory]
    [InlineData("bound", true)]
    [InlineData("attached", true)]
    [InlineData("detached", true)]
    [InlineData("failed", true)]
    [InlineData("initial", false)]
    [InlineData("bind-failed", false)]
    [InlineData("deleted", false)]
    public void Rebind_starts_from_states_that_hold_or_held_a_device(string state, bool allowed)
    {
        Assert.Equal(allowed, StateNamed(state).CanRebind(new RebindAttachment(Id, null, "device failed", "r")) is null);
    }

    [Theory]
    [InlineData("bound", true)]
    [InlineData("detached", true)]
    [InlineData("initial", false)]
    [InlineData("failed", false)]
    [InlineData("bind-failed", false)]
    [InlineData("deleted", false)]
    public void Attach_needs_a_bound_device(string state, bool allowed)
    {
        var decision = StateNamed(state).Decide(new MarkAttached(Id, Handle, "m2"));

        Assert.Equal(allowed, decision.Rejection is null);
        Assert.Equal(allowed, decision.Events.Count == 1);
    }

    [Fact]
    public void Attach_from_another_host_than_the_bound_one_is_refused()
    {
        var decision = StateNamed("bound").Decide(new MarkAttached(Id, Handle with { Node = "host-b" }, "m"));

        Assert.Equal(RejectReason.IllegalState, decision.Rejection?.Reason);
    }

    [Fact]
    public void An_incomplete_attach_handle_is_refused()
    {
        var decision = StateNamed("bound").Decide(new MarkAttached(Id, Handle with { SlotCount = 0 }, "m"));

        Assert.Equal(RejectReason.InvalidArgument, decision.Rejection?.Reason);
    }

    [Fact]
    public void A_vhost_user_handle_attaches_by_its_socket_and_one_without_a_rooted_socket_is_refused()
    {
        var bound = StateNamed("bound");
        var attached = bound.Decide(new MarkAttached(Id, new VhostUserAttachHandle(Handle.Node, "/var/lib/fabric/vhost/host-a-4053/arq-1.sock"), "m"));
        var relative = bound.Decide(new MarkAttached(Id, new VhostUserAttachHandle(Handle.Node, "arq-1.sock"), "m2"));

        Assert.Null(attached.Rejection);
        Assert.Single(attached.Events);
        Assert.Equal(RejectReason.InvalidArgument, relative.Rejection?.Reason);
    }

    [Fact]
    public void Delete_while_attached_is_refused_until_detached()
    {
        var attached = StateNamed("attached");

        Assert.Equal(RejectReason.IllegalState, attached.Decide(new DeleteAttachment(Id, "d")).Rejection?.Reason);
        Assert.Single(StateNamed("detached").Decide(new DeleteAttachment(Id, "d")).Events);
    }

    [Fact]
    public void Deleting_a_bound_attachment_owes_a_release_of_its_device()
    {
        var deleted = StateNamed("bound").Apply(new AttachmentDeleted(Id, "d"));

        Assert.Equal(AttachmentStatus.Deleted, deleted.Status);
        Assert.Equal(["host-a/sw0"], deleted.ReleasePending);
        Assert.Empty(deleted.Apply(new AttachmentDeviceReleased(Id, "host-a/sw0", "d")).ReleasePending);
    }

    [Fact]
    public void A_rebind_to_another_device_owes_a_release_of_the_old_one()
    {
        var state = StateNamed("attached")
            .Apply(new AttachmentRebindStarted(Id, null, "device failed", "r"))
            .Apply(new AttachmentDeviceChosen(Id, "host-a/sw1", "host-a", "r"));
        Assert.Equal(AttachmentStatus.Rebinding, state.Status);

        state = state.Apply(new AttachmentBound(Id, "host-a/sw1", "host-a", ["aes-256-gcm"], "r"));

        Assert.Equal(AttachmentStatus.Bound, state.Status);
        Assert.Equal("host-a/sw1", state.DeviceId);
        Assert.Equal(["host-a/sw0"], state.ReleasePending);
    }

    [Fact]
    public void Commands_to_a_deleted_or_missing_attachment_are_not_found()
    {
        Assert.Equal(RejectReason.NotFound, StateNamed("deleted").CanBind(new BindAttachment(Id, null, "r"))?.Reason);
        Assert.Equal(RejectReason.NotFound, AttachmentState.Empty(Id).Decide(new DetachAttachment(Id, "r")).Rejection?.Reason);
        Assert.Equal(RejectReason.NotFound, AttachmentState.Empty(Id).Decide(new DeleteAttachment(Id, "r")).Rejection?.Reason);
    }

    [Theory]
    [InlineData("", "vm", "p")]
    [InlineData("has space", "vm", "p")]
    [InlineData("ok", "", "p")]
    [InlineData("ok", "vm", "")]
    public void Create_with_bad_fields_is_refused(string id, string vm, string profile)
    {
        var decision = AttachmentState.Empty(id).Validate(new CreateAttachment(id, vm, profile, "r"));

        Assert.Equal(RejectReason.InvalidArgument, decision.Rejection?.Reason);
    }

    [Fact]
    public void Create_again_for_another_vm_is_refused_as_existing()
    {
        var decision = StateNamed("initial").Validate(new CreateAttachment(Id, "vm-2", "crypto", "r"));

        Assert.Equal(RejectReason.AlreadyExists, decision.Rejection?.Reason);
    }

    [Fact]
    public void A_reservation_left_unanswered_is_a_release_owed_once_the_bind_ends_elsewhere()
    {
        var unconfirmed = new AttachmentReservationUnconfirmed(Id, "host-a/sw0", "b");
        var state = With(Created, Chosen, unconfirmed);

        Assert.True(state.Binding);
        Assert.Null(state.PendingDevice);
        Assert.Equal(["host-a/sw0"], state.ReleasePending);
        Assert.Equal(["host-a/sw0"], state.Apply(unconfirmed).ReleasePending);

        // Bound on another device: the unanswered one is still owed its release.
        var bound = state
            .Apply(new AttachmentDeviceChosen(Id, "host-b/sw0", null, "b"))
            .Apply(new AttachmentBound(Id, "host-b/sw0", "host-b", ["aes-256-gcm"], "b"));
        Assert.Equal(AttachmentStatus.Bound, bound.Status);
        Assert.Equal(["host-a/sw0"], bound.ReleasePending);
        Assert.Empty(bound.Apply(new AttachmentDeviceReleased(Id, "host-a/sw0", "b:release:host-a/sw0")).ReleasePending);
    }

    [Fact]
    public void A_bind_request_is_recorded_once_before_the_bind_and_kept_through_it_and_its_report()
    {
        var request = new RequestBind(Id, "host-a", "0b4c5f6e-1111-4222-8333-944445555666", "project-1", "q");
        var decision = StateNamed("initial").Decide(request);
        var requested = Assert.IsType<AttachmentBindRequested>(Assert.Single(decision.Events));
        var state = StateNamed("initial").Apply(requested);
        Assert.Equal(new BindRequest("host-a", request.DeviceRpUuid, "project-1", false), state.ToView().BindRequest);

        // The same request again is no change; another one is refused.
        Assert.Empty(state.Decide(request with { RequestId = "q2" }).Events);
        Assert.Null(state.Decide(request with { RequestId = "q2" }).Rejection);
        Assert.Equal(RejectReason.IllegalState, state.Decide(request with { Host = "host-b", RequestId = "q3" }).Rejection?.Reason);

        // The bind keeps it; the report marks it once.
        state = new[] { Chosen, Bound, Attached }.Aggregate(state, (s, e) => s.Apply(e));
        Assert.Equal("host-a", state.BindRequest?.Host);
        var reported = Assert.IsType<AttachmentBindReported>(Assert.Single(state.Decide(new MarkBindReported(Id, "r")).Events));
        state = state.Apply(reported);
        Assert.True(state.ToView().BindRequest?.Reported);
        Assert.Empty(state.Decide(new MarkBindReported(Id, "r2")).Events);
    }

    [Theory]
    [InlineData("bound", RejectReason.IllegalState)]
    [InlineData("attached", RejectReason.IllegalState)]
    [InlineData("deleted", RejectReason.NotFound)]
    public void A_bind_request_after_the_bind_started_is_refused(string name, RejectReason reason)
    {
        Assert.Equal(reason, StateNamed(name).Decide(new RequestBind(Id, "host-a", "rp", null, "q")).Rejection?.Reason);
    }

    [Theory]
    [InlineData("", "rp")]
    [InlineData("host-a", " ")]
    public void A_bind_request_without_a_host_or_resource_provider_is_refused(string host, string rp)
    {
        Assert.Equal(RejectReason.InvalidArgument, StateNamed("initial").Decide(new RequestBind(Id, host, rp, null, "q")).Rejection?.Reason);
    }

    [Fact]
    public void A_report_without_a_recorded_bind_is_refused()
    {
        Assert.Equal(RejectReason.IllegalState, StateNamed("attached").Decide(new MarkBindReported(Id, "r")).Rejection?.Reason);
    }
}
