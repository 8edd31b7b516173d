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
    private readonly Dictionary<string, DeviceSlot> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RealizedQueue> _queues = new(StringComparer.Ordinal);
    private readonly DeviceQueues _deviceQueues = new();
    private readonly HashSet<string> _unregistered = new(StringComparer.Ordinal);

    // PCI realizations: the VF (its address) each attachment holds; a VF is given to one attachment at a time.
    private readonly Dictionary<string, string> _vfs = new(StringComparer.Ordinal);
    private readonly DataplaneMetrics _metrics = DataplaneMetrics.Get(Context.System);
    private IActorRef _core = ActorRefs.Nobody;

    public NodeAgent(string node, IReadOnlyList<DeviceSpec> devices, ControlPlane control, ComputeSettings settings)
    {
        _node = node;
        _control = control;
        _settings = settings;
        foreach (var device in devices)
        {
            _devices[device.DeviceId] = new DeviceSlot(device, new DeviceFaultSwitch());
        }

        ReceiveAsync<SpawnVm>(Spawn);
        ReceiveAsync<AddVmAccelerator>(HotAdd);
        ReceiveAsync<StopVm>(Stop);
        ReceiveAsync<Terminated>(DeviceGaveUp);
        Receive<RegisterDevices>(_ => RegisterAll());
        Receive<ClusterEvent.MemberUp>(up =>
        {
            // A control node (re)joined: the AML may have restarted; registering again is idempotent.
            if (up.Member.HasRole(ControlPlane.ControlRole))
            {
                _unregistered.UnionWith(_devices.Keys);
                RegisterAll();
            }
        });
        Receive<DeviceView>(view =>
        {
            _unregistered.Remove(view.DeviceId);
            // The AML remembers a failure from before this agent started; a device this agent serves is healthy.
            if (view.Health is DeviceHealth.Failed && _devices.TryGetValue(view.DeviceId, out var slot) && !slot.Failed)
            {
                _control.Devices.Tell(new SetDeviceHealth(view.DeviceId, DeviceHealth.Healthy, $"served again by node agent of {_node}",
                    $"healthy:{view.DeviceId}:{Guid.NewGuid():N}"), ActorRefs.NoSender);
            }
        });
        Receive<Rejected>(rejected => _log.Error("device registration refused: {0}", rejected));
        ReceiveAsync<ProbeFailedDevices>(_ => ProbeFailed());
        Receive<InjectDeviceFault>(Inject);
        Receive<RepairDevice>(Repair);
        Receive<GetNodeStatus>(_ => Status());
        ReceiveAsync<DrainNode>(_ => DrainForLeave());
        ReceiveAsync<QueueFaulted>(Faulted);
        // A service level changed on the control plane (issue 19): a queue is its attachment's id.
        Receive<ApplyServiceLevel>(m =>
        {
            if (_queues.ContainsKey(m.AttachmentId))
            {
                _core.Tell(new SetQueueServiceLevel(m.AttachmentId, m.Level));
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string node, IReadOnlyList<DeviceSpec> devices, ControlPlane control, ComputeSettings settings) =>
        Akka.Actor.Props.Create<NodeAgent>(node, devices, control, settings);

    protected override void PreStart()
    {
        // Namespaced by node name and cluster port: two fabrics (or nodes) on one host never share a channel folder.
        var port = Cluster.Get(Context.System).SelfAddress.Port ?? 0;
        var placement = new ChannelPlacement(ChannelDirectory.ForNode(_settings.ChannelRoot ?? ChannelDirectory.DefaultRoot, _node, port), _settings.ChannelPathMode);
        _core = Context.ActorOf(AccelerationCoreActor.Props(new EngineOptions { Workers = _settings.Workers, Cores = _settings.Cores }, placement), "ac");
        // A PCI device is handed to VMs whole: no g-driver runs it here.
        foreach (var slot in _devices.Values.Where(s => s.Spec.PciFunctions is null))
        {
            StartGDriver(slot);
        }

        _unregistered.UnionWith(_devices.Keys);
        Self.Tell(RegisterDevices.Instance);
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberUp));
        Timers.StartPeriodicTimer(ProbeFailedDevices.Instance, ProbeFailedDevices.Instance, TimeSpan.FromSeconds(1));
    }

    protected override void PostStop()
    {
        Cluster.Get(Context.System).Unsubscribe(Self);
        foreach (var queue in _queues.Keys)
        {
            _log.Info("node stopping: queue {0} ends with the AC", queue);
        }
    }

    private void StartGDriver(DeviceSlot slot)
    {
        var props = GDriverActor.Supervised(slot.Spec, _core, _deviceQueues, slot.Fault, _settings);
        slot.Supervisor = Context.Watch(Context.ActorOf(props, $"device-{slot.Spec.Name}-{++slot.Incarnation}"));
        slot.Failed = false;
    }

    // ---- registration ---------------------------------------------------------------------------------------

    /// <summary>Registers devices not yet acknowledged; repeats until the AML answers (it may not be up yet).</summary>
    private void RegisterAll()
    {
        foreach (var id in _unregistered)
        {
            var d = _devices[id].Spec;
            var requestId = $"register:{d.DeviceId}:{Guid.NewGuid():N}";
            _control.Devices.Tell(d.Traits is null
                ? new RegisterDevice(d.DeviceId, _node, d.Type, d.Functions.ToArray(), d.QueuePairs, requestId)
                : new RegisterDeviceWithTraits(d.DeviceId, _node, d.Type, d.Functions.ToArray(), d.QueuePairs, requestId, d.Traits.ToArray()), Self);
        }

        if (_unregistered.Count > 0)
        {
            Timers.StartSingleTimer(RegisterDevices.Instance, RegisterDevices.Instance, TimeSpan.FromSeconds(2));
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
        foreach (var queue in _queues.Values.Where(q => q.RequestId == requestId).ToArray())
        {
            await Unrealize(queue.AttachmentId, delete: false, requestId);
        }
    }

    private async Task Stop(StopVm cmd)
    {
        var replyTo = Sender;
        var drained = 0L;
        var ids = _queues.Values.Where(q => q.VmId == cmd.VmId).Select(q => q.AttachmentId).ToArray();
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

        if (_queues.TryGetValue(id, out var existing) && view.Status == AttachmentStatus.Attached)
        {
            return view with { Handle = existing.Handle };
        }

        view = view.Status switch
        {
            AttachmentStatus.Initial or AttachmentStatus.BindFailed =>
                await Control<AttachmentView>(_control.Attachments, new BindAttachment(id, _node, $"{requestId}:bind:{id}")),
            AttachmentStatus.Bound or AttachmentStatus.Attached or AttachmentStatus.Detached or AttachmentStatus.Failed when view.Host != _node || !_devices.ContainsKey(view.DeviceId ?? "") =>
                await Control<AttachmentView>(_control.Attachments, new RebindAttachment(id, _node, $"VM {vmId} runs on {_node}", $"{requestId}:rebind:{id}")),
            _ => view,
        };
        if (view.Status != AttachmentStatus.Bound && view.Status != AttachmentStatus.Attached && view.Status != AttachmentStatus.Detached)
        {
            throw Refuse(view.FailureReason ?? RejectReason.NoCapacity, $"attachment {id} could not be bound on {_node}: {view.FailureMessage ?? view.Status.ToString()}");
        }

        var deviceId = view.DeviceId!;
        if (!_devices.TryGetValue(deviceId, out var slot))
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

        var driver = await Local<DriverOpened>(slot.Supervisor, new OpenDriver(id, chain), r => r is DriverNotOpened n ? n.Reason : null);
        _deviceQueues.Set(id, deviceId, chain);
        var added = await Local<QueueAdded>(_core, new AddQueue(id, driver.Driver, ChannelGeometry.Default), r => r is QueueNotAdded n ? n.Reason : null,
            onFailure: () => _deviceQueues.Remove(id));
        _metrics.Track(id, deviceId, added.Counters);
        _core.Tell(new SetQueueServiceLevel(id, view.Level ?? ServiceLevel.BestEffort));
        var g = added.Geometry;
        var handle = new AttachHandle(_node, added.ChannelPath, (int)ChannelLayout.AbiVersion, g.SqEntries, g.CqEntries, g.SlotCount, g.SlotSize);
        _queues[id] = new RealizedQueue(id, vmId, handle, requestId);
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
        var taken = _vfs.Where(kv => kv.Key != id).Select(kv => kv.Value).ToHashSet(StringComparer.Ordinal);
        var held = view.Handle?.PciAddress is { } before && vfs.Contains(before) && !taken.Contains(before) ? before : null;
        var vf = held ?? (_vfs.TryGetValue(id, out var mine) ? mine : vfs.FirstOrDefault(a => !taken.Contains(a)))
            ?? throw Refuse(RejectReason.NoCapacity, $"device {device.DeviceId}: all {vfs.Count} VFs are held");
        _vfs[id] = vf;
        var handle = new PciAttachHandle(_node, vf);
        _queues[id] = new RealizedQueue(id, vmId, handle, requestId);
        var attached = await Control<AttachmentView>(_control.Attachments, new MarkAttached(id, handle, $"{requestId}:attach:{id}"));
        _log.Info("VM {0}: attachment {1} realized as VF {2} of {3} (PCI attach handle)", vmId, id, vf, device.DeviceId);
        return attached;
    }

    /// <summary>Drain and remove the queue, detach the attachment (and delete it when the VM is deleted).</summary>
    private async Task<long> Unrealize(string attachmentId, bool delete, string requestId)
    {
        if (_vfs.Remove(attachmentId))
        {
            // A VF has no queue here: the VM gives it back, the attachment is detached.
            _queues.Remove(attachmentId);
            await DetachInAml(attachmentId, delete, requestId);
            return 0;
        }

        var removed = await _core.Ask<QueueRemoved>(new RemoveQueue(attachmentId, _settings.DrainTimeout), _settings.AskTimeout);
        _metrics.Retire(attachmentId);
        if (_deviceQueues.DeviceOf(attachmentId) is { } deviceId && _devices.TryGetValue(deviceId, out var slot))
        {
            slot.Supervisor.Tell(new ForgetQueue(attachmentId));
        }

        _deviceQueues.Remove(attachmentId);
        _queues.Remove(attachmentId);
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
        var queues = _queues.Keys.Where(id => !_vfs.ContainsKey(id)).ToArray();
        var removals = await Task.WhenAll(queues.Select(id => _core.Ask<QueueRemoved>(new RemoveQueue(id, _settings.DrainTimeout), _settings.AskTimeout)));
        foreach (var id in queues)
        {
            _deviceQueues.Remove(id);
            _queues.Remove(id);
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
        if (!_queues.TryGetValue(faulted.QueueId, out var queue))
        {
            return;
        }

        _log.Warning("VM {0}: attachment {1} failed: its channel faulted ({2})", queue.VmId, faulted.QueueId, faulted.Reason);
        await TryControl(_control.Attachments, new FailAttachment(faulted.QueueId, $"channel faulted: {faulted.Reason}", $"fault:{faulted.QueueId}:{Guid.NewGuid():N}"));
    }

    // ---- device failure and recovery ------------------------------------------------------------------------

    /// <summary>A device's supervisor stopped: the restart budget is spent. Mark it failed and move its queues.</summary>
    private async Task DeviceGaveUp(Terminated terminated)
    {
        var slot = _devices.Values.FirstOrDefault(s => s.Supervisor.Equals(terminated.ActorRef));
        if (slot is null)
        {
            return;
        }

        slot.Failed = true;
        var deviceId = slot.Spec.DeviceId;
        _log.Warning("device {0} failed past its restart budget; moving its queues", deviceId);
        // The guests wait on the queues, the books can wait on the guests: move first (all at once), then mark.
        await Task.WhenAll(_deviceQueues.On(deviceId).Select(q => MoveQueue(q.QueueId, q.Chain, deviceId)));
        await TryControl(_control.Devices, new SetDeviceHealth(deviceId, DeviceHealth.Failed, "g-driver restart budget spent", $"failed:{deviceId}:{Guid.NewGuid():N}"));
    }

    private async Task MoveQueue(string queueId, string chain, string fromDevice)
    {
        var requestId = $"failover:{queueId}:{Guid.NewGuid():N}";
        try
        {
            var view = await Control<AttachmentView>(_control.Attachments, new RebindAttachment(queueId, _node, $"device {fromDevice} failed", requestId));
            if (view.Status != AttachmentStatus.Bound || view.DeviceId is null || !_devices.TryGetValue(view.DeviceId, out var target))
            {
                _log.Error("queue {0}: no other device on {1} can take it ({2}); the guest gets errors until one can", queueId, _node, view.FailureMessage ?? view.Status.ToString());
                return;
            }

            var opened = await Local<DriverOpened>(target.Supervisor, new OpenDriver(queueId, chain), r => r is DriverNotOpened n ? n.Reason : null);
            _deviceQueues.Set(queueId, target.Spec.DeviceId, chain);
            var swapped = await _core.Ask<DriverSwapped>(new SwapDriver(queueId, opened.Driver), _settings.AskTimeout);
            // The target's g-driver counts the queue's faults from here on.
            target.Supervisor.Tell(swapped);
            _metrics.Move(queueId, target.Spec.DeviceId);
            if (_queues.TryGetValue(queueId, out var queue))
            {
                await Control<AttachmentView>(_control.Attachments, new MarkAttached(queueId, queue.Handle, $"{requestId}:attach"));
            }

            _log.Warning("queue {0} moved from {1} to {2}", queueId, fromDevice, target.Spec.DeviceId);
        }
        catch (Exception ex) when (ex is RealizationException or AskTimeoutException)
        {
            _log.Error("queue {0}: failover from {1} failed: {2}", queueId, fromDevice, ex.Message);
        }
    }

    /// <summary>Failed devices are probed; one whose probe passes is supervised again and healthy.</summary>
    private async Task ProbeFailed()
    {
        foreach (var slot in _devices.Values.Where(s => s.Failed).ToArray())
        {
            var driver = GDriverCatalog.Create(slot.Spec.Functions[0]);
            IGDriver probed = driver;
            if (slot.Spec.FaultInjecting)
            {
                var injectable = new FaultInjectingDriver(driver);
                slot.Fault.Apply(injectable);
                probed = injectable;
            }

            var probe = Task.Run(() => DriverProbe.Run(probed));
            var problem = await Task.WhenAny(probe, Task.Delay(TimeSpan.FromSeconds(2))) == probe ? probe.Result : "probe timed out";
            if (probe.IsCompleted)
            {
                probed.Dispose();
            }

            if (problem is null)
            {
                _log.Info("device {0}: probe passed; healthy again", slot.Spec.DeviceId);
                StartGDriver(slot);
                await TryControl(_control.Devices, new SetDeviceHealth(slot.Spec.DeviceId, DeviceHealth.Healthy, "probe passed", $"healthy:{slot.Spec.DeviceId}:{Guid.NewGuid():N}"));
            }
        }
    }

    private void Inject(InjectDeviceFault cmd)
    {
        if (!_devices.TryGetValue(cmd.DeviceId, out var slot))
        {
            Sender.Tell(new Rejected(RejectReason.NotFound, $"device {cmd.DeviceId} is not on node {_node}"));
            return;
        }

        if (!slot.Spec.FaultInjecting || !Enum.TryParse<FaultKind>(cmd.Fault, ignoreCase: true, out var kind) || kind == FaultKind.None)
        {
            Sender.Tell(new Rejected(RejectReason.InvalidArgument,
                slot.Spec.FaultInjecting ? $"fault '{cmd.Fault}' is not one of throw, hang, corrupt" : $"device {cmd.DeviceId} has no fault injection"));
            return;
        }

        slot.Fault.Break(kind);
        slot.Supervisor.Tell(GDriverActor.FaultStateChanged.Instance);
        _log.Warning("device {0}: fault '{1}' injected", cmd.DeviceId, kind);
        Sender.Tell(DeviceStatus(slot));
    }

    private void Repair(RepairDevice cmd)
    {
        if (!_devices.TryGetValue(cmd.DeviceId, out var slot))
        {
            Sender.Tell(new Rejected(RejectReason.NotFound, $"device {cmd.DeviceId} is not on node {_node}"));
            return;
        }

        slot.Fault.Repair();
        slot.Supervisor.Tell(GDriverActor.FaultStateChanged.Instance);
        Sender.Tell(DeviceStatus(slot));
    }

    private void Status()
    {
        var replyTo = Sender;
        var devices = _devices.Values.Select(DeviceStatus).ToArray();
        var queues = _queues.Values.ToDictionary(q => q.AttachmentId);
        _core.Ask<QueueStatsReport>(GetQueueStats.Instance, _settings.AskTimeout).ContinueWith(t =>
        {
            var stats = t.IsCompletedSuccessfully ? t.Result.Queues : [];
            replyTo.Tell(new NodeStatus(_node, devices, stats.Select(s => new NodeQueue(
                s.QueueId, queues.TryGetValue(s.QueueId, out var q) ? q.VmId : "", _deviceQueues.DeviceOf(s.QueueId) ?? "", s.Function,
                s.Ops, s.Errors, s.DriverFaults, s.LatencyP50Nanos, s.LatencyP99Nanos, s.BytesIn, s.BytesOut, s.State.ToString(), s.FaultReason)).ToArray()));
        });
    }

    private NodeDevice DeviceStatus(DeviceSlot slot) => new(
        slot.Spec.DeviceId, slot.Spec.Type,
        slot.Spec.PciFunctions is { } vfs ? $"PCI passthrough ({vfs.Count} VFs, {_vfs.Count(kv => vfs.Contains(kv.Value))} held)"
        : slot.Spec.FaultInjecting ? "software (fault-injecting)" : "software", true, null,
        slot.Spec.Functions.ToArray(), slot.Spec.QueuePairs,
        slot.Failed ? "failed: probing" : slot.Fault.Kind == FaultKind.None ? "running" : $"running, fault '{slot.Fault.Kind}' injected");

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

    private sealed class DeviceSlot(DeviceSpec spec, DeviceFaultSwitch fault)
    {
        public DeviceSpec Spec { get; } = spec;

        public DeviceFaultSwitch Fault { get; } = fault;

        public IActorRef Supervisor { get; set; } = ActorRefs.Nobody;

        public int Incarnation { get; set; }

        public bool Failed { get; set; }
    }

    private sealed record RealizedQueue(string AttachmentId, string VmId, AttachHandle Handle, string RequestId);

    private sealed class RealizationException(Rejected rejected) : Exception(rejected.Message)
    {
        public Rejected Rejected { get; } = rejected;
    }

    private sealed record RegisterDevices
    {
        public static RegisterDevices Instance { get; } = new();
    }

    private sealed record ProbeFailedDevices
    {
        public static ProbeFailedDevices Instance { get; } = new();
    }
}
