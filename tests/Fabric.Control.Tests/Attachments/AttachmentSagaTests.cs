using System.Collections.Immutable;
using Fabric.Control.Attachments;
using Fabric.Control.Metrics;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Attachments;

/// <summary>The attachment's sagas without actors: how each command opens one, and what each answer from another entity leads to.</summary>
public sealed class AttachmentSagaTests
{
    private const string Id = "arq-1";
    private static readonly ServiceLevel Gold = new(4, 600, 800, 0, 0, ServiceClass.Latency);

    private static AttachmentState With(params IFabricEvent[] events) =>
        events.Aggregate(AttachmentState.Empty(Id), (s, e) => s.Apply(e));

    private static readonly IFabricEvent Created = new AttachmentCreated(Id, "vm-1", "crypto", [new ProfileGroup("aes-256-gcm", 2)], "c");

    private static AttachmentState Binding => With(Created, new AttachmentDeviceChosen(Id, "h/d0", "h", "b")) with { PendingDevice = null };

    private static AttachmentState Bound => With(Created, new AttachmentDeviceChosen(Id, "h/d0", "h", "b"), new AttachmentBound(Id, "h/d0", "h", ["aes-256-gcm"], "b"));

    private static DeviceView Device(string id) =>
        new(id, "h", "sw", ["aes-256-gcm"], 8, 2, DeviceHealth.Healthy, "", new Dictionary<string, int>());

    [Fact]
    public void A_bind_asks_placement_for_devices_of_its_groups_on_the_host_it_names_and_counts_as_a_bind()
    {
        var opening = SagaOpenings.Bind(With(Created), new BindAttachment(Id, "h", "b"));

        var find = Assert.IsType<SagaNext.FindDevices>(opening.Start!.Then);
        Assert.Equal(("h", 2), (find.Query.Host, find.Query.QueuePairs));
        Assert.Equal(["aes-256-gcm"], find.Query.Functions);
        Assert.Empty(opening.Start.Events);
        Assert.Equal(BindMetrics.Bind, opening.BindKind);
    }

    [Fact]
    public void Commands_the_state_refuses_or_answers_open_no_saga()
    {
        Assert.Equal(RejectReason.IllegalState, SagaOpenings.Bind(Bound, new BindAttachment(Id, null, "b2")).Answer?.Rejection?.Reason);
        Assert.Equal(RejectReason.NotFound, SagaOpenings.Delete(AttachmentState.Empty(Id), new DeleteAttachment(Id, "d")).Answer?.Rejection?.Reason);
        Assert.Null(SagaOpenings.Create(With(Created), new CreateAttachment(Id, "vm-1", "crypto", "c2")).Start);
        Assert.Null(SagaOpenings.ServiceLevel(With(Created), new SetAttachmentServiceLevel(Id, Gold, "l")).Start);
        Assert.Same(SagaOpening.Nothing, SagaOpenings.Resume(Bound));
    }

    [Fact]
    public void A_new_attachment_looks_its_profile_up_and_a_missing_profile_is_answered_with_what_to_do()
    {
        var create = new CreateAttachment(Id, "vm-1", "crypto", "c");
        Assert.Equal(create, Assert.IsType<SagaNext.LookUpProfile>(SagaOpenings.Create(AttachmentState.Empty(Id), create).Start!.Then).Command);

        var missing = AttachmentSaga.Profiled(AttachmentState.Empty(Id), BindPlacement.Start, new ProfileLookedUp(create, new ProfileView("crypto", [], false)));
        var found = AttachmentSaga.Profiled(AttachmentState.Empty(Id), BindPlacement.Start,
            new ProfileLookedUp(create, new ProfileView("crypto", [new ProfileGroup("aes-256-gcm", 1)], true)));

        Assert.Contains("create it first", missing.ToRequester?.Message);
        Assert.Empty(missing.Events);
        Assert.IsType<AttachmentCreated>(found.Events[0]);
        Assert.Null(found.ToRequester);
    }

    [Fact]
    public void The_chosen_candidate_is_journaled_before_it_is_asked_and_a_reservation_binds()
    {
        var step = AttachmentSaga.Found(Binding, BindPlacement.Start, new CandidatesFound(["h/d1", "h/d2"], "h", null), "b");

        var chosen = Assert.IsType<AttachmentDeviceChosen>(Assert.Single(step.Events));
        var reserve = Assert.IsType<SagaNext.Reserve>(step.Then);
        Assert.Equal(("h/d1", "h/d1", "b:reserve:h/d1"), (chosen.DeviceId, reserve.Command.DeviceId, reserve.Command.RequestId));

        var state = Binding.Apply(chosen);
        var bound = AttachmentSaga.Reserved(state, step.Placement, new ReserveOutcome("h/d1", new CapacityReserved(Id, 2, Device("h/d1"))), "b");

        Assert.IsType<AttachmentBound>(Assert.Single(bound.Events));
        Assert.IsType<CapacityObserved>(Assert.Single(bound.ToPlacement));
        Assert.Same(SagaNext.Continue, bound.Then);
    }

    [Fact]
    public void A_refusal_moves_on_to_the_next_candidate_and_an_unanswered_reservation_is_owed_a_release()
    {
        var placement = BindPlacement.Start.Found(["h/d1", "h/d2"], null).Next(out _);

        var refused = AttachmentSaga.Reserved(Binding, placement, new ReserveOutcome("h/d1", new Rejected(RejectReason.DeviceUnavailable, "off")), "b");
        var silent = AttachmentSaga.Reserved(Binding, placement, new ReserveOutcome("h/d1", new Rejected(RejectReason.Timeout, "late")), "b");

        Assert.Empty(refused.Events);
        Assert.Equal(["h/d1"], refused.Placement.Tried);
        Assert.Equal(new DeviceRefused("h/d1", RejectReason.DeviceUnavailable), Assert.Single(refused.ToPlacement));
        Assert.Same(SagaNext.NextCandidate, refused.Then);
        Assert.IsType<AttachmentReservationUnconfirmed>(Assert.Single(silent.Events));
        Assert.Equal(["h/d1"], Binding.Apply(silent.Events[0]).ReleasePending);
    }

    [Fact]
    public void With_no_candidate_left_full_devices_are_asked_for_once_more_then_the_bind_fails_and_journals_why()
    {
        var full = BindPlacement.Start.Found(["h/d1"], null).Next(out _).Refused("h/d1", new Rejected(RejectReason.NoCapacity, "h/d1 is full"));

        var again = AttachmentSaga.NextCandidate(Binding, full, "b");
        var find = Assert.IsType<SagaNext.FindDevices>(again.Then);
        Assert.Empty(find.Query.Exclude);
        Assert.Equal(2, again.Placement.Round);

        var lastRound = AttachmentSaga.Found(Binding, again.Placement, new CandidatesFound([], "h", null), "b");
        var failed = Assert.IsType<AttachmentBindFailed>(Assert.Single(lastRound.Events));
        Assert.Equal(RejectReason.NoCapacity, failed.Reason);
        Assert.Same(SagaNext.Continue, lastRound.Then);
    }

    [Fact]
    public void Resumed_after_a_restart_the_saga_reserves_the_journaled_device_again_or_lists_candidates_afresh()
    {
        var pending = With(Created, new AttachmentDeviceChosen(Id, "h/d0", "h", "b"));

        Assert.Equal("h/d0", Assert.IsType<SagaNext.Reserve>(AttachmentSaga.Continue(pending, BindPlacement.Start, "b").Then).Command.DeviceId);
        Assert.IsType<SagaNext.FindDevices>(AttachmentSaga.Continue(Binding, BindPlacement.Start, "b").Then);
        Assert.IsType<SagaNext.FindDevices>(AttachmentSaga.NextCandidate(Binding, BindPlacement.Start, "b").Then);
        Assert.Same(SagaNext.Continue, SagaOpenings.Resume(pending).Start!.Then);
    }

    [Fact]
    public void A_delete_releases_what_the_attachment_held_and_a_release_not_confirmed_is_retried_later()
    {
        var opening = SagaOpenings.Delete(Bound, new DeleteAttachment(Id, "d"));
        var deleted = Bound.Apply(Assert.Single(opening.Start!.Events));

        var release = Assert.IsType<SagaNext.Release>(AttachmentSaga.Continue(deleted, BindPlacement.Start, "d").Then);
        Assert.Equal(new ReleaseCapacity("h/d0", Id, "d:release:h/d0"), release.Command);

        var released = AttachmentSaga.Released(deleted, BindPlacement.Start, new ReleaseOutcome("h/d0", new CapacityReleased(Id, 2, Device("h/d0"))), "d");
        var gone = AttachmentSaga.Released(deleted, BindPlacement.Start, new ReleaseOutcome("h/d0", new Rejected(RejectReason.NotFound, "no such holder")), "d");
        var late = AttachmentSaga.Released(deleted, BindPlacement.Start, new ReleaseOutcome("h/d0", new Rejected(RejectReason.Timeout, "late")), "d");

        Assert.IsType<AttachmentDeviceReleased>(Assert.Single(released.Events));
        Assert.IsType<AttachmentDeviceReleased>(Assert.Single(gone.Events));
        Assert.Empty(gone.ToPlacement);
        Assert.Empty(late.Events);
        Assert.Equal("h/d0", Assert.IsType<SagaNext.RetryRelease>(late.Then).DeviceId);
        Assert.Same(SagaNext.End, AttachmentSaga.Continue(deleted.Apply(released.Events[0]), BindPlacement.Start, "d").Then);
    }

    [Fact]
    public void A_bound_attachments_new_level_is_journaled_only_once_its_device_committed_the_rates()
    {
        var opening = SagaOpenings.ServiceLevel(Bound, new SetAttachmentServiceLevel(Id, Gold, "l"));
        var commit = Assert.IsType<SagaNext.CommitLevel>(opening.Start!.Then);
        Assert.Equal(new CommitRates("h/d0", Id, 600, 0, "l:rates:h/d0"), commit.Command);

        var committed = AttachmentSaga.Rated(Bound, BindPlacement.Start, new RatesOutcome(commit.Decision, Device("h/d0")));
        var refused = AttachmentSaga.Rated(Bound, BindPlacement.Start, new RatesOutcome(commit.Decision, new Rejected(RejectReason.NoCapacity, "oversold")));

        Assert.IsType<AttachmentServiceLevelSet>(Assert.Single(committed.Events));
        Assert.Empty(refused.Events);
        Assert.Equal(RejectReason.NoCapacity, refused.ToRequester?.Reason);
        Assert.Contains("was not changed: oversold", refused.ToRequester?.Message);
    }

    [Fact]
    public void A_rebind_is_journaled_first_and_excludes_the_device_it_leaves()
    {
        var opening = SagaOpenings.Rebind(Bound, new RebindAttachment(Id, "h", "device failed", "r"));
        var rebinding = Bound.Apply(Assert.IsType<AttachmentRebindStarted>(Assert.Single(opening.Start!.Events)));

        var find = Assert.IsType<SagaNext.FindDevices>(AttachmentSaga.Continue(rebinding, BindPlacement.Start, "r").Then);

        Assert.Equal(BindMetrics.Rebind, opening.BindKind);
        Assert.Equal(["h/d0"], find.Query.Exclude);
    }
}
