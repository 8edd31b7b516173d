using Fabric.Control.Entities;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;

namespace Fabric.Control.Attachments;

/// <summary>
/// The steps of an attachment's sagas as pure functions of its state and placement: the bind (candidates from the
/// capacity read model, a reservation per candidate, a refusal moving on to the next), the owed releases, the
/// profile lookup of a create and the rates a changed level commits. <see cref="SagaOpenings"/> starts them;
/// the actor journals each step's events and carries out its <see cref="SagaNext"/>.
/// </summary>
internal static class AttachmentSaga
{
    /// <summary>The step an answer from another entity leads to.</summary>
    public static SagaStep After(AttachmentState state, BindPlacement placement, ISagaOutcome outcome, string requestId) => outcome switch
    {
        ProfileLookedUp p => Profiled(state, placement, p),
        CandidatesFound c => Found(state, placement, c, requestId),
        ReserveOutcome r => Reserved(state, placement, r, requestId),
        ReleaseOutcome r => Released(state, placement, r, requestId),
        RatesOutcome r => Rated(state, placement, r),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "not a saga outcome"),
    };

    /// <summary>The next step the journaled state calls for: finish a bind, carry out an owed release, or end.</summary>
    public static SagaStep Continue(AttachmentState state, BindPlacement placement, string requestId)
    {
        if (state.Binding)
        {
            return Then(placement, state.PendingDevice is { } pending
                ? new SagaNext.Reserve(state.Reservation(pending, $"{requestId}:reserve:{pending}"))
                : FindDevices(state, placement, state.TargetHost));
        }

        return state.ReleasePending.IsEmpty
            ? Then(placement, SagaNext.End)
            : Then(placement, new SagaNext.Release(Release(state, state.ReleasePending[0], requestId)));
    }

    public static SagaStep Found(AttachmentState state, BindPlacement placement, CandidatesFound found, string requestId) =>
        TryNext(state, placement.Found(found.DeviceIds, found.NoneBecause), found.Host, requestId);

    /// <summary>After a refusal: the next candidate, or (resumed after a restart, no list yet) placement first.</summary>
    public static SagaStep NextCandidate(AttachmentState state, BindPlacement placement, string requestId) =>
        placement.Candidates is null
            ? Then(placement, FindDevices(state, placement, state.TargetHost))
            : TryNext(state, placement, state.TargetHost, requestId);

    /// <summary>The chosen device is journaled before it is asked; none left: once more to placement, or the bind fails.</summary>
    public static SagaStep TryNext(AttachmentState state, BindPlacement placement, string? host, string requestId)
    {
        placement = placement.Next(out var deviceId);
        if (deviceId is not null)
        {
            return new SagaStep(placement, [new AttachmentDeviceChosen(state.AttachmentId, deviceId, host, requestId)],
                new SagaNext.Reserve(state.Reservation(deviceId, $"{requestId}:reserve:{deviceId}")));
        }

        if (placement.MayAskAgain)
        {
            placement = placement.AskAgain();
            return Then(placement, FindDevices(state, placement, host));
        }

        return new SagaStep(placement,
            [new AttachmentBindFailed(state.AttachmentId, RejectReason.NoCapacity, placement.NoDevice(state, host), requestId)],
            SagaNext.Continue);
    }

    public static SagaStep Reserved(AttachmentState state, BindPlacement placement, ReserveOutcome outcome, string requestId)
    {
        if (outcome.Reply is CapacityReserved reserved)
        {
            var d = reserved.Device;
            return new SagaStep(placement, [new AttachmentBound(state.AttachmentId, outcome.DeviceId, d.Node, d.Functions.ToArray(), requestId)],
                SagaNext.Continue) { ToPlacement = [new CapacityObserved(d)] };
        }

        var refusal = Refusal(outcome.Reply);
        var refused = placement.Refused(outcome.DeviceId, refusal);
        var told = new[] { new DeviceRefused(outcome.DeviceId, refusal.Reason) };

        // The device may have taken the reservation after all (its answer lost with a node, say): its release is owed,
        // journaled, and carried out after the bind like any owed release, retried until answered.
        return refusal.Reason == RejectReason.Timeout
            ? new SagaStep(refused, [new AttachmentReservationUnconfirmed(state.AttachmentId, outcome.DeviceId, requestId)], SagaNext.NextCandidate) { ToPlacement = told }
            : new SagaStep(refused, [], SagaNext.NextCandidate) { ToPlacement = told };
    }

    /// <summary>Released, or the device holds nothing for it (NotFound): journaled. Anything else: retried later.</summary>
    public static SagaStep Released(AttachmentState state, BindPlacement placement, ReleaseOutcome outcome, string requestId) => outcome.Reply switch
    {
        CapacityReleased released => new SagaStep(placement, [new AttachmentDeviceReleased(state.AttachmentId, outcome.DeviceId, requestId)],
            SagaNext.Continue) { ToPlacement = [new CapacityObserved(released.Device)] },
        Rejected { Reason: RejectReason.NotFound } => new SagaStep(placement,
            [new AttachmentDeviceReleased(state.AttachmentId, outcome.DeviceId, requestId)], SagaNext.Continue),
        _ => Then(placement, new SagaNext.RetryRelease(outcome.DeviceId, outcome.Reply)),
    };

    public static SagaStep Profiled(AttachmentState state, BindPlacement placement, ProfileLookedUp looked)
    {
        if (looked.Reply is ProfileView { Exists: true } profile)
        {
            return new SagaStep(placement, state.Decide(looked.Command, profile).Events, SagaNext.End);
        }

        var rejected = looked.Reply as Rejected ?? new Rejected(RejectReason.NotFound, $"profile {looked.Command.Profile} does not exist");
        return Then(placement, SagaNext.End) with
        {
            ToRequester = rejected.Reason == RejectReason.NotFound
                ? new Rejected(RejectReason.NotFound, $"attachment {state.AttachmentId}: profile {looked.Command.Profile} does not exist; create it first")
                : rejected,
        };
    }

    /// <summary>The device committed the level's rates: the level is journaled. Refused: nothing changes.</summary>
    public static SagaStep Rated(AttachmentState state, BindPlacement placement, RatesOutcome outcome)
    {
        if (outcome.Reply is DeviceView device)
        {
            return new SagaStep(placement, outcome.Decision.Events, SagaNext.End) { ToPlacement = [new CapacityObserved(device)] };
        }

        var refusal = Refusal(outcome.Reply);
        return Then(placement, SagaNext.End) with
        {
            ToRequester = new Rejected(refusal.Reason, $"attachment {state.AttachmentId}: the service level was not changed: {refusal.Message}"),
        };
    }

    /// <summary>Never a device tried, owed a release, or left by a rebind; the rates of the attachment's level.</summary>
    public static SagaNext.FindDevices FindDevices(AttachmentState state, BindPlacement placement, string? host)
    {
        var level = state.Level ?? ServiceLevel.BestEffort;
        return new SagaNext.FindDevices(new FindCandidates(state.Functions, state.QueuePairs, host, placement.Exclusions(state), state.Groups,
            level.CommittedOpsPerSecond, level.CommittedBytesPerSecond));
    }

    private static ReleaseCapacity Release(AttachmentState state, string deviceId, string requestId) =>
        new(deviceId, state.AttachmentId, $"{requestId}:release:{deviceId}");

    private static Rejected Refusal(object reply) =>
        reply as Rejected ?? new Rejected(RejectReason.Timeout, $"unexpected answer {reply.GetType().Name}");

    private static SagaStep Then(BindPlacement placement, SagaNext next) => new(placement, [], next);
}
