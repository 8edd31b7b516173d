using Akka.Actor;
using Fabric.Control.Entities;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Sharding;

namespace Fabric.Control.Pipelines;

/// <summary>The <c>Pipeline</c> entity: stages validated against the attachment's profile and bound device.</summary>
public sealed class PipelineActor : FabricEntity<PipelineState>
{
    private readonly IActorRef _attachments;
    private readonly TimeSpan _askTimeout;
    private IActorRef _requester = ActorRefs.Nobody;

    /// <summary>Tag of pipeline definitions and deletions: the pipeline index (by attachment) follows it.</summary>
    public const string IndexTag = "pipeline-index";

    private static readonly EntityShape<PipelineState> Shape = new(
        EntityTypes.Pipeline, (state, _) => state.ToView(), EntityShape<PipelineState>.Only(IndexTag, e => e is PipelineDefined or PipelineDeleted));

    public PipelineActor(string pipelineId, IActorRef attachments, TimeSpan askTimeout)
        : base(Shape, pipelineId, PipelineState.Empty(pipelineId))
    {
        _attachments = attachments;
        _askTimeout = askTimeout;
        Ready();
    }

    public static Props Props(string pipelineId, IActorRef attachments, TimeSpan askTimeout) =>
        Akka.Actor.Props.Create<PipelineActor>(pipelineId, attachments, askTimeout);

    private void Ready()
    {
        Command<GetPipeline>(_ => ReplyView());
        Command<DefinePipeline>(cmd =>
        {
            if (AnsweredBefore(cmd))
            {
                return;
            }

            if (State.Validate(cmd) is { } rejected)
            {
                Sender.Tell(rejected);
                return;
            }

            _requester = Sender;
            _attachments.Ask<object>(new GetAttachment(cmd.AttachmentId), _askTimeout)
                .PipeTo(Self, success: r => new AttachmentLookedUp(cmd, r),
                    failure: ex => new AttachmentLookedUp(cmd, new Rejected(RejectReason.Timeout, $"attachment {cmd.AttachmentId} did not answer in time ({ex.GetType().Name})")));
            Behave(LookingUp);
        });
        Command<DeletePipeline>(cmd =>
        {
            if (AnsweredBefore(cmd))
            {
                return;
            }

            // A delete that removed the pipeline answers its view (Exists false), as a retry of it does from the request
            // log; only a delete of a pipeline that never existed (or was gone already) is NotFound.
            var decision = State.Decide(cmd);
            if (decision.Events.Count == 0)
            {
                ReplyView();
                return;
            }

            Answer(decision, state => state.ToView());
        });
    }

    private void LookingUp()
    {
        Command<GetPipeline>(_ => ReplyView());
        Command<AttachmentLookedUp>(msg =>
        {
            Behave(Ready);
            Stash.UnstashAll();
            if (msg.Reply is not AttachmentView attachment)
            {
                _requester.Tell(msg.Reply as Rejected ?? new Rejected(RejectReason.NotFound, $"attachment {msg.Command.AttachmentId} does not exist"));
                return;
            }

            var decision = State.Decide(msg.Command, attachment);
            if (decision.Rejection is { } rejected)
            {
                _requester.Tell(rejected);
                return;
            }

            var requester = _requester;
            PersistEvents(decision.Events, () => requester.Tell(State.ToView()));
        });
        CommandAny(_ => Stash.Stash());
    }

    private void ReplyView() => Sender.Tell(State.Exists
        ? State.ToView()
        : new Rejected(RejectReason.NotFound, $"pipeline {EntityId} does not exist"));

    private sealed record AttachmentLookedUp(DefinePipeline Command, object Reply);
}
