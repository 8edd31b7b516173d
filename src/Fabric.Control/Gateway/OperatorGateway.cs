using Akka.Actor;
using Akka.Cluster;
using Fabric.Control.Metrics;
using Fabric.Control.Nodes;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Operator;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Vim;

namespace Fabric.Control.Gateway;

/// <summary>
/// The door of the fabric for operators (fabric-cmd), on every control node, registered with the cluster client
/// receptionist at <c>/user/operator-gateway</c>. It answers what an operator inspects and steers: membership (show,
/// leave, down, a stream of changes), sharding, devices (show, disable, enable; fault drills through the device's node agent), attachments, pipelines and the
/// dataplane of a node (asked of that node's agent). A VIM's commands (bind, spawn, ...) are not accepted here:
/// they belong to the VIM gateway, and everything else is refused with a typed <see cref="Rejected"/>.
/// Views are <see cref="ClusterViews"/>, gathering queries <see cref="OperatorQueries"/>, hand-offs <see cref="GatewayRequests"/>.
/// </summary>
public sealed class OperatorGateway : ReceiveActor
{
    public const string Name = "operator-gateway";
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private const string Next = "retry, or check 'cluster show'";

    private readonly ControlPlane _control;
    private readonly PageBudget _budget = PageBudget.Of(Context.System);
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly LeasedSubscribers _subscribers = new(Lease);

    public OperatorGateway(ControlPlane control)
    {
        _control = control;

        Receive<GetGatewayInfo>(_ => Sender.Tell(ClusterViews.Info(ComputeNodes().Keys, _cluster.State.Members)));
        Receive<GetClusterState>(_ => Sender.Tell(ClusterViews.State(_cluster.State, _cluster.SelfAddress)));
        Receive<LeaveMember>(m => Steer(m.Address, "leave", _cluster.Leave));
        Receive<DownMember>(m => Steer(m.Address, "down", _cluster.Down));
        Receive<SubscribeClusterEvents>(_ =>
        {
            _subscribers.Renew(Sender);
            Sender.Tell(new ClusterEventsSubscribed(Lease));
        });

        // Reads and the maintenance switch are forwarded to the entities, which answer with a view or a Rejected.
        Receive<GetDevice>(m => GatewayRequests.Relay(Context, _control.Devices, m));
        Receive<SetDeviceEnabled>(m => GatewayRequests.Relay(Context, _control.Devices, m));
        Receive<SetDeviceTraits>(m => GatewayRequests.Relay(Context, _control.Devices, m));
        Receive<GetAttachment>(m => GatewayRequests.Relay(Context, _control.Attachments, m));
        Receive<SetAttachmentServiceLevel>(m => Reply(ServiceLevelChange.Apply(Context.System, _control.Attachments, ComputeNodes(), m, Timeout), "service level"));
        Receive<GetPipeline>(m => GatewayRequests.Relay(Context, _control.Pipelines, m));

        Receive<ListDevices>(q => Reply(GatewayLists.Devices(_control, q, _budget, Timeout), "devices"));
        Receive<ListAttachments>(q => Reply(GatewayLists.Attachments(_control, q, _budget, Timeout), "attachments"));
        Receive<ListPipelines>(q => Reply(GatewayLists.Pipelines(_control, _control.PipelineIndex!, q, _budget, Timeout), "pipelines"));
        Receive<GetShardingStats>(_ => Reply(OperatorQueries.ShardingStats(_control, Timeout), "sharding stats"));
        Receive<GetNodeStatusOf>(NodeStatusOf);
        Receive<InjectDeviceFault>(m => ToNodeOf(m.DeviceId, m));
        Receive<RepairDevice>(m => ToNodeOf(m.DeviceId, m));
        Receive<GetMetrics>(Metrics);

        Receive<ClusterEvent.IMemberEvent>(e => _subscribers.Publish(ClusterViews.MemberEvent(e)));
        Receive<ClusterEvent.UnreachableMember>(e => _subscribers.Publish(ClusterViews.Event("Unreachable", e.Member)));
        Receive<ClusterEvent.ReachableMember>(e => _subscribers.Publish(ClusterViews.Event("Reachable", e.Member)));
        Receive<ClusterEvent.LeaderChanged>(e => _subscribers.Publish(ClusterViews.LeaderChanged(e.Leader)));
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<GatewayLeaving>(leaving =>
        {
            GatewayShutdown.Leave(Context, leaving, Sender);
            Become(() => Leaving(leaving.Node));
        });

        // Anything else from outside is refused with a reason, never dropped in silence.
        Receive<IFabricMessage>(m => Sender.Tell(GatewayRequests.NotAccepted(m,
            "is not accepted by the operator gateway; see its protocol in Fabric.Messages.Operator (VIM requests go to /user/vim-gateway)")));
    }

    public static Props Props(ControlPlane control) => Akka.Actor.Props.Create(() => new OperatorGateway(control));

    protected override void PreStart()
    {
        GatewayShutdown.Register(Context, Name);
        // A snapshot first (ignored): a tail shows what changes from now on, not the history of every member.
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private Dictionary<string, Address> ComputeNodes() => ClusterViews.ComputeNodes(_cluster.State.Members);

    private void Steer(string address, string action, Action<Address> apply)
    {
        var (member, refusal) = ClusterViews.MemberAt(address, _cluster.State.Members);
        if (member is null)
        {
            Sender.Tell(refusal!);
            return;
        }

        apply(member.Address);
        Sender.Tell(new MemberCommandAccepted(member.Address.ToString(), action, member.Status.ToString()));
    }

    private void NodeStatusOf(GetNodeStatusOf query)
    {
        var nodes = ComputeNodes();
        if (!nodes.TryGetValue(query.Host ?? "", out var address))
        {
            Sender.Tell(ClusterViews.UnknownHost(query.Host, nodes.Keys, "is up in the cluster"));
            return;
        }

        OperatorQueries.NodeStatus(Context.ActorSelection(NodeAgentPath.Of(address)), Timeout).PipeTo(
            GatewayRequests.Pending(Context, nameof(GetNodeStatusOf)), failure: ex => new Rejected(RejectReason.Timeout,
            $"the node agent of '{query.Host}' did not answer within {Timeout.TotalSeconds:0}s ({ex.GetBaseException().GetType().Name}); is the node overloaded or leaving?"));
    }

    /// <summary>Fault drills: the device's own node agent (a device id is node/device) switches its fault injection and answers.</summary>
    private void ToNodeOf(string deviceId, IFabricCommand command)
    {
        var nodes = ComputeNodes();
        var host = deviceId.Split('/', 2)[0];
        if (!deviceId.Contains('/') || !nodes.TryGetValue(host, out var address))
        {
            Sender.Tell(deviceId.Contains('/')
                ? ClusterViews.UnknownHost(host, nodes.Keys, "is up in the cluster")
                : new Rejected(RejectReason.InvalidArgument, $"device id '{deviceId}' is not node/device"));
            return;
        }

        Context.ActorSelection(NodeAgentPath.Of(address)).Tell(command, GatewayRequests.Pending(Context, command.GetType().Name));
    }

    /// <summary>Every Up member's own metrics (or one member's, by node name or address), gathered off the actor's thread.</summary>
    private void Metrics(GetMetrics query)
    {
        // This node answers for itself even when nothing started its metrics actor (a fabric hosted by a test or a tool).
        FabricMetrics.Get(Context.System).Serve();
        var asks = _cluster.State.Members
            .Where(m => m.Status == MemberStatus.Up)
            .Select(m => (m.Address, Reply: Context.ActorSelection(new RootActorPath(m.Address) / "user" / FabricMetrics.ActorName)
                .Ask<NodeMetrics>(GetNodeMetrics.Instance, Timeout)))
            .ToArray();
        OperatorQueries.Metrics(_cluster.SelfAddress.ToString(), asks, query.Node, Timeout).PipeTo(GatewayRequests.Pending(Context, nameof(GetMetrics)));
    }

    private void Reply(Task<object> work, string what) => GatewayRequests.Reply(Context, work, what, Next);

    /// <summary>The node is shutting down: every request is refused, to be retried against another control node.</summary>
    private void Leaving(string node)
    {
        Receive<GatewayLeaving>(_ => Sender.Tell(new GatewayLeft(0)));
        Receive<IFabricMessage>(m => Sender.Tell(GatewayShutdown.Refusal(node, m.GetType().Name)));
        ReceiveAny(_ => { });
    }
}
