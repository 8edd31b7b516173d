using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Fabric.Control.Nodes;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Functions;
using Fabric.Messages.Node;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Profiles;
using Fabric.Messages.Vim;

namespace Fabric.Control.Gateway;

/// <summary>
/// The door of the fabric for VIMs and operators, on every control node, registered with the cluster client
/// receptionist at <c>/user/vim-gateway</c>. Entity commands a VIM may send are forwarded to their entities (which
/// validate them and answer with a view or a typed <see cref="Rejected"/>); lists are answered from the indexes;
/// VM life-cycle requests go to the node agent of the host; <see cref="FabricEvent"/>s are passed to subscribers.
/// </summary>
public sealed class VimGateway : ReceiveActor
{
    public const string Name = "vim-gateway";
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>How long a handed-on request may stay unanswered before the requester hears a typed timeout; longer than any client waits.</summary>
    private static readonly TimeSpan HoldLimit = TimeSpan.FromMinutes(2);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ControlPlane _control;
    private readonly PageBudget _budget = PageBudget.Of(Context.System);
    private readonly Dictionary<string, Address> _computeNodes = new(StringComparer.Ordinal);
    private readonly LeasedSubscribers _subscribers = new(Lease);

    /// <summary>The last events, sent again to a subscriber that renews saying when it last heard (every gateway gets every event).</summary>
    private readonly RecentEvents _recent = new(1024);

    public VimGateway(ControlPlane control)
    {
        _control = control;

        // Entity commands a VIM may send; the rest belong to node agents (MarkAttached, Reserve, ...).
        Receive<CreateProfile>(m => Relay(_control.Profiles, m));
        Receive<DeleteProfile>(m => Relay(_control.Profiles, m));
        Receive<GetProfile>(m => Relay(_control.Profiles, m));
        Receive<CreateAttachment>(m => Relay(_control.Attachments, m));
        Receive<BindAttachment>(m => Relay(_control.Attachments, m));
        Receive<RebindAttachment>(m => Relay(_control.Attachments, m));
        Receive<GetAttachment>(m => Relay(_control.Attachments, m));
        Receive<DeleteAttachment>(m => Relay(_control.Attachments, m));
        Receive<FailAttachment>(m => Relay(_control.Attachments, m));
        Receive<RequestBind>(m => Relay(_control.Attachments, m));
        Receive<MarkBindReported>(m => Relay(_control.Attachments, m));
        Receive<SetAttachmentServiceLevel>(m => Reply(ServiceLevelChange.Apply(Context.System, _control.Attachments,
            new Dictionary<string, Address>(_computeNodes, StringComparer.Ordinal), m, Timeout), "service level"));
        Receive<GetDevice>(m => Relay(_control.Devices, m));
        Receive<SetDeviceEnabled>(m => Relay(_control.Devices, m));
        Receive<SetDeviceTraits>(m => Relay(_control.Devices, m));
        Receive<ProgramDevice>(Program);
        Receive<DefinePipeline>(m => Relay(_control.Pipelines, m));
        Receive<GetPipeline>(m => Relay(_control.Pipelines, m));
        Receive<DeletePipeline>(m => Relay(_control.Pipelines, m));

        Receive<ListProfiles>(q => Reply(GatewayLists.Profiles(_control, q, _budget, Timeout), "profiles"));
        Receive<ListAttachments>(q => Reply(GatewayLists.Attachments(_control, q, _budget, Timeout), "attachments"));
        Receive<ListDevices>(q => Reply(GatewayLists.Devices(_control, q, _budget, Timeout), "devices"));

        Receive<VmSpawnRequested>(r => ToNode(r.Host, new SpawnVm(r.VmId, r.Accelerators, r.RequestId, r.Machine)));
        Receive<VmDeleteRequested>(r => ToNode(r.Host, new StopVm(r.VmId, DeleteAttachments: true, r.RequestId)));
        Receive<VmMoveRequested>(Move);
        Receive<GetNodeStatus>(_ => Sender.Tell(new Rejected(RejectReason.InvalidArgument, "ask a node: send GetNodeStatus inside a request for a host")));
        Receive<GetGatewayInfo>(_ => Sender.Tell(Info()));

        Receive<SubscribeEvents>(subscribe =>
        {
            _subscribers.Renew(Sender);
            Sender.Tell(new EventsSubscribed(Lease));
            if (subscribe.Since is { } since)
            {
                foreach (var missed in _recent.Since(since))
                {
                    Sender.Tell(missed);
                }
            }
        });
        Receive<FabricEvent>(Publish);
        Receive<SubscribeAck>(_ => { });

        Receive<ClusterEvent.MemberUp>(up => Track(up.Member));
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            if (NodeLossWatcher.NodeNameOf(removed.Member) is { } node && _computeNodes.TryGetValue(node, out var a) && a == removed.Member.Address)
            {
                _computeNodes.Remove(node);
            }
        });
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        Receive<GatewayLeaving>(leaving =>
        {
            GatewayShutdown.Leave(Context, leaving, Sender);
            Become(() => Leaving(leaving.Node));
        });

        // Anything else from outside is refused with a reason, never dropped in silence.
        Receive<IFabricMessage>(m => Sender.Tell(new Rejected(RejectReason.InvalidArgument,
            $"{m.GetType().Name} is not accepted from a VIM or operator; see the gateway's protocol in Fabric.Messages.Vim")));
    }

    public static Props Props(ControlPlane control) => Akka.Actor.Props.Create(() => new VimGateway(control));

    protected override void PreStart()
    {
        GatewayShutdown.Register(Context, Name);
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.MemberRemoved));
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(FabricEvent.Topic, Self));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void Track(Member member)
    {
        if (NodeLossWatcher.NodeNameOf(member) is { } node)
        {
            _computeNodes[node] = member.Address;
        }
    }

    private GatewayInfo Info()
    {
        var state = Cluster.Get(Context.System).State;
        return new GatewayInfo(
            _computeNodes.Keys.Order(StringComparer.Ordinal).ToArray(),
            state.Members.Where(m => m.HasRole(ControlPlane.ControlRole)).Select(m => m.Address.ToString()).ToArray());
    }

    private void ToNode(string host, object command)
    {
        if (!_computeNodes.TryGetValue(host ?? "", out var address))
        {
            Sender.Tell(UnknownHost(host));
            return;
        }

        Context.ActorSelection(NodeAgentPath.Of(address)).Tell(command, Pending(command.GetType().Name));
    }

    private Rejected UnknownHost(string? host) => new(RejectReason.NotFound,
        $"no compute node named '{host}' is in the cluster; compute nodes: {(_computeNodes.Count == 0 ? "none" : string.Join(", ", _computeNodes.Keys.Order()))}");

    private void Move(VmMoveRequested r)
    {
        if (!_computeNodes.TryGetValue(r.ToHost ?? "", out var to))
        {
            Sender.Tell(UnknownHost(r.ToHost));
            return;
        }

        var from = _computeNodes.TryGetValue(r.FromHost ?? "", out var a) ? a : null;
        MoveAsync(Context.System, r, from, to).PipeTo(Pending(nameof(VmMoveRequested)), failure: ex => new Rejected(RejectReason.Timeout,
            $"moving VM {r.VmId}: a node agent did not answer in time ({ex.GetBaseException().GetType().Name}); retry with the same request id"));
    }

    /// <summary>Runs off the actor's thread: it touches only its arguments.</summary>
    private static async Task<object> MoveAsync(ActorSystem system, VmMoveRequested r, Address? from, Address to)
    {
        if (from is not null)
        {
            // The old host may be gone (that is often why a VM moves): then its queues went with it.
            var stopped = await system.ActorSelection(NodeAgentPath.Of(from))
                .Ask<object>(new StopVm(r.VmId, DeleteAttachments: false, $"{r.RequestId}:stop"), Timeout);
            if (stopped is Rejected rejected)
            {
                return rejected;
            }
        }

        return await system.ActorSelection(NodeAgentPath.Of(to))
            .Ask<object>(new SpawnVm(r.VmId, r.Accelerators, $"{r.RequestId}:spawn"), Timeout);
    }

    private void Program(ProgramDevice cmd)
    {
        var nodes = new Dictionary<string, Address>(_computeNodes, StringComparer.Ordinal);
        ProgramAsync(Context.System, _control.Devices, nodes, cmd).PipeTo(Pending(nameof(ProgramDevice)), failure: ex => new Rejected(RejectReason.Timeout,
            $"device {cmd.DeviceId}: its node agent or the device did not answer in time ({ex.GetBaseException().GetType().Name}); retry with the same request id"));
    }

    /// <summary>
    /// What the device can run comes from its node agent (the AML only knows what the device offers now); the device
    /// entity then takes the choice as a registration, refusing to withdraw a function an attachment holds.
    /// Runs off the actor's thread: it touches only its arguments.
    /// </summary>
    private static async Task<object> ProgramAsync(ActorSystem system, IActorRef devices, IReadOnlyDictionary<string, Address> nodes, ProgramDevice cmd)
    {
        if (string.IsNullOrWhiteSpace(cmd.DeviceId) || string.IsNullOrWhiteSpace(cmd.RequestId))
        {
            return new Rejected(RejectReason.InvalidArgument, "programming a device needs a device id and a request id");
        }

        if (cmd.Function is not null && !AccelerationFunctions.All.Contains(cmd.Function))
        {
            return new Rejected(RejectReason.UnknownFunction,
                $"device {cmd.DeviceId}: unknown function '{cmd.Function}'; known: {string.Join(", ", AccelerationFunctions.All)}");
        }

        if (await devices.Ask<object>(new GetDevice(cmd.DeviceId), Timeout) is not DeviceView device)
        {
            return new Rejected(RejectReason.NotFound, $"device {cmd.DeviceId} is not registered");
        }

        if (!nodes.TryGetValue(device.Node, out var address))
        {
            return new Rejected(RejectReason.DeviceUnavailable,
                $"device {device.DeviceId}: its node {device.Node} is not in the cluster, and a device is programmed through its node");
        }

        var status = await system.ActorSelection(NodeAgentPath.Of(address)).Ask<object>(GetNodeStatus.Instance, Timeout);
        var served = (status as NodeStatus)?.Devices.FirstOrDefault(d => d.DeviceId == device.DeviceId);
        if (served is null)
        {
            return new Rejected(RejectReason.DeviceUnavailable, $"device {device.DeviceId} is not served by the node agent of {device.Node}");
        }

        if (cmd.Function is not null && !served.Functions.Contains(cmd.Function))
        {
            return new Rejected(RejectReason.FunctionNotSupported,
                $"device {device.DeviceId} cannot run {cmd.Function}; its g-driver runs {string.Join(", ", served.Functions)}");
        }

        string[] functions = cmd.Function is null ? served.Functions.ToArray() : [cmd.Function];
        return await devices.Ask<object>(
            new RegisterDevice(device.DeviceId, device.Node, device.Type, functions, device.CapacityQueuePairs, cmd.RequestId), Timeout);
    }

    /// <summary>Sends what <paramref name="work"/> answers to the sender; a collaborator's silence becomes a typed Timeout.</summary>
    private void Reply(Task<object> work, string what) => work.PipeTo(Pending(what), failure: ex => new Rejected(RejectReason.Timeout,
        $"the control plane did not answer for {what} in time ({ex.GetBaseException().GetType().Name}); retry"));

    /// <summary>Hands <paramref name="request"/> on to <paramref name="target"/>; its answer goes to the sender through a <see cref="PendingRequest"/>.</summary>
    /// <summary>To a shard region: held by a child that also sends it again while it waits (see <see cref="PendingRequest"/>).</summary>
    private void Relay(IActorRef target, object request) =>
        target.Tell(request, Context.ActorOf(PendingRequest.Props(Sender, request.GetType().Name, HoldLimit, (target, request))));

    /// <summary>A child that holds the sender's request until it is answered, refused because this node leaves, or timed out.</summary>
    private IActorRef Pending(string what) => Context.ActorOf(PendingRequest.Props(Sender, what, HoldLimit));

    /// <summary>The node is shutting down: events still reach subscribers until it is gone; every request is refused, to be retried elsewhere.</summary>
    private void Leaving(string node)
    {
        Receive<FabricEvent>(Publish);
        Receive<GatewayLeaving>(_ => Sender.Tell(new GatewayLeft(0)));
        Receive<IFabricMessage>(m => Sender.Tell(GatewayShutdown.Refusal(node, m.GetType().Name)));
        ReceiveAny(_ => { });
    }

    private void Publish(FabricEvent e)
    {
        _recent.Add(e);
        _subscribers.Publish(e);
    }
}
