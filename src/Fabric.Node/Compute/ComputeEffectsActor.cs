using Akka.Actor;
using Akka.Event;
using Fabric.Control;
using Fabric.Dataplane.Drivers;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Node.Metrics;

namespace Fabric.Node.Compute;

/// <summary>
/// Carries out the node agent's <see cref="ComputeEffect"/>s: drivers made and put behind queues in the AC, the AML
/// told (re-binds, health, attachments), probes run and probers supervised, metrics and log lines. It holds no
/// compute state: every outcome the agent decides on (a swap, a re-bind's answer, a probe) goes to the agent.
/// </summary>
public sealed class ComputeEffectsActor : ReceiveActor
{
    public const string Name = "effects";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DataplaneMetrics _metrics = DataplaneMetrics.Get(Context.System);
    private readonly Dictionary<string, IActorRef> _probers = new(StringComparer.Ordinal);
    private readonly string _node;
    private readonly IActorRef _core;
    private readonly ControlPlane _control;
    private readonly ComputeSettings _settings;
    private readonly DriverFactory _drivers;

    public ComputeEffectsActor(string node, IActorRef core, ControlPlane control, ComputeSettings settings, DriverFactory drivers)
    {
        (_node, _core, _control, _settings, _drivers) = (node, core, control, settings, drivers);
        var agent = Context.Parent;
        // The AC answers a swap to the agent, which records the driver generation.
        Receive<SwapQueueDriver>(s =>
        {
            if (Make(s.QueueId, s.Device, s.Chain, s.Injected, LogLevel.ErrorLevel, "no driver") is { } driver)
            {
                _core.Tell(new SwapDriver(s.QueueId, driver), agent);
            }
        });
        Receive<ArmQueueStandby>(a => _core.Tell(new ArmStandby(a.QueueId,
            a.Device is null ? null : Make(a.QueueId, a.Device, a.Chain, a.Injected, LogLevel.WarningLevel, "no standby driver"), a.Device?.DeviceId)));
        Receive<ResetLater>(r => Task.Delay(r.Delay).PipeTo(agent, success: () => new ResetDue(r.DeviceId)));
        Receive<ProbeOnce>(p => Context.ActorOf(DeviceProber.Props(p.Device, p.Injected, _drivers, _settings.ProbeInterval, _settings.ProbeTimeout, once: true)));
        Receive<ProbeFailed>(p => agent.Tell(new NoteDeviceFault(p.DeviceId, $"the probe after its reset failed: {p.Problem}", Environment.TickCount64)));
        Receive<StartProbing>(p => _probers[p.Device.DeviceId] = Context.ActorOf(
            DeviceProber.Props(p.Device, p.Injected, _drivers, _settings.ProbeInterval, _settings.ProbeTimeout), $"probe-{p.Device.Name}-{Guid.NewGuid():N}"));
        Receive<TellProber>(t => _probers.GetValueOrDefault(t.Switched.DeviceId)?.Tell(t.Switched));
        Receive<ProbingDone>(p => _probers.Remove(p.DeviceId));
        Receive<ProbePassed>(p => agent.Tell(p));
        // The move, made on the host, is journaled on the AML after: the attachment is bound again on this host.
        Receive<RebindQueue>(r => _control.Attachments.Ask<object>(new RebindAttachment(r.QueueId, _node, $"device {r.FromDevice} failed", $"failover:{r.QueueId}:{Guid.NewGuid():N}"), _settings.AskTimeout)
            .PipeTo(Self, success: reply => new Rebound(r.QueueId, reply), failure: ex => new Rebound(r.QueueId, ex.Message)));
        Receive<Rebound>(Confirm);
        Receive<ReportHealth>(h => _control.Devices.Tell(new SetDeviceHealth(h.DeviceId, h.Health, h.Reason, $"{h.Health.ToString().ToLowerInvariant()}:{h.DeviceId}:{Guid.NewGuid():N}"), ActorRefs.NoSender));
        Receive<ReportAttached>(a => Inform(_control.Attachments, new MarkAttached(a.QueueId, a.Handle, $"failover:{a.QueueId}:attach:{Guid.NewGuid():N}")));
        Receive<ReportQueueFailed>(f => Inform(_control.Attachments, new FailAttachment(f.QueueId, f.Reason, $"fault:{f.QueueId}:{Guid.NewGuid():N}")));
        Receive<SetServiceLevel>(s => _core.Tell(s.Change));
        Receive<TrackMove>(m => _metrics.Move(m.QueueId, m.DeviceId));
        Receive<Note>(Log);
        Receive<DrainQueues>(Drain);
    }

    public static Props Props(string node, IActorRef core, ControlPlane control, ComputeSettings settings, DriverFactory drivers) =>
        Akka.Actor.Props.Create(() => new ComputeEffectsActor(node, core, control, settings, drivers));

    private IGDriver? Make(string queueId, DeviceSpec device, string chain, FaultKind injected, LogLevel level, string what)
    {
        try
        {
            return _drivers.Create(device, chain, injected);
        }
        catch (ArgumentException ex)
        {
            Log(new Note(level, $"queue {queueId}: {what} of {device.DeviceId}: {ex.Message}"));
            return null;
        }
    }

    private void Log(Note note)
    {
        switch (note.Level)
        {
            case LogLevel.ErrorLevel:
                _log.Error(note.Cause, "{0}", note.Text);
                break;
            case LogLevel.WarningLevel:
                _log.Warning(note.Cause, "{0}", note.Text);
                break;
            default:
                _log.Info("{0}", note.Text);
                break;
        }
    }

    /// <summary>The AML's answer to a move's re-bind, for the agent to confirm or undo the move.</summary>
    private void Confirm(Rebound rebound)
    {
        var view = rebound.Reply as AttachmentView;
        var bound = view is { Status: AttachmentStatus.Bound or AttachmentStatus.Attached };
        if (!bound)
        {
            _log.Error("queue {0}: the AML did not re-bind it: {1}", rebound.QueueId, view?.FailureMessage ?? (rebound.Reply as Rejected)?.Message ?? rebound.Reply.ToString());
        }

        Context.Parent.Tell(new ConfirmMove(rebound.QueueId, bound ? view!.Host : null, bound ? view!.DeviceId : null));
    }

    /// <summary>The node leaves: every queue drains (guests' posted work completes) and goes; the AML is not asked.</summary>
    private void Drain(DrainQueues drain)
    {
        var (queues, log) = (drain.QueueIds, _log);
        Task.WhenAll(queues.Select(id => _core.Ask<QueueRemoved>(new RemoveQueue(id, _settings.DrainTimeout), _settings.AskTimeout))).PipeTo(Sender, success: removals =>
        {
            var completed = removals.Sum(r => r.Removal.CompletedWhileDraining);
            log.Info("node leaving: {0} queue(s) drained, {1} operation(s) completed while draining", queues.Count, completed);
            return new NodeDrained(queues.Count, completed);
        });
    }

    /// <summary>Tells the AML without waiting; a refusal or silence is logged.</summary>
    private void Inform(IActorRef region, object message)
    {
        var log = _log;
        region.Ask<object>(message, _settings.AskTimeout).ContinueWith(t =>
        {
            if (!t.IsCompletedSuccessfully || t.Result is Rejected)
            {
                log.Warning("the AML did not take {0}: {1}", message, t.IsCompletedSuccessfully ? t.Result : t.Exception?.GetBaseException().Message);
            }
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>The AML's answer to a move's re-bind: an <see cref="AttachmentView"/>, a <see cref="Rejected"/>, or why there was none.</summary>
    private sealed record Rebound(string QueueId, object Reply);
}
