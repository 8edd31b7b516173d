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
using Fabric.Node.Vm;

namespace Fabric.Node.Compute;

/// <summary>
/// The compute agent of one host (the seed's "compute agent" working with the acceleration agent). It owns the
/// Acceleration Core and the host's <see cref="ComputeState"/>, registers the devices with the AML, runs each VM
/// command (spawn, hot-add, stop) in a <see cref="VmSaga"/> (one at a time per VM, in order), decides on the driver
/// faults the AC pushes (reset, or move the failed device's queues at once and tell the AML after) and has failed
/// devices probed. It never waits: status, faults and deletes are answered while binds are in flight.
/// </summary>
public sealed class NodeAgent : ReceiveActor, IWithTimers
{
    public const string Name = Fabric.Control.Nodes.NodeAgentPath.Name;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _node;
    private readonly ControlPlane _control;
    private readonly ComputeSettings _settings;
    private readonly HashSet<string> _unregistered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IActorRef> _probers = new(StringComparer.Ordinal);
    private readonly DriverFactory _drivers;

    // The VM commands waiting for the saga of their VM, and the running sagas' VMs.
    private readonly Dictionary<string, Queue<(object Command, IActorRef ReplyTo)>> _vmCommands = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _sagas = new();
    private long _sagaCount;
    private readonly DataplaneMetrics _metrics = DataplaneMetrics.Get(Context.System);
    private IActorRef _core = ActorRefs.Nobody;
    private IActorRef _vms = ActorRefs.Nobody;
    private ComputeState _state;

    public NodeAgent(string node, IReadOnlyList<DeviceSpec> devices, ControlPlane control, ComputeSettings settings, DriverFactory? drivers)
    {
        _node = node;
        _control = control;
        _settings = settings;
        _drivers = drivers ?? DriverFactory.Default;
        _state = ComputeState.Of(node, devices, ResetPolicy.From(settings));

        Receive<SpawnVm>(cmd => Enqueue(cmd.VmId, cmd));
        Receive<AddVmAccelerator>(cmd => Enqueue(cmd.VmId, cmd));
        Receive<StopVm>(cmd => Enqueue(cmd.VmId, cmd));
        // VM machines (QEMU) the agent starts for a spawn that asks for one; a dead one's attachments are released in order with the VM's commands.
        Receive<StartMachine>(m => _vms.Forward(m));
        Receive<StopMachine>(m => _vms.Forward(m));
        Receive<ReleaseDeadVm>(cmd => Enqueue(cmd.VmId, cmd));
        Receive<Terminated>(SagaEnded);
        Receive<OpenQueue>(Open);
        Receive<Served>(Serve);
        Receive<ClaimVf>(Claim);
        Receive<CloseQueue>(Close);
        Receive<Closed>(AfterClose);
        Receive<QueuesOfRequest>(q => Sender.Tell(new RequestQueues(_state.Queues.Values.Where(e => e.RequestId == q.RequestId).Select(e => e.QueueId).ToArray())));
        Receive<DriverFaultSignal>(DriverFaulted);
        Receive<ResetDue>(due => Settle(new DeviceReset(due.DeviceId)));
        Receive<ResetProbed>(probed => Decide(new NoteDeviceFault(probed.DeviceId, $"the probe after its reset failed: {probed.Problem}", Environment.TickCount64)));
        Receive<DriverSwapped>(swapped => _state = _state.Apply(new DriverReplaced(swapped.QueueId, swapped.Generation)));
        Receive<DriverNotSwapped>(failed => _log.Error("queue {0}: the AC did not swap its driver: {1}", failed.QueueId, failed.Reason));
        Receive<Rebound>(Confirm);
        Receive<PassedReset>(_ => { });
        Receive<ProbePassed>(passed => Settle(new DeviceRecovered(passed.DeviceId)));
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
        Receive<DrainNode>(_ => DrainForLeave());
        Receive<QueueFaulted>(Faulted);
        // A service level changed on the control plane (issue 19): a queue is its attachment's id.
        Receive<ApplyServiceLevel>(m =>
        {
            if (_state.Queues.ContainsKey(m.AttachmentId))
            {
                _core.Tell(new SetQueueServiceLevel(m.AttachmentId, m.Level));
            }
        });
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
        _vms = Context.ActorOf(VmMachines.Props(_node, VmSettings.From(Context.System.Settings.Config)), VmMachines.Name);
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

    // ---- VM life cycle: a saga per command, one at a time per VM; the agent does the host's part -------------

    private void Enqueue(string vmId, object command)
    {
        if (_vmCommands.TryGetValue(vmId, out var waiting))
        {
            waiting.Enqueue((command, Sender));
            return;
        }

        _vmCommands[vmId] = new Queue<(object, IActorRef)>();
        StartSaga(vmId, command, Sender);
    }

    private void StartSaga(string vmId, object command, IActorRef replyTo)
    {
        var saga = Context.Watch(Context.ActorOf(VmSaga.Props(_node, _control, _settings, _state, command, replyTo), $"vm-saga-{++_sagaCount}"));
        _sagas[saga] = vmId;
    }

    private void SagaEnded(Terminated ended)
    {
        if (!_sagas.Remove(ended.ActorRef, out var vmId))
        {
            return;
        }

        if (_vmCommands[vmId].TryDequeue(out var next))
        {
            StartSaga(vmId, next.Command, next.ReplyTo);
        }
        else
        {
            _vmCommands.Remove(vmId);
        }
    }

    private void Open(OpenQueue open)
    {
        var device = _state.Devices[open.DeviceId];
        IGDriver driver;
        try
        {
            driver = _drivers.Create(device.Spec, open.Chain, device.Injected);
        }
        catch (ArgumentException ex)
        {
            Sender.Tell(new Rejected(RejectReason.IllegalState, ex.Message));
            return;
        }

        // Placed before the AC serves it: a fault of its very first op already counts.
        Record(new QueuePlaced(open.QueueId, open.VmId, open.DeviceId, open.Chain, open.RequestId));
        var saga = Sender;
        object add = open.VhostSocket is { } socket ? new AddVhostQueue(open.QueueId, driver, socket) : new AddQueue(open.QueueId, driver, ChannelGeometry.Default);
        _core.Ask<object>(add, _settings.AskTimeout)
            .PipeTo(Self, success: reply => new Served(open, reply, saga),
                failure: _ => new Served(open, new Rejected(RejectReason.Timeout, $"{_core.Path.Name} did not answer {add.GetType().Name}"), saga));
    }

    private void Serve(Served served)
    {
        var id = served.Open.QueueId;
        if (served.Reply is not QueueAdded added)
        {
            Record(new QueueReleased(id));
            served.Saga.Tell(served.Reply as Rejected ?? new Rejected(RejectReason.IllegalState, (served.Reply as QueueNotAdded)?.Reason ?? $"unexpected answer {served.Reply.GetType().Name}"));
            return;
        }

        _metrics.Track(id, served.Open.DeviceId, added.Counters);
        _core.Tell(new SetQueueServiceLevel(id, served.Open.Level ?? ServiceLevel.BestEffort));
        var g = added.Geometry;
        var handle = served.Open.VhostSocket is not null ? new VhostUserAttachHandle(_node, added.ChannelPath)
            : new AttachHandle(_node, added.ChannelPath, (int)ChannelLayout.AbiVersion, g.SqEntries, g.CqEntries, g.SlotCount, g.SlotSize);
        Settle(new QueueAttached(id, handle));
        served.Saga.Tell(new QueueOpened(id, handle));
    }

    /// <summary>A VF of the device no other attachment holds; the one the attachment held before when it is still free.</summary>
    private void Claim(ClaimVf claim)
    {
        var vfs = _state.Devices[claim.DeviceId].Spec.PciFunctions ?? [];
        var held = _state.Queues.Values.Where(q => q.Vf is not null).ToDictionary(q => q.QueueId, q => q.Vf!, StringComparer.Ordinal);
        var taken = held.Where(kv => kv.Key != claim.QueueId).Select(kv => kv.Value).ToHashSet(StringComparer.Ordinal);
        var before = claim.Held is { } address && vfs.Contains(address) && !taken.Contains(address) ? address : null;
        var vf = before ?? (held.TryGetValue(claim.QueueId, out var mine) ? mine : vfs.FirstOrDefault(a => !taken.Contains(a)));
        if (vf is null)
        {
            Sender.Tell(new Rejected(RejectReason.NoCapacity, $"device {claim.DeviceId}: all {vfs.Count} VFs are held"));
            return;
        }

        var handle = new PciAttachHandle(_node, vf);
        Record(new VfTaken(claim.QueueId, claim.VmId, claim.DeviceId, vf, handle, claim.RequestId));
        Sender.Tell(new VfClaimed(claim.QueueId, handle));
    }

    private void Close(CloseQueue close)
    {
        var id = close.QueueId;
        if (_state.Queues.TryGetValue(id, out var entry) && entry.Vf is not null)
        {
            // A VF has no queue here: the VM gives it back.
            Record(new QueueReleased(id));
            Sender.Tell(new QueueClosed(id, 0));
            return;
        }

        var saga = Sender;
        _core.Ask<QueueRemoved>(new RemoveQueue(id, _settings.DrainTimeout), _settings.AskTimeout)
            .PipeTo(Self, success: removed => new Closed(id, removed.Removal.CompletedWhileDraining, saga),
                failure: _ => new Closed(id, -1, saga));
    }

    private void AfterClose(Closed closed)
    {
        if (closed.Completed < 0)
        {
            closed.Saga.Tell(new Rejected(RejectReason.Timeout, $"{_core.Path.Name} did not answer RemoveQueue for {closed.QueueId}"));
            return;
        }

        _metrics.Retire(closed.QueueId);
        Record(new QueueReleased(closed.QueueId));
        closed.Saga.Tell(new QueueClosed(closed.QueueId, closed.Completed));
    }

    /// <summary>The node leaves: every queue drains (guests' posted work completes) and goes; the AML is not asked.</summary>
    private void DrainForLeave()
    {
        var queues = _state.Queues.Values.Where(q => q.Vf is null).Select(q => q.QueueId).ToArray();
        foreach (var id in queues)
        {
            Record(new QueueReleased(id));
        }

        var log = _log;
        Task.WhenAll(queues.Select(id => _core.Ask<QueueRemoved>(new RemoveQueue(id, _settings.DrainTimeout), _settings.AskTimeout)))
            .PipeTo(Sender, success: removals =>
            {
                var completed = removals.Sum(r => r.Removal.CompletedWhileDraining);
                log.Info("node leaving: {0} queue(s) drained, {1} operation(s) completed while draining", queues.Length, completed);
                return new NodeDrained(queues.Length, completed);
            });
    }

    /// <summary>
    /// A guest corrupted its channel and the AC stopped serving it: the attachment is failed with the reason (the VIM
    /// hears of it), so it does not stay Attached to a channel nobody serves. Deleting the VM removes the queue.
    /// </summary>
    private void Faulted(QueueFaulted faulted)
    {
        if (!_state.Queues.TryGetValue(faulted.QueueId, out var queue))
        {
            return;
        }

        _log.Warning("VM {0}: attachment {1} failed: its channel faulted ({2})", queue.VmId, faulted.QueueId, faulted.Reason);
        Inform(_control.Attachments, new FailAttachment(faulted.QueueId, $"channel faulted: {faulted.Reason}", $"fault:{faulted.QueueId}:{Guid.NewGuid():N}"));
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

    // ---- device faults: decided here at once, confirmed to the AML after ----------------------------------

    private void DriverFaulted(DriverFaultSignal signal)
    {
        var what = signal.Status == OpStatus.DeadlineExceeded ? "an operation missed its deadline" : "the driver failed an operation";
        // Once per driver generation, with what the driver threw: the stack goes to the log file, the console gets one line.
        _log.Warning(signal.Cause, "queue {0} on {1}: {2} (driver generation {3})", signal.QueueId,
            _state.Queues.TryGetValue(signal.QueueId, out var queue) ? queue.DeviceId : "no device", what, signal.Generation);
        Decide(new NoteDriverFault(signal.QueueId, signal.Generation, what, Environment.TickCount64, signal.Failover?.DeviceId, signal.Failover?.Generation ?? 0));
    }

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

        Rearm();
        return decision;
    }

    /// <summary>Records an event and re-arms the standbys it changed.</summary>
    private void Settle(ComputeEvent e)
    {
        Record(e);
        Rearm();
    }

    /// <summary>
    /// Every served queue holds a standby driver of the device it should fail over to (<see cref="ComputeState.StandbyFor"/>),
    /// so its AC worker can switch at once: armed when the queue opens and whenever the devices' conditions change.
    /// </summary>
    private void Rearm()
    {
        foreach (var (queue, deviceId) in _state.StandbyChanges())
        {
            IGDriver? driver = null;
            if (deviceId is not null)
            {
                var device = _state.Devices[deviceId];
                try
                {
                    driver = _drivers.Create(device.Spec, queue.Chain, device.Injected);
                }
                catch (ArgumentException ex)
                {
                    _log.Warning("queue {0}: no standby driver of {1}: {2}", queue.QueueId, deviceId, ex.Message);
                    continue;
                }
            }

            _core.Tell(new ArmStandby(queue.QueueId, driver, deviceId));
            _state = _state.Apply(new StandbyArmed(queue.QueueId, deviceId));
        }
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
                var left = _state.QueuesOn(reset.DeviceId);
                foreach (var queue in left)
                {
                    SwapTo(queue.QueueId, queue.Chain, reset.DeviceId);
                }

                if (left.Count == 0)
                {
                    // Its queues failed over: no guest tells whether the reset helped, a probe does.
                    ProbeAfterReset(reset.DeviceId);
                }

                break;
            case QueueFailedOver over:
                _metrics.Move(over.QueueId, over.ToDevice);
                _log.Warning("queue {0} failed over from {1} to {2} by its AC worker", over.QueueId, over.FromDevice, over.ToDevice);
                Rebind(over.QueueId, over.FromDevice);
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
                Rebind(moved.QueueId, moved.FromDevice);
                break;
            case QueueStranded stranded:
                _log.Error("queue {0}: no other device on {1} runs {2}; the guest gets errors until one can", stranded.QueueId, _node, stranded.Chain);
                break;
            case MoveConfirmed confirmed when _state.Queues.TryGetValue(confirmed.QueueId, out var queue) && queue.Handle is { } handle:
                Inform(_control.Attachments, new MarkAttached(queue.QueueId, handle, $"failover:{queue.QueueId}:attach:{Guid.NewGuid():N}"));
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

    /// <summary>The move, made here, is journaled on the AML after: the attachment is bound again on this host.</summary>
    private void Rebind(string queueId, string fromDevice) =>
        _control.Attachments.Ask<object>(new RebindAttachment(queueId, _node, $"device {fromDevice} failed", $"failover:{queueId}:{Guid.NewGuid():N}"), _settings.AskTimeout)
            .PipeTo(Self, success: reply => new Rebound(queueId, reply), failure: ex => new Rebound(queueId, ex.Message));

    /// <summary>One probe op on a fresh driver of the device, off the agent's thread and bounded in time.</summary>
    private void ProbeAfterReset(string deviceId)
    {
        var device = _state.Devices[deviceId];
        IGDriver driver;
        try
        {
            driver = _drivers.Create(device.Spec, device.Spec.Functions[0], device.Injected);
        }
        catch (ArgumentException ex)
        {
            Self.Tell(new ResetProbed(deviceId, ex.Message));
            return;
        }

        Task.Run(() =>
        {
            var problem = DriverProbe.Run(driver);
            driver.Dispose();
            return problem;
        }).WaitAsync(_settings.ProbeTimeout).PipeTo(Self, success: p => p is null ? PassedReset.Instance : new ResetProbed(deviceId, p),
            failure: _ => new ResetProbed(deviceId, "probe timed out"));
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
        var machines = _vms.Ask<MachineList>(GetMachines.Instance, _settings.AskTimeout);
        _core.Ask<QueueStatsReport>(GetQueueStats.Instance, _settings.AskTimeout).ContinueWith(async t =>
        {
            var stats = t.IsCompletedSuccessfully ? t.Result.Queues : [];
            var vms = await machines.ContinueWith(m => m.IsCompletedSuccessfully && m.Result.Machines.Count > 0 ? m.Result.Machines.ToArray() : null);
            replyTo.Tell(new NodeStatus(_node, devices, stats.Select(s => new NodeQueue(
                s.QueueId, queues.TryGetValue(s.QueueId, out var q) ? q.VmId : "", q?.DeviceId ?? "", s.Function,
                s.Ops, s.Errors, s.DriverFaults, s.LatencyP50Nanos, s.LatencyP99Nanos, s.BytesIn, s.BytesOut, s.State.ToString(), s.FaultReason,
                Scheduling.ServiceLevelMapping.ToView(s.Service))).ToArray(), vms));
        });
    }

    private NodeDevice DeviceStatus(DeviceEntry device) => new(
        device.Id, device.Spec.Type,
        device.Spec.PciFunctions is { } vfs ? $"PCI passthrough ({vfs.Count} VFs, {_state.Queues.Values.Count(q => q.DeviceId == device.Id && q.Vf is not null)} held)"
        : device.Spec.FaultInjecting ? $"{device.Spec.Backing} (fault-injecting)" : device.Spec.Backing, true, null,
        device.Spec.Functions.ToArray(), device.Spec.QueuePairs,
        device.Condition == DeviceCondition.Failed ? "failed: probing" : device.Injected == FaultKind.None ? "running" : $"running, fault '{device.Injected}' injected");

    private sealed record Served(OpenQueue Open, object Reply, IActorRef Saga);

    private sealed record Closed(string QueueId, long Completed, IActorRef Saga);

    private sealed record RegisterDevices
    {
        public static RegisterDevices Instance { get; } = new();
    }

    private sealed record ResetDue(string DeviceId);

    private sealed record ResetProbed(string DeviceId, string Problem);

    private sealed record PassedReset
    {
        public static PassedReset Instance { get; } = new();
    }

    /// <summary>The AML's answer to a move's re-bind: an <see cref="AttachmentView"/>, a <see cref="Rejected"/>, or why there was none.</summary>
    private sealed record Rebound(string QueueId, object Reply);
}
