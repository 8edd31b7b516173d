using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Fabric.Control;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Handoff;
using Fabric.Messages.Attachments;
using Fabric.Messages.Node;
using Fabric.Node.Vm;

namespace Fabric.Node.Compute;

/// <summary>
/// The compute agent of one host (the seed's "compute agent" working with the acceleration agent): the single owner of
/// the host's <see cref="ComputeState"/> and of the Acceleration Core. It decides on the driver faults the AC pushes
/// (reset, or move the failed device's queues at once and tell the AML after) and serves the queues its VM sagas ask
/// for; its children do the rest: <see cref="DeviceRegistrar"/>, <see cref="VmCommands"/> (the sagas),
/// <see cref="ComputeEffectsActor"/> (what its decisions mean for the AC, the AML and the probers),
/// <see cref="QueueRequestsActor"/> (the AC asked for the sagas' queues). It never waits.
/// </summary>
public sealed class NodeAgent : ReceiveActor
{
    public const string Name = Fabric.Control.Nodes.NodeAgentPath.Name;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _node;
    private readonly IReadOnlyList<DeviceSpec> _devices;
    private readonly ControlPlane _control;
    private readonly ComputeSettings _settings;
    private readonly DriverFactory _drivers;
    private IActorRef _core = ActorRefs.Nobody;
    private IActorRef _vms = ActorRefs.Nobody;
    private IActorRef _vmCommands = ActorRefs.Nobody;
    private IActorRef _effects = ActorRefs.Nobody;
    private IActorRef _queues = ActorRefs.Nobody;
    private ComputeState _state;

    public NodeAgent(string node, IReadOnlyList<DeviceSpec> devices, ControlPlane control, ComputeSettings settings, DriverFactory? drivers)
    {
        (_node, _devices, _control, _settings, _drivers) = (node, devices, control, settings, drivers ?? DriverFactory.Default);
        _state = ComputeState.Of(node, devices, ResetPolicy.From(settings));

        Receive<object>(m => m is SpawnVm or AddVmAccelerator or StopVm or ReleaseDeadVm, m => _vmCommands.Forward(m));
        Receive<SagaStateWanted>(w => Sender.Tell(new StateForSaga(w.VmId, _state)));
        Receive<OpenQueue>(Open);
        Receive<QueueServed>(Serve);
        Receive<ClaimVf>(c => Reply(Decide(new TakeVf(c.QueueId, c.VmId, c.DeviceId, c.Held, c.RequestId)),
            d => new VfClaimed(c.QueueId, (PciAttachHandle)((VfTaken)d.Events[0]).Handle)));
        Receive<CloseQueue>(Close);
        Receive<QueueRemovedFor>(AfterClose);
        Receive<QueuesOfRequest>(q => Sender.Tell(new RequestQueues(_state.Queues.Values.Where(e => e.RequestId == q.RequestId).Select(e => e.QueueId).ToArray())));
        Receive<DriverFaultSignal>(signal =>
        {
            var (fault, note) = ComputeEffects.DriverFaulted(_state, signal, Environment.TickCount64);
            Carry([note]);
            Decide(fault);
        });
        Receive<ResetDue>(due => Settle(new DeviceReset(due.DeviceId)));
        Receive<DriverSwapped>(swapped => _state = _state.Apply(new DriverReplaced(swapped.QueueId, swapped.Generation)));
        Receive<DriverNotSwapped>(failed => _log.Error("queue {0}: the AC did not swap its driver: {1}", failed.QueueId, failed.Reason));
        // From the effects actor: a reset's probe failed (NoteDeviceFault), the AML answered a move's re-bind (ConfirmMove).
        Receive<ComputeCommand>(c => Decide(c));
        Receive<ProbePassed>(passed => Settle(new DeviceRecovered(passed.DeviceId)));
        Receive<DeviceFailedOnAml>(f => Carry(ComputeEffects.ServedAgain(_state, f.DeviceId)));
        Receive<InjectDeviceFault>(cmd => Reply(Decide(new SwitchFault(cmd.DeviceId, cmd.Fault)), _ => NodeStatusView.Device(_state, _state.Devices[cmd.DeviceId])));
        Receive<RepairDevice>(cmd => Reply(Decide(new SwitchFault(cmd.DeviceId, null)), _ => NodeStatusView.Device(_state, _state.Devices[cmd.DeviceId])));
        Receive<GetNodeStatus>(_ => Context.ActorOf(NodeStatusQuery.Props(_state, _vms, _core, _settings.AskTimeout, Sender)));
        // The node leaves: every AC queue drains (guests' posted work completes) and goes; the AML is not asked.
        Receive<DrainNode>(_ =>
        {
            (_state, var drain) = QueueService.Drained(_state);
            _effects.Forward(drain);
        });
        Receive<QueueFaulted>(f => Carry(ComputeEffects.ChannelFaulted(_state, f.QueueId, f.Reason)));
        Receive<ApplyServiceLevel>(m => Carry(ComputeEffects.ServiceLevelChanged(_state, m)));
    }

    public static Props Props(string node, IReadOnlyList<DeviceSpec> devices, ControlPlane control, ComputeSettings settings, DriverFactory? drivers = null) =>
        Akka.Actor.Props.Create(() => new NodeAgent(node, devices, control, settings, drivers));

    protected override void PreStart()
    {
        // Namespaced by node name and cluster port: two fabrics (or nodes) on one host never share a channel folder.
        var port = Cluster.Get(Context.System).SelfAddress.Port ?? 0;
        var placement = new ChannelPlacement(ChannelDirectory.ForNode(_settings.ChannelRoot ?? ChannelDirectory.DefaultRoot, _node, port), _settings.ChannelPathMode);
        _core = Context.ActorOf(AccelerationCoreActor.Props(new EngineOptions { Workers = _settings.Workers, Cores = _settings.Cores }, placement), "ac");
        _vms = Context.ActorOf(VmMachines.Props(_node, VmSettings.From(Context.System.Settings.Config)), VmMachines.Name);
        _vmCommands = Context.ActorOf(VmCommands.Props(_node, _control, _settings, _vms), VmCommands.Name);
        _effects = Context.ActorOf(ComputeEffectsActor.Props(_node, _core, _control, _settings, _drivers), ComputeEffectsActor.Name);
        _queues = Context.ActorOf(QueueRequestsActor.Props(_core, _drivers, _settings), QueueRequestsActor.Name);
        Context.ActorOf(DeviceRegistrar.Props(_node, _devices, _control, _settings.RegisterRetry), DeviceRegistrar.Name);
        var (node, log) = (_node, _log);
        Task.Run(() => ComputeRehearsal.Run(node)).ContinueWith(t => log.Error(t.Exception, "the fault rehearsal failed"), TaskContinuationOptions.OnlyOnFaulted);
    }

    protected override void PostStop()
    {
        _log.Info("node stopping: {0} queue(s) end with the AC {1}", _state.Queues.Count, string.Join(" ", _state.Queues.Keys));
        // The AC and the VMs (children) have stopped: their channels and sockets are gone, so are the folders if empty.
        NodeFolders.RemoveEmpty(NodeFolders.Of(Context.System.Settings.Config, _node, Cluster.Get(Context.System).SelfAddress.Port ?? 0));
    }

    // ---- the queues the VM sagas ask for ---------------------------------------------------------------------

    private void Open(OpenQueue open)
    {
        // Placed before the AC serves it: a fault of its very first op already counts.
        var device = _state.Devices[open.DeviceId];
        Record(new QueuePlaced(open.QueueId, open.VmId, open.DeviceId, open.Chain, open.RequestId));
        _queues.Forward(new ServeQueue(open, device.Spec, device.Injected));
    }

    private void Serve(QueueServed served)
    {
        (_state, var effects, var answer) = QueueService.Served(_state, served.Open, served.Reply);
        Carry(effects);
        served.Saga.Tell(answer);
    }

    private void Close(CloseQueue close)
    {
        if (QueueService.ClosedAtOnce(_state, close.QueueId) is (ComputeState state, QueueClosed answer))
        {
            _state = state;
            Sender.Tell(answer);
            return;
        }

        _queues.Forward(close);
    }

    private void AfterClose(QueueRemovedFor closed)
    {
        (_state, var effects, var answer) = QueueService.Closed(_state, closed.QueueId, closed.Completed, _core.Path.Name);
        Carry(effects);
        closed.Saga.Tell(answer);
    }

    // ---- device faults: decided here at once, carried out by the effects actor, confirmed to the AML after -------

    private ComputeDecision Decide(ComputeCommand command)
    {
        (_state, var decision, var effects) = ComputeEffects.Decide(_state, command);
        Carry(effects);
        return decision;
    }

    /// <summary>Answers the sender with the decision's refusal, or with what it made.</summary>
    private void Reply(ComputeDecision decision, Func<ComputeDecision, object> made) => Sender.Tell(decision.Refusal ?? made(decision));

    /// <summary>Records an event and re-arms the standbys it changed.</summary>
    private void Settle(ComputeEvent e)
    {
        (_state, var effects) = ComputeEffects.Settle(_state, e);
        Carry(effects);
    }

    private void Record(ComputeEvent e)
    {
        var effects = new List<ComputeEffect>();
        _state = ComputeEffects.Record(_state, e, effects);
        Carry(effects);
    }

    private void Carry(IEnumerable<ComputeEffect> effects)
    {
        foreach (var effect in effects)
        {
            _effects.Tell(effect);
        }
    }
}
