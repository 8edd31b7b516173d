using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Fabric.Control.Entities;
using Fabric.Control.Events;
using Fabric.Control.Metrics;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Sharding;

namespace Fabric.Control.Attachments;

/// <summary>
/// The <c>Attachment</c> entity. Plain commands are decided by <see cref="AttachmentState"/>; creating, binding,
/// rebinding, changing a bound level and deleting are short sagas with other entities, opened by
/// <see cref="SagaOpenings"/> and stepped by <see cref="AttachmentSaga"/> (both pure): this actor journals each step's
/// events, then has <see cref="SagaAsks"/> ask and pipe the answer back. While a saga runs, other commands wait in the
/// stash; queries are answered at once.
/// </summary>
public sealed class AttachmentActor : FabricEntity<AttachmentState>, IWithTimers
{
    /// <summary>Tag of attachment creations and deletions: the attachment index (by VM) follows it.</summary>
    public const string IndexTag = "attachment-index";

    // An attachment lives from create to delete through a handful of events (a few more per rebind): replaying them is
    // cheaper than the snapshot query every new attachment would otherwise make at start.
    private static readonly EntityShape<AttachmentState> Shape = new(
        EntityTypes.Attachment, (state, _) => state.ToView(), EntityShape<AttachmentState>.Only(IndexTag, e => e is AttachmentCreated or AttachmentDeleted),
        TakesSnapshots: false);

    private static readonly TimeSpan ReleaseRetryDelay = TimeSpan.FromSeconds(5);

    private readonly SagaAsks _asks;
    private readonly BindMetrics _binds = FabricMetrics.Get(Context.System).Binds;
    private IActorRef _requester = ActorRefs.Nobody;
    private string _requestId = "";
    private BindPlacement _placement = BindPlacement.Start;
    private BindTiming _bindTiming = BindTiming.Resumed;

    public AttachmentActor(string attachmentId, AttachmentDependencies deps)
        : base(Shape, attachmentId, AttachmentState.Empty(attachmentId))
    {
        _asks = new SagaAsks(deps, Self);
        Ready();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string attachmentId, AttachmentDependencies deps) =>
        Akka.Actor.Props.Create<AttachmentActor>(attachmentId, deps);

    protected override void OnPersisted(IFabricEvent e)
    {
        if (AttachmentPublications.Of(EntityId, State.VmId, e) is { } published)
        {
            FabricEventBus.Publish(Context.System, published);
        }

        _bindTiming = _bindTiming.After(_binds, e);
    }

    protected override void OnReplaySuccess()
    {
        base.OnReplaySuccess();

        // Restarted in the middle of a bind or with releases owed: finish them before taking commands.
        if (SagaOpenings.Resume(State).Start is not null)
        {
            Self.Tell(ResumeSaga.Instance);
        }
    }

    private void Ready()
    {
        Command<GetAttachment>(_ => Sender.Tell(State.Query()));
        Command<CreateAttachment>(cmd => Open(cmd, SagaOpenings.Create));
        Command<BindAttachment>(cmd => Open(cmd, SagaOpenings.Bind));
        Command<RebindAttachment>(cmd => Open(cmd, SagaOpenings.Rebind));
        Command<SetAttachmentServiceLevel>(cmd => Open(cmd, SagaOpenings.ServiceLevel));
        Command<DeleteAttachment>(cmd => Open(cmd, SagaOpenings.Delete));
        Command<MarkAttached>(cmd => Decide(cmd, State.Decide(cmd)));
        Command<DetachAttachment>(cmd => Decide(cmd, State.Decide(cmd)));
        Command<FailAttachment>(cmd => Decide(cmd, State.Decide(cmd)));
        Command<RequestBind>(cmd => Decide(cmd, State.Decide(cmd)));
        Command<MarkBindReported>(cmd => Decide(cmd, State.Decide(cmd)));
        Command<ResumeSaga>(_ => Start(SagaOpenings.Resume(State), State.Requests.Order.LastOrDefault() ?? "resume", ActorRefs.Nobody));
    }

    /// <summary>The behaviour while a saga runs: outcomes of its asks, queries; everything else waits.</summary>
    private void Working()
    {
        Command<GetAttachment>(_ => Sender.Tell(State.Query()));
        Command<ISagaOutcome>(msg => Run(AttachmentSaga.After(State, _placement, msg, _requestId)));
        Command<ResumeSaga>(_ => { });
        CommandAny(_ => Stash.Stash());
    }

    private void Decide(IFabricCommand cmd, Decision decision)
    {
        if (!AnsweredBefore(cmd))
        {
            Answer(decision, state => state.ToView());
        }
    }

    private void Open<TCommand>(TCommand cmd, Func<AttachmentState, TCommand, SagaOpening> open)
        where TCommand : IFabricCommand
    {
        if (!AnsweredBefore(cmd))
        {
            Start(open(State, cmd), cmd.RequestId, Sender);
        }
    }

    private void Start(SagaOpening opening, string requestId, IActorRef requester)
    {
        if (opening.Answer is { } answer)
        {
            Answer(answer, state => state.ToView());
        }
        else if (opening.Start is { } first)
        {
            (_requester, _requestId, _placement) = (requester, requestId, BindPlacement.Start);
            _bindTiming = opening.BindKind is { } kind ? BindTiming.Start(_binds, kind) : _bindTiming;
            Behave(Working);
            Run(first);
        }
    }

    /// <summary>Carry out one step: tell placement, answer early if the step says so, journal, then go on.</summary>
    private void Run(SagaStep step)
    {
        _placement = step.Placement;
        _asks.Tell(step.ToPlacement);
        if (step.ToRequester is { } answer)
        {
            _requester.Tell(answer);
            _requester = ActorRefs.Nobody;
        }

        PersistEvents(step.Events, () => Next(step.Then));
    }

    private void Next(SagaNext next)
    {
        switch (next)
        {
            case SagaNext.Decide:
                Run(AttachmentSaga.Continue(State, _placement, _requestId));
                break;
            case SagaNext.TryCandidate:
                Run(AttachmentSaga.NextCandidate(State, _placement, _requestId));
                break;
            case SagaNext.RetryRelease retry:
                Log.Warning("{0}: release of {1} failed ({2}); retrying in {3}", PersistenceId, retry.DeviceId, retry.Reply, ReleaseRetryDelay);
                Timers.StartSingleTimer(ResumeSaga.Instance, ResumeSaga.Instance, ReleaseRetryDelay);
                Finish();
                break;
            case SagaNext.Finish:
                Finish();
                break;
            default:
                _asks.Carry(next);
                break;
        }
    }

    private void Finish()
    {
        if (!_requester.IsNobody())
        {
            _requester.Tell(State.Requests.TryGet(_requestId, out var reply) ? reply : State.ToView());
        }

        _requester = ActorRefs.Nobody;
        _placement = _placement.Ended();
        Behave(Ready);
        Stash.UnstashAll();
        if (State.Gone)
        {
            // Nothing more happens to a deleted attachment: give its memory back. A later query (or a retried
            // delete) starts it again from the journal and gets the same answer.
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        }
    }

    protected override void OnPersistenceFailed(Rejected rejected, IActorRef told)
    {
        // Mid-saga the write is persisted from a piped message, so the requester has not been told yet.
        if (!_requester.IsNobody() && !_requester.Equals(told))
        {
            _requester.Tell(rejected);
        }

        // A rejected write leaves this actor running: stop waiting.
        _requester = ActorRefs.Nobody;
        Finish();
    }
}
