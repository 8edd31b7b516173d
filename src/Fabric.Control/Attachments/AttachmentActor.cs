using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Fabric.Control.Entities;
using Fabric.Control.Events;
using Fabric.Control.Metrics;
using Fabric.Messages.Vim;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Fabric.Messages.Sharding;

namespace Fabric.Control.Attachments;

/// <summary>
/// The <c>Attachment</c> entity. Plain commands are decided by <see cref="AttachmentState"/>; binding, rebinding
/// and deleting are short sagas with <c>Device</c> entities: candidates come from the capacity read model, the
/// device accepts or refuses the reservation, a refusal moves on to the next candidate. While a saga runs, other
/// commands wait in the stash; queries are answered at once.
/// </summary>
public sealed class AttachmentActor : FabricEntity<AttachmentState>, IWithTimers
{
    private static readonly TimeSpan ReleaseRetryDelay = TimeSpan.FromSeconds(5);

    private readonly AttachmentDependencies _deps;
    private IActorRef _requester = ActorRefs.Nobody;
    private string _requestId = "";
    private BindPlacement _placement = BindPlacement.Start;
    private readonly BindMetrics _binds = FabricMetrics.Get(Context.System).Binds;
    private BindTiming _bindTiming = BindTiming.Resumed;

    public AttachmentActor(string attachmentId, AttachmentDependencies deps)
        : base(EntityTypes.Attachment, attachmentId, AttachmentState.Empty(attachmentId))
    {
        _deps = deps;
        Ready();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string attachmentId, AttachmentDependencies deps) =>
        Akka.Actor.Props.Create<AttachmentActor>(attachmentId, deps);

    /// <summary>
    /// An attachment lives from create to delete through a handful of events (a few more per rebind): replaying
    /// them is cheaper than the snapshot query every new attachment would otherwise make at start.
    /// </summary>
    protected override bool TakesSnapshots => false;

    protected override AttachmentState Apply(AttachmentState state, IFabricEvent e) => state.Apply(e);

    protected override RequestLog RequestsOf(AttachmentState state) => state.Requests;

    protected override AttachmentState WithRequests(AttachmentState state, RequestLog requests) => state with { Requests = requests };

    protected override object ReplyFor(AttachmentState state, IFabricEvent e) => state.ToView();

    /// <summary>Tag of attachment creations and deletions: the attachment index (by VM) follows it.</summary>
    public const string IndexTag = "attachment-index";

    private static readonly IReadOnlySet<string> IndexTags = new HashSet<string> { IndexTag };

    protected override IReadOnlySet<string> TagsOf(IFabricEvent e) =>
        e is AttachmentCreated or AttachmentDeleted ? IndexTags : base.TagsOf(e);

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
        if (State.Binding || !State.ReleasePending.IsEmpty)
        {
            Self.Tell(ResumeSaga.Instance);
        }
    }

    private void Ready()
    {
        Command<GetAttachment>(_ => ReplyQuery());
        Command<CreateAttachment>(cmd =>
        {
            if (AnsweredBefore(cmd))
            {
                return;
            }

            var validation = State.Validate(cmd);
            if (validation.IsRejected || State.Exists)
            {
                Carry(validation, ReplyView);
                return;
            }

            StartSaga(cmd.RequestId);
            _deps.Profiles.Ask<object>(new GetProfile(cmd.Profile), _deps.AskTimeout)
                .PipeTo(Self, success: r => new ProfileLookedUp(cmd, r), failure: ex => new ProfileLookedUp(cmd, TimedOut("profile " + cmd.Profile, ex)));
        });
        Command<BindAttachment>(cmd =>
        {
            if (AnsweredBefore(cmd))
            {
                return;
            }

            if (State.CanBind(cmd) is { } rejected)
            {
                Sender.Tell(rejected);
                return;
            }

            StartSaga(cmd.RequestId);
            _bindTiming = BindTiming.Start(_binds, BindMetrics.Bind);
            FindCandidates(cmd.Host);
        });
        Command<RebindAttachment>(cmd =>
        {
            if (AnsweredBefore(cmd))
            {
                return;
            }

            if (State.CanRebind(cmd) is { } rejected)
            {
                Sender.Tell(rejected);
                return;
            }

            StartSaga(cmd.RequestId);
            _bindTiming = BindTiming.Start(_binds, BindMetrics.Rebind);
            PersistEvents([new AttachmentRebindStarted(EntityId, cmd.Host, cmd.Reason ?? "", cmd.RequestId)], Continue);
        });
        Command<SetAttachmentServiceLevel>(SetServiceLevel);
        Command<MarkAttached>(cmd => Decide(cmd, State.Decide(cmd)));
        Command<DetachAttachment>(cmd => Decide(cmd, State.Decide(cmd)));
        Command<FailAttachment>(cmd => Decide(cmd, State.Decide(cmd)));
        Command<RequestBind>(cmd => Decide(cmd, State.Decide(cmd)));
        Command<MarkBindReported>(cmd => Decide(cmd, State.Decide(cmd)));
        Command<DeleteAttachment>(cmd =>
        {
            if (AnsweredBefore(cmd))
            {
                return;
            }

            var decision = State.Decide(cmd);
            if (decision.IsRejected || decision.Events.Count == 0)
            {
                Carry(decision, ReplyView);
                return;
            }

            StartSaga(cmd.RequestId);
            PersistEvents(decision.Events, Continue);
        });
        Command<ResumeSaga>(_ =>
        {
            if (State.Binding || !State.ReleasePending.IsEmpty)
            {
                StartSaga(State.Requests.Order.LastOrDefault() ?? "resume");
                _requester = ActorRefs.Nobody;
                Continue();
            }
        });
    }

    /// <summary>A bound attachment's device commits the new rates first (it refuses to oversell); then the level is journaled.</summary>
    private void SetServiceLevel(SetAttachmentServiceLevel cmd)
    {
        if (AnsweredBefore(cmd))
        {
            return;
        }

        var decision = State.Decide(cmd);
        if (decision.IsRejected || decision.Events.Count == 0 || State.HeldDevice is not { } deviceId)
        {
            Carry(decision, ReplyView);
            return;
        }

        StartSaga(cmd.RequestId);
        var commit = new CommitRates(deviceId, EntityId, cmd.Level.CommittedOpsPerSecond, cmd.Level.CommittedBytesPerSecond, $"{cmd.RequestId}:rates:{deviceId}");
        _deps.Devices.Ask<object>(commit, _deps.AskTimeout)
            .PipeTo(Self, success: r => new RatesOutcome(decision, r), failure: ex => new RatesOutcome(decision, TimedOut("device " + deviceId, ex)));
    }

    private void Decide(IFabricCommand cmd, Decision decision)
    {
        if (!AnsweredBefore(cmd))
        {
            Carry(decision, ReplyView);
        }
    }

    private void ReplyView() => Sender.Tell(State.ToView());

    private void ReplyQuery() => Sender.Tell(State.Exists
        ? State.ToView()
        : new Rejected(RejectReason.NotFound, $"attachment {EntityId} does not exist"));

    private void StartSaga(string requestId)
    {
        _requester = Sender;
        _requestId = requestId;
        _placement = BindPlacement.Start;
        Behave(Working);
    }

    /// <summary>The behaviour while a saga runs: outcomes of the asks, queries; everything else waits.</summary>
    private void Working()
    {
        Command<GetAttachment>(_ => ReplyQuery());
        Command<ProfileLookedUp>(msg =>
        {
            if (msg.Reply is ProfileView { Exists: true } profile)
            {
                PersistEvents(State.Decide(msg.Command, profile).Events, Finish);
                return;
            }

            var rejected = msg.Reply as Rejected
                ?? new Rejected(RejectReason.NotFound, $"profile {msg.Command.Profile} does not exist");
            _requester.Tell(rejected.Reason == RejectReason.NotFound
                ? new Rejected(RejectReason.NotFound, $"attachment {EntityId}: profile {msg.Command.Profile} does not exist; create it first")
                : rejected);
            _requester = ActorRefs.Nobody;
            Finish();
        });
        Command<CandidatesFound>(msg =>
        {
            _placement = _placement.Found(msg.DeviceIds, msg.NoneBecause);
            TryNextCandidate(msg.Host);
        });
        Command<ReserveOutcome>(msg =>
        {
            if (msg.Reply is CapacityReserved reserved)
            {
                _deps.Placement.Tell(new CapacityObserved(reserved.Device));
                PersistEvents(
                    [new AttachmentBound(EntityId, msg.DeviceId, reserved.Device.Node, reserved.Device.Functions.ToArray(), _requestId)],
                    Continue);
                return;
            }

            var refusal = msg.Reply as Rejected ?? new Rejected(RejectReason.Timeout, $"unexpected answer {msg.Reply.GetType().Name}");
            _deps.Placement.Tell(new DeviceRefused(msg.DeviceId, refusal.Reason));
            _placement = _placement.Refused(msg.DeviceId, refusal);
            if (refusal.Reason == RejectReason.Timeout)
            {
                // The device may have taken the reservation after all (its answer lost with a node, say): its release
                // is owed, journaled, and carried out after the bind like any owed release, retried until answered.
                PersistEvents([new AttachmentReservationUnconfirmed(EntityId, msg.DeviceId, _requestId)], NextCandidate);
                return;
            }

            NextCandidate();
        });
        Command<ReleaseOutcome>(msg =>
        {
            if (msg.Reply is CapacityReleased || msg.Reply is Rejected { Reason: RejectReason.NotFound })
            {
                if (msg.Reply is CapacityReleased released)
                {
                    _deps.Placement.Tell(new CapacityObserved(released.Device));
                }

                PersistEvents([new AttachmentDeviceReleased(EntityId, msg.DeviceId, _requestId)], Continue);
                return;
            }

            Log.Warning("{0}: release of {1} failed ({2}); retrying in {3}", PersistenceId, msg.DeviceId, msg.Reply, ReleaseRetryDelay);
            Timers.StartSingleTimer(ResumeSaga.Instance, ResumeSaga.Instance, ReleaseRetryDelay);
            Finish();
        });
        Command<RatesOutcome>(msg =>
        {
            if (msg.Reply is DeviceView device)
            {
                _deps.Placement.Tell(new CapacityObserved(device));
                PersistEvents(msg.Decision.Events, Finish);
                return;
            }

            var refusal = msg.Reply as Rejected ?? new Rejected(RejectReason.Timeout, $"unexpected answer {msg.Reply.GetType().Name}");
            _requester.Tell(new Rejected(refusal.Reason, $"attachment {EntityId}: the service level was not changed: {refusal.Message}"));
            _requester = ActorRefs.Nobody;
            Finish();
        });
        Command<ResumeSaga>(_ => { });
        CommandAny(_ => Stash.Stash());
    }

    /// <summary>Take the next step the state calls for, or finish.</summary>
    private void Continue()
    {
        if (State.Binding)
        {
            if (State.PendingDevice is { } pending)
            {
                Reserve(pending);
            }
            else
            {
                FindCandidates(State.TargetHost);
            }

            return;
        }

        if (!State.ReleasePending.IsEmpty)
        {
            var deviceId = State.ReleasePending[0];
            _deps.Devices.Ask<object>(new ReleaseCapacity(deviceId, EntityId, $"{_requestId}:release:{deviceId}"), _deps.AskTimeout)
                .PipeTo(Self, success: r => new ReleaseOutcome(deviceId, r), failure: ex => new ReleaseOutcome(deviceId, TimedOut("device " + deviceId, ex)));
            return;
        }

        Finish();
    }

    private void NextCandidate()
    {
        if (_placement.Candidates is null)
        {
            // Resumed after a restart: no candidate list yet.
            FindCandidates(State.TargetHost);
            return;
        }

        TryNextCandidate(State.TargetHost);
    }

    private void FindCandidates(string? host)
    {
        var exclude = _placement.Exclusions(State);
        var level = State.Level ?? ServiceLevel.BestEffort;
        var query = new FindCandidates(State.Functions, State.QueuePairs, host, exclude, State.Groups, level.CommittedOpsPerSecond, level.CommittedBytesPerSecond);
        _deps.Placement.Ask<Candidates>(query, _deps.AskTimeout)
            .PipeTo(Self, success: c => new CandidatesFound(c.DeviceIds, host, c.NoneBecause), failure: _ => new CandidatesFound([], host, null));
    }

    private void TryNextCandidate(string? host)
    {
        _placement = _placement.Next(out var deviceId);
        if (deviceId is not null)
        {
            PersistEvents([new AttachmentDeviceChosen(EntityId, deviceId, host, _requestId)], () => Reserve(deviceId));
            return;
        }

        if (_placement.MayAskAgain)
        {
            _placement = _placement.AskAgain();
            FindCandidates(host);
            return;
        }

        PersistEvents([new AttachmentBindFailed(EntityId, RejectReason.NoCapacity, _placement.NoDevice(State, host), _requestId)], Continue);
    }

    private void Reserve(string deviceId)
    {
        var reserve = State.Reservation(deviceId, $"{_requestId}:reserve:{deviceId}");
        _deps.Devices.Ask<object>(reserve, _deps.AskTimeout)
            .PipeTo(Self, success: r => new ReserveOutcome(deviceId, r), failure: ex => new ReserveOutcome(deviceId, TimedOut("device " + deviceId, ex)));
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
        if (State.Status == AttachmentStatus.Deleted && State.ReleasePending.IsEmpty)
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

    private static Rejected TimedOut(string what, Exception ex) =>
        new(RejectReason.Timeout, $"{what} did not answer in time ({ex.GetType().Name})");
}
