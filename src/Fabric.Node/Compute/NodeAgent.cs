using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Fabric.Control;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Handoff;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Node.Metrics;

namespace Fabric.Node.Compute;

/// <summary>
/// The compute agent of one host (the seed's "compute agent" working with the acceleration agent). It owns the
/// Acceleration Core and one supervised g-driver per device, registers the devices with the AML, realizes the
/// attachments of the VMs that run here (bind, channel, queue, attach handle), and when a device fails past its
/// restart budget, moves that device's queues to another device of the host without the guest reopening anything.
/// VM commands are handled one at a time, in order.
/// </summary>
public sealed class NodeAgent : ReceiveActor, IWithTimers
{
    public const string Name = "node-agent";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _node;
    private readonly ControlPlane _control;
    private readonly ComputeSettings _settings;
    private readonly HashSet<string> _unregistered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IActorRef> _probers = new(StringComparer.Ordinal);
    private readonly DriverFactory _drivers;
    private readonly DataplaneMetrics _metrics = DataplaneMetrics.Get(Context.System);
    private IActorRef _core = ActorRefs.Nobody;
    private ComputeState _state;

    public NodeAgent(string node, IReadOnlyList<DeviceSpec> devices, ControlPlane control, ComputeSettings settings, DriverFactory? drivers)
    {
        _node = node;
        _control = control;
        _settings = settings;
        _drivers = drivers ?? DriverFactory.Default;
        _state = ComputeState.Of(node, devices, ResetPolicy.From(settings));

        ReceiveAsync<SpawnVm>(Spawn);
        ReceiveAsync<AddVmAccelerator>(HotAdd);
        ReceiveAsync<StopVm>(Stop);
        Receive<DriverFaultSignal>(DriverFaulted);
        Receive<ResetDue>(due => Record(new DeviceReset(due.DeviceId)));
        Receive<DriverSwapped>(swapped => _state = _state.Apply(new DriverReplaced(swapped.QueueId, swapped.Generation)));
        Receive<DriverNotSwapped>(failed => _log.Error("queue {0}: the AC did not swap its driver: {1}", failed.QueueId, failed.Reason));
        Receive<Rebound>(Confirm);
        Receive<ProbePassed>(passed => Record(new DeviceRecovered(passed.DeviceId)));
        Receive<RegisterDevices>(_ => RegisterAll());
        Receive<ClusterEvent.MemberUp>(up =>
        {
            // A control node (re)joined: the AML may have restarted; registering again is idempotent.
            if (up.Member.HasRole(ControlPlane.ControlRole))
            {
                _unregistered.UnionWith(_state.Devices.Keys);
                RegisterAll();
            }
        });
        Receive<DeviceView>(view =>
        {
            _unregistered.Remove(view.DeviceId);
            // The AML remembers a failure from before this agent started; a device this agent serves is healthy.
            if (view.Health is DeviceHealth.Failed && _state.Devices.TryGetValue(view.DeviceId, out var device) && device.Condition != DeviceCondition.Failed)
            {
                _control.Devices.Tell(new SetDeviceHealth(view.DeviceId, DeviceHealth.Healthy, $"served again by node agent of {_node}",
                    $"healthy:{view.DeviceId}:{Guid.NewGuid():N}"), ActorRefs.NoSender);
            }
        });
        Receive<Rejected>(rejected => _log.Error("device registration refused: {0}", rejected));
        Receive<InjectDeviceFault>(cmd => SwitchFault(cmd.DeviceId, cmd.Fault));
        Receive<RepairDevice>(cmd => SwitchFault(cmd.DeviceId, null));
        Receive<GetNodeStatus>(_ => Status());
        ReceiveAsync<DrainNode>(_ => DrainForLeave());
        ReceiveAsync<QueueFaulted>(Faulted);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string node, IReadOnlyList<DeviceSpec> devices, ControlPlane control, ComputeSettings settings, DriverFactory? drivers = null) =>
        Akka.Actor.Props.Create(() => new NodeAgent(node, devices, control, settings, drivers));

    protected override void PreStart()
    {
        // Namespaced by node name and cluster port: two fabrics (or nodes) on one host never share a channel folder.
        var port = Cluster.Get(Context.System).SelfAddress.Port ?? 0;
        var placement = new ChannelPlacement(ChannelDirectory.ForNode(_settings.ChannelRoot ?? ChannelDirectory.DefaultRoot, _node, port), _settings.ChannelPathMode);
        _core = Context.ActorOf(AccelerationCoreActor.Props(new EngineOptions { Workers = _settings.Workers, Cores = _settings.Cores }, placement), "ac");
        _unregistered.UnionWith(_state.Devices.Keys);
        Self.Tell(RegisterDevices.Instance);
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberUp));
    }

    protected override void PostStop()
    {
        Cluster.Get(Context.System).Unsubscribe(Self);
        foreach (var queue in _state.Queues.Keys)
        {
            _log.Info("node stopping: queue {0} ends with the AC", queue);
        }
    }

    // ---- registration ---------------------------------------------------------------------------------------

    /// <summary>Registers devices not yet acknowledged; repeats until the AML answers (it may not be up yet).</summary>
    private void RegisterAll()
    {
        foreach (var id in _unregistered)
        {
            var d = _state.Devices[id].Spec;
            var requestId = $"register:{d.DeviceId}:{Guid.NewGuid():N}";
            _control.Devices.Tell(d.Traits is null
                ? new RegisterDevice(d.DeviceId, _node, d.Type, d.Functions.ToArray(), d.QueuePairs, requestId)
                : new RegisterDeviceWithTraits(d.DeviceId, _node, d.Type, d.Functions.ToArray(), d.QueuePairs, requestId, d.Traits.ToArray()), Self);
        }

        if (_unregistered.Count > 0)
        {
            Timers.StartSingleTimer(RegisterDevices.Instance, RegisterDevices.Instance, _settings.RegisterRetry);
        }
    }

    // ---- VM life cycle ---------------------------------------------------------------------------------------

    private async Task Spawn(SpawnVm cmd)
    {
        var replyTo = Sender;
        var done = new List<AttachmentView>();
        try
        {
            foreach (var accelerator in cmd.Accelerators)
            {
                done.Add(await Realize(cmd.VmId, accelerator, cmd.RequestId));
            }

            replyTo.Tell(new VmRealized(cmd.VmId, _node, done));
        }
        catch (RealizationException ex)
        {
            // All or nothing: every queue this request created (also one whose attach report failed) is taken back.
            await UnrealizeRequest(cmd.RequestId);
            replyTo.Tell(ex.Rejected);
        }
    }

    private async Task HotAdd(AddVmAccelerator cmd)
    {
        var replyTo = Sender;
        try
        {
            var view = await Realize(cmd.VmId, cmd.Accelerator, cmd.RequestId);
            replyTo.Tell(new VmRealized(cmd.VmId, _node, [view]));
        }
        catch (RealizationException ex)
        {
            await UnrealizeRequest(cmd.RequestId);
            replyTo.Tell(ex.Rejected);
        }
    }

    private async Task UnrealizeRequest(string requestId)
    {
        foreach (var queue in _state.Queues.Values.Where(q => q.RequestId == requestId).ToArray())
        {
            await Unrealize(queue.QueueId, delete: false, requestId);
        }
    }

    private async Task Stop(StopVm cmd)
    {
        var replyTo = Sender;
        var drained = 0L;
        var ids = _state.Queues.Values.Where(q => q.VmId == cmd.VmId).Select(q => q.QueueId).ToArray();
        foreach (var id in ids)
        {
            drained += await Unrealize(id, cmd.DeleteAttachments, cmd.RequestId);
        }

        replyTo.Tell(new VmStopped(cmd.VmId, _node, ids, drained));
    }

    /// <summary>Bind (or re-bind here), open a driver on the bound device, create the channel and queue, report the handle.</summary>
    private async Task<AttachmentView> Realize(string vmId, VmAccelerator accelerator, string requestId)
    {
        var id = accelerator.AttachmentId;
        var view = await Control<AttachmentView>(_control.Attachments, new GetAttachment(id));
        if (view.VmId != vmId)
        {
            throw Refuse(RejectReason.IllegalState, $"attachment {id} belongs to VM {view.VmId}, not {vmId}");
        }

        if (_state.Queues.TryGetValue(id, out var existing) && existing.Handle is not null && view.Status == AttachmentStatus.Attached)
        {
            return view with { Handle = existing.Handle };
        }

        view = view.Status switch
        {
            AttachmentStatus.Initial or AttachmentStatus.BindFailed =>
                await Control<AttachmentView>(_control.Attachments, new BindAttachment(id, _node, $"{requestId}:bind:{id}")),
            AttachmentStatus.Bound or AttachmentStatus.Attached or AttachmentStatus.Detached or AttachmentStatus.Failed when view.Host != _node || !_state.Devices.ContainsKey(view.DeviceId ?? "") =>
                await Control<AttachmentView>(_control.Attachments, new RebindAttachment(id, _node, $"VM {vmId} runs on {_node}", $"{requestId}:rebind:{id}")),
            _ => view,
        };
        if (view.Status != AttachmentStatus.Bound && view.Status != AttachmentStatus.Attached && view.Status != AttachmentStatus.Detached)
        {
            throw Refuse(view.FailureReason ?? RejectReason.NoCapacity, $"attachment {id} could not be bound on {_node}: {view.FailureMessage ?? view.Status.ToString()}");
        }

        var deviceId = view.DeviceId!;
        if (!_state.Devices.TryGetValue(deviceId, out var slot))
        {
            throw Refuse(RejectReason.IllegalState, $"attachment {id} is bound to {deviceId}, which this node does not serve");
        }

        if (slot.Spec.PciFunctions is { } vfs)
        {
            return await RealizePci(vmId, id, view, slot.Spec, vfs, requestId);
        }

        // A group of Cyborg's own profiles names no function: its queue runs the device's first.
        var named = view.Groups.Select(g => g.Function).Where(f => f.Length > 0).Distinct().ToArray();
        var chain = accelerator.Pipeline ?? (named.Length > 0 ? string.Join("->", named) : slot.Spec.Functions[0]);

        var stages = chain.Split("->", StringSplitOptions.TrimEntries);
        var missing = stages.Where(s => !slot.Spec.Functions.Contains(s)).ToArray();
        if (missing.Length > 0)
        {
            throw Refuse(RejectReason.FunctionNotSupported, $"device {deviceId} does not run {string.Join(", ", missing)} (chain {chain})");
        }

        IGDriver driver;
        try
        {
            driver = _drivers.Create(slot.Spec, chain, slot.Injected);
        }
        catch (ArgumentException ex)
        {
            throw Refuse(RejectReason.IllegalState, ex.Message);
        }

        // Placed before the AC serves it: a fault of its very first op already counts.
        Record(new QueuePlaced(id, vmId, deviceId, chain, requestId));
        var added = await Local<QueueAdded>(_core, new AddQueue(id, driver, ChannelGeometry.Default), r => r is QueueNotAdded n ? n.Reason : null,
            onFailure: () => Record(new QueueReleased(id)));
        _metrics.Track(id, deviceId, added.Counters);
        var g = added.Geometry;
        var handle = new AttachHandle(_node, added.ChannelPath, (int)ChannelLayout.AbiVersion, g.SqEntries, g.CqEntries, g.SlotCount, g.SlotSize);
        Record(new QueueAttached(id, handle));
        var attached = await Control<AttachmentView>(_control.Attachments, new MarkAttached(id, handle, $"{requestId}:attach:{id}"));
        _log.Info("VM {0}: attachment {1} realized on {2} ({3}) at {4}", vmId, id, deviceId, chain, added.ChannelPath);
        return attached;
    }

    /// <summary>
    /// Cyborg's model: a free VF of the bound device is the VM's, reported as a PCI attach handle (Nova attaches it). The
    /// VF the attachment held before (a restart of this agent) is kept when it is still free.
    /// </summary>
    private async Task<AttachmentView> RealizePci(string vmId, string id, AttachmentView view, DeviceSpec device, IReadOnlyList<string> vfs, string requestId)
    {
        var held = _state.Queues.Values.Where(q => q.Vf is not null).ToDictionary(q => q.QueueId, q => q.Vf!, StringComparer.Ordinal);
        var taken = held.Where(kv => kv.Key != id).Select(kv => kv.Value).ToHashSet(StringComparer.Ordinal);
        var before = view.Handle?.PciAddress is { } address && vfs.Contains(address) && !taken.Contains(address) ? address : null;
        var vf = before ?? (held.TryGetValue(id, out var mine) ? mine : vfs.FirstOrDefault(a => !taken.Contains(a)))
            ?? throw Refuse(RejectReason.NoCapacity, $"device {device.DeviceId}: all {vfs.Count} VFs are held");
        var handle = new PciAttachHandle(_node, vf);
        Record(new VfTaken(id, vmId, device.DeviceId, vf, handle, requestId));
        var attached = await Control<AttachmentView>(_control.Attachments, new MarkAttached(id, handle, $"{requestId}:attach:{id}"));
        _log.Info("VM {0}: attachment {1} realized as VF {2} of {3} (PCI attach handle)", vmId, id, vf, device.DeviceId);
        return attached;
    }

    /// <summary>Drain and remove the queue, detach the attachment (and delete it when the VM is deleted).</summary>
    private async Task<long> Unrealize(string attachmentId, bool delete, string requestId)
    {
        if (_state.Queues.TryGetValue(attachmentId, out var entry) && entry.Vf is not null)
        {
            // A VF has no queue here: the VM gives it back, the attachment is detached.
            Record(new QueueReleased(attachmentId));
            await DetachInAml(attachmentId, delete, requestId);
            return 0;
        }

        var removed = await _core.Ask<QueueRemoved>(new RemoveQueue(attachmentId, _settings.DrainTimeout), _settings.AskTimeout);
        _metrics.Retire(attachmentId);
        Record(new QueueReleased(attachmentId));
        await DetachInAml(attachmentId, delete, requestId);
        return removed.Removal.CompletedWhileDraining;
    }

    private async Task DetachInAml(string attachmentId, bool delete, string requestId)
    {
        try
        {
            await Control<AttachmentView>(_control.Attachments, new DetachAttachment(attachmentId, $"{requestId}:detach:{attachmentId}"));
            if (delete)
            {
                await Control<AttachmentView>(_control.Attachments, new DeleteAttachment(attachmentId, $"{requestId}:delete:{attachmentId}"));
            }
        }
        catch (RealizationException ex)
        {
            _log.Warning("attachment {0}: queue removed but the AML refused the change: {1}", attachmentId, ex.Rejected);
        }
    }

    /// <summary>The node leaves: every queue drains (guests' posted work completes) and goes; the AML is not asked.</summary>
    private async Task DrainForLeave()
    {
        var replyTo = Sender;
        var queues = _state.Queues.Values.Where(q => q.Vf is null).Select(q => q.QueueId).ToArray();
        var removals = await Task.WhenAll(queues.Select(id => _core.Ask<QueueRemoved>(new RemoveQueue(id, _settings.DrainTimeout), _settings.AskTimeout)));
        foreach (var id in queues)
        {
            Record(new QueueReleased(id));
        }

        var completed = removals.Sum(r => r.Removal.CompletedWhileDraining);
        _log.Info("node leaving: {0} queue(s) drained, {1} operation(s) completed while draining", queues.Length, completed);
        replyTo.Tell(new NodeDrained(queues.Length, completed));
    }

    /// <summary>
    /// A guest corrupted its channel and the AC stopped serving it: the attachment is failed with the reason (the VIM
    /// hears of it), so it does not stay Attached to a channel nobody serves. Deleting the VM removes the queue.
    /// </summary>
    private async Task Faulted(QueueFaulted faulted)
    {
        if (!_state.Queues.TryGetValue(faulted.QueueId, out var queue))
        {
            return;
        }

        _log.Warning("VM {0}: attachment {1} failed: its channel faulted ({2})", queue.VmId, faulted.QueueId, faulted.Reason);
        await TryControl(_control.Attachments, new FailAttachment(faulted.QueueId, $"channel faulted: {faulted.Reason}", $"fault:{faulted.QueueId}:{Guid.NewGuid():N}"));
    }

    // ---- device faults: decided here at once, confirmed to the AML after ----------------------------------

    private void DriverFaulted(DriverFaultSignal signal) => Decide(new NoteDriverFault(signal.QueueId, signal.Generation,
        signal.Status == OpStatus.DeadlineExceeded ? "an operation missed its deadline" : "the driver failed an operation", Environment.TickCount64));

    private ComputeDecision Decide(ComputeCommand command)
    {
        var decision = _state.Decide(command);
        foreach (var e in decision.Events)
        {
            Record(e);
        }

        // The guests wait on the queues, the books can wait on the guests: the device is marked after its queues moved.
        if (decision.Events.OfType<DeviceFailed>().FirstOrDefault() is { } failed)
        {
            _control.Devices.Tell(new SetDeviceHealth(failed.DeviceId, DeviceHealth.Failed, failed.Reason, $"failed:{failed.DeviceId}:{Guid.NewGuid():N}"), ActorRefs.NoSender);
        }

        return decision;
    }

    /// <summary>Records an event in the state and carries out what it means for the AC, the AML and the probers.</summary>
    private void Record(ComputeEvent e)
    {
        _state = _state.Apply(e);
        switch (e)
        {
            case DeviceResetScheduled reset:
                _log.Warning("device {0}: {1}; reset in {2:0.#} ms", reset.DeviceId, reset.Reason, reset.Delay.TotalMilliseconds);
                if (reset.Delay <= TimeSpan.Zero)
                {
                    Record(new DeviceReset(reset.DeviceId));
                    break;
                }

                // Not a timer: the scheduler's 10 ms tick would dwarf a 1 ms backoff.
                var due = new ResetDue(reset.DeviceId);
                Task.Delay(reset.Delay).PipeTo(Self, success: () => due);
                break;
            case DeviceReset reset:
                foreach (var queue in _state.QueuesOn(reset.DeviceId))
                {
                    SwapTo(queue.QueueId, queue.Chain, reset.DeviceId);
                }

                break;
            case DeviceFailed failed:
                _log.Warning("device {0} failed: {1}; moving its queues", failed.DeviceId, failed.Reason);
                StartProber(failed.DeviceId);
                break;
            case QueueMoved moved:
                SwapTo(moved.QueueId, moved.Chain, moved.ToDevice);
                _metrics.Move(moved.QueueId, moved.ToDevice);
                if (moved.Undo)
                {
                    _log.Error("queue {0}: the AML refused its move; back on {1}, the guest gets errors until a device can take it", moved.QueueId, moved.ToDevice);
                    break;
                }

                _log.Warning("queue {0} moved from {1} to {2}", moved.QueueId, moved.FromDevice, moved.ToDevice);
                var queueId = moved.QueueId;
                _control.Attachments.Ask<object>(new RebindAttachment(queueId, _node, $"device {moved.FromDevice} failed", $"failover:{queueId}:{Guid.NewGuid():N}"), _settings.AskTimeout)
                    .PipeTo(Self, success: reply => new Rebound(queueId, reply), failure: ex => new Rebound(queueId, ex.Message));
                break;
            case QueueStranded stranded:
                _log.Error("queue {0}: no other device on {1} runs {2}; the guest gets errors until one can", stranded.QueueId, _node, stranded.Chain);
                break;
            case MoveConfirmed confirmed when _state.Queues.TryGetValue(confirmed.QueueId, out var queue) && queue.Handle is { } handle:
                var log = _log;
                _control.Attachments.Ask<object>(new MarkAttached(queue.QueueId, handle, $"failover:{queue.QueueId}:attach:{Guid.NewGuid():N}"), _settings.AskTimeout)
                    .ContinueWith(t => log.Warning("queue {0}: the AML did not record it attached: {1}", queue.QueueId, t.Exception?.GetBaseException().Message ?? t.Result),
                        CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
                break;
            case FaultSwitched switched:
                _log.Warning("device {0}: fault '{1}' {2}", switched.DeviceId, switched.Kind, switched.Kind == FaultKind.None ? "repaired" : "injected");
                if (_probers.TryGetValue(switched.DeviceId, out var prober))
                {
                    prober.Tell(switched);
                    break;
                }

                foreach (var q in _state.QueuesOn(switched.DeviceId))
                {
                    SwapTo(q.QueueId, q.Chain, switched.DeviceId);
                }

                break;
            case DeviceRecovered recovered:
                _probers.Remove(recovered.DeviceId);
                _log.Info("device {0}: probe passed; healthy again", recovered.DeviceId);
                _control.Devices.Tell(new SetDeviceHealth(recovered.DeviceId, DeviceHealth.Healthy, "probe passed", $"healthy:{recovered.DeviceId}:{Guid.NewGuid():N}"), ActorRefs.NoSender);
                break;
        }
    }

    /// <summary>A fresh driver of <paramref name="deviceId"/> behind the queue, between two bursts; the guest keeps its channel.</summary>
    private void SwapTo(string queueId, string chain, string deviceId)
    {
        var device = _state.Devices[deviceId];
        try
        {
            _core.Tell(new SwapDriver(queueId, _drivers.Create(device.Spec, chain, device.Injected)));
        }
        catch (ArgumentException ex)
        {
            _log.Error("queue {0}: no driver of {1} for it: {2}", queueId, deviceId, ex.Message);
        }
    }

    private void StartProber(string deviceId)
    {
        var device = _state.Devices[deviceId];
        _probers[deviceId] = Context.ActorOf(DeviceProber.Props(device.Spec, device.Injected, _drivers, _settings.ProbeInterval, _settings.ProbeTimeout),
            $"probe-{device.Spec.Name}-{Guid.NewGuid():N}");
    }

    private void Confirm(Rebound rebound)
    {
        var view = rebound.Reply as AttachmentView;
        var bound = view is { Status: AttachmentStatus.Bound or AttachmentStatus.Attached };
        if (!bound)
        {
            _log.Error("queue {0}: the AML did not re-bind it: {1}", rebound.QueueId, view?.FailureMessage ?? (rebound.Reply as Rejected)?.Message ?? rebound.Reply.ToString());
        }

        Decide(new ConfirmMove(rebound.QueueId, bound ? view!.Host : null, bound ? view!.DeviceId : null));
    }

    private void SwitchFault(string deviceId, string? fault)
    {
        var decision = Decide(new SwitchFault(deviceId, fault));
        Sender.Tell(decision.Refusal ?? (object)DeviceStatus(_state.Devices[deviceId]));
    }

    private void Status()
    {
        var replyTo = Sender;
        var devices = _state.Devices.Values.OrderBy(d => d.Id, StringComparer.Ordinal).Select(DeviceStatus).ToArray();
        var queues = _state.Queues;
        _core.Ask<QueueStatsReport>(GetQueueStats.Instance, _settings.AskTimeout).ContinueWith(t =>
        {
            var stats = t.IsCompletedSuccessfully ? t.Result.Queues : [];
            replyTo.Tell(new NodeStatus(_node, devices, stats.Select(s => new NodeQueue(
                s.QueueId, queues.TryGetValue(s.QueueId, out var q) ? q.VmId : "", q?.DeviceId ?? "", s.Function,
                s.Ops, s.Errors, s.DriverFaults, s.LatencyP50Nanos, s.LatencyP99Nanos, s.BytesIn, s.BytesOut, s.State.ToString(), s.FaultReason)).ToArray()));
        });
    }

    private NodeDevice DeviceStatus(DeviceEntry device) => new(
        device.Id, device.Spec.Type,
        device.Spec.PciFunctions is { } vfs ? $"PCI passthrough ({vfs.Count} VFs, {_state.Queues.Values.Count(q => q.DeviceId == device.Id && q.Vf is not null)} held)"
        : device.Spec.FaultInjecting ? $"{device.Spec.Backing} (fault-injecting)" : device.Spec.Backing, true, null,
        device.Spec.Functions.ToArray(), device.Spec.QueuePairs,
        device.Condition == DeviceCondition.Failed ? "failed: probing" : device.Injected == FaultKind.None ? "running" : $"running, fault '{device.Injected}' injected");

    // ---- asking ---------------------------------------------------------------------------------------------

    private async Task<T> Control<T>(IActorRef region, object message)
    {
        object reply;
        try
        {
            reply = await region.Ask<object>(message, _settings.AskTimeout);
        }
        catch (AskTimeoutException)
        {
            throw Refuse(RejectReason.Timeout, $"the AML did not answer {message.GetType().Name} within {_settings.AskTimeout.TotalSeconds:0}s");
        }

        return reply switch
        {
            T typed => typed,
            Rejected rejected => throw new RealizationException(rejected),
            _ => throw Refuse(RejectReason.IllegalState, $"unexpected answer {reply.GetType().Name} to {message.GetType().Name}"),
        };
    }

    private async Task TryControl(IActorRef region, object message)
    {
        try
        {
            await region.Ask<object>(message, _settings.AskTimeout);
        }
        catch (AskTimeoutException)
        {
            _log.Warning("the AML did not answer {0}", message);
        }
    }

    private async Task<T> Local<T>(IActorRef actor, object message, Func<object, string?> refusal, Action? onFailure = null)
    {
        object reply;
        try
        {
            reply = await actor.Ask<object>(message, _settings.AskTimeout);
        }
        catch (AskTimeoutException)
        {
            onFailure?.Invoke();
            throw Refuse(RejectReason.Timeout, $"{actor.Path.Name} did not answer {message.GetType().Name}");
        }

        if (reply is T typed)
        {
            return typed;
        }

        onFailure?.Invoke();
        throw Refuse(RejectReason.IllegalState, refusal(reply) ?? $"unexpected answer {reply.GetType().Name}");
    }

    private static RealizationException Refuse(RejectReason reason, string message) => new(new Rejected(reason, message));

    private sealed class RealizationException(Rejected rejected) : Exception(rejected.Message)
    {
        public Rejected Rejected { get; } = rejected;
    }

    private sealed record RegisterDevices
    {
        public static RegisterDevices Instance { get; } = new();
    }

    private sealed record ResetDue(string DeviceId);

    /// <summary>The AML's answer to a move's re-bind: an <see cref="AttachmentView"/>, a <see cref="Rejected"/>, or why there was none.</summary>
    private sealed record Rebound(string QueueId, object Reply);
}
