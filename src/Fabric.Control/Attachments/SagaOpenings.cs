using Fabric.Control.Metrics;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;

namespace Fabric.Control.Attachments;

/// <summary>
/// How each command that talks to other entities opens its saga, as pure functions of the attachment's state: refused
/// or answered from the state at once, or the saga's first step (<see cref="AttachmentSaga"/> takes the next ones).
/// </summary>
internal static class SagaOpenings
{
    /// <summary>Checked here first; the profile is looked up only for a new attachment (a retried create is answered from the state).</summary>
    public static SagaOpening Create(AttachmentState state, CreateAttachment cmd)
    {
        var validation = state.Validate(cmd);
        return validation.IsRejected || state.Exists
            ? SagaOpening.Answered(validation)
            : SagaOpening.Starts(new SagaNext.LookUpProfile(cmd));
    }

    public static SagaOpening Bind(AttachmentState state, BindAttachment cmd) =>
        state.CanBind(cmd) is { } rejected
            ? SagaOpening.Refused(rejected)
            : SagaOpening.Starts(AttachmentSaga.FindDevices(state, BindPlacement.Start, cmd.Host), bindKind: BindMetrics.Bind);

    /// <summary>The rebind is journaled before any device is asked, so a restart finishes it.</summary>
    public static SagaOpening Rebind(AttachmentState state, RebindAttachment cmd) =>
        state.CanRebind(cmd) is { } rejected
            ? SagaOpening.Refused(rejected)
            : SagaOpening.Starts(SagaNext.Continue,
                [new AttachmentRebindStarted(state.AttachmentId, cmd.Host, cmd.Reason ?? "", cmd.RequestId)], BindMetrics.Rebind);

    /// <summary>A delete journals first, then releases what the attachment held or was about to hold.</summary>
    public static SagaOpening Delete(AttachmentState state, DeleteAttachment cmd)
    {
        var decision = state.Decide(cmd);
        return decision.IsRejected || decision.Events.Count == 0
            ? SagaOpening.Answered(decision)
            : SagaOpening.Starts(SagaNext.Continue, decision.Events);
    }

    /// <summary>A bound attachment's device commits the new rates first (it refuses to oversell); then the level is journaled.</summary>
    public static SagaOpening ServiceLevel(AttachmentState state, SetAttachmentServiceLevel cmd)
    {
        var decision = state.Decide(cmd);
        if (decision.IsRejected || decision.Events.Count == 0 || state.HeldDevice is not { } deviceId)
        {
            return SagaOpening.Answered(decision);
        }

        var commit = new CommitRates(deviceId, state.AttachmentId, cmd.Level.CommittedOpsPerSecond, cmd.Level.CommittedBytesPerSecond,
            $"{cmd.RequestId}:rates:{deviceId}");
        return SagaOpening.Starts(new SagaNext.CommitLevel(decision, commit));
    }

    /// <summary>Restarted in the middle of a bind or with releases owed: finish them before taking commands.</summary>
    public static SagaOpening Resume(AttachmentState state) =>
        state.Binding || !state.ReleasePending.IsEmpty ? SagaOpening.Starts(SagaNext.Continue) : SagaOpening.Nothing;
}
