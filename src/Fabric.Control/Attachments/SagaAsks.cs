using Akka.Actor;
using Fabric.Messages.Errors;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;

namespace Fabric.Control.Attachments;

/// <summary>
/// The asks an attachment's saga makes of other entities, each answer (or its timeout) piped back to the attachment as
/// an outcome <see cref="AttachmentSaga"/> decides on. The actor never awaits: other messages wait in its stash.
/// </summary>
internal sealed class SagaAsks(AttachmentDependencies deps, IActorRef attachment)
{
    public void Carry(SagaNext next)
    {
        switch (next)
        {
            case SagaNext.LookUpProfile p:
                Ask(deps.Profiles, new GetProfile(p.Command.Profile), r => new ProfileLookedUp(p.Command, r), "profile " + p.Command.Profile);
                break;
            case SagaNext.FindDevices f:
                var host = f.Query.Host;
                deps.Placement.Ask<Candidates>(f.Query, deps.AskTimeout).PipeTo(attachment,
                    success: c => new CandidatesFound(c.DeviceIds, host, c.NoneBecause), failure: _ => new CandidatesFound([], host, null));
                break;
            case SagaNext.Reserve r:
                var reserving = r.Command.DeviceId;
                Ask(deps.Devices, r.Command, reply => new ReserveOutcome(reserving, reply), "device " + reserving);
                break;
            case SagaNext.Release r:
                var releasing = r.Command.DeviceId;
                Ask(deps.Devices, r.Command, reply => new ReleaseOutcome(releasing, reply), "device " + releasing);
                break;
            case SagaNext.CommitLevel c:
                Ask(deps.Devices, c.Command, reply => new RatesOutcome(c.Decision, reply), "device " + c.Command.DeviceId);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(next), next, "not an ask");
        }
    }

    /// <summary>Tell the capacity read model what a device answered (fresher than its own view).</summary>
    public void Tell(IReadOnlyList<Messages.IFabricMessage> facts)
    {
        foreach (var fact in facts)
        {
            deps.Placement.Tell(fact);
        }
    }

    private void Ask(IActorRef to, object message, Func<object, object> outcome, string what) =>
        to.Ask<object>(message, deps.AskTimeout).PipeTo(attachment, success: outcome,
            failure: ex => outcome(new Rejected(RejectReason.Timeout, $"{what} did not answer in time ({ex.GetType().Name})")));
}
