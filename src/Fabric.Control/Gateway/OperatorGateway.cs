using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Fabric.Control.Metrics;
using Fabric.Control.Nodes;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Operator;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Sharding;
using Fabric.Messages.Vim;

namespace Fabric.Control.Gateway;

/// <summary>
/// The door of the fabric for operators (fabric-cmd), on every control node, registered with the cluster client
/// receptionist at <c>/user/operator-gateway</c>. It answers what an operator inspects and steers: membership (show,
/// leave, down, a stream of changes), sharding, devices (show, disable, enable), attachments, pipelines and the
/// dataplane of a node (asked of that node's agent). A VIM's commands (bind, spawn, ...) are not accepted here:
/// they belong to the VIM gateway, and everything else is refused with a typed <see cref="Rejected"/>.
/// </summary>
public sealed class OperatorGateway : ReceiveActor
{
    public const string Name = "operator-gateway";
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a handed-on request may stay unanswered before the requester hears a typed timeout; longer than any client waits.</summary>
    private static readonly TimeSpan HoldLimit = TimeSpan.FromMinutes(2);

    private readonly ControlPlane _control;
    private readonly PageBudget _budget = PageBudget.Of(Context.System);
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly LeasedSubscribers _subscribers = new(Lease);

    public OperatorGateway(ControlPlane control)
    {
        _control = control;

        Receive<GetGatewayInfo>(_ => Sender.Tell(Info()));
        Receive<GetClusterState>(_ => Sender.Tell(State()));
        Receive<LeaveMember>(m => Steer(m.Address, "leave", _cluster.Leave));
        Receive<DownMember>(m => Steer(m.Address, "down", _cluster.Down));
        Receive<SubscribeClusterEvents>(_ =>
        {
            _subscribers.Renew(Sender);
            Sender.Tell(new ClusterEventsSubscribed(Lease));
        });

        // Reads and the maintenance switch are forwarded to the entities, which answer with a view or a Rejected.
        Receive<GetDevice>(m => Relay(_control.Devices, m));
        Receive<SetDeviceEnabled>(m => Relay(_control.Devices, m));
        Receive<SetDeviceTraits>(m => Relay(_control.Devices, m));
        Receive<GetAttachment>(m => Relay(_control.Attachments, m));
        Receive<SetAttachmentServiceLevel>(m => Reply(ServiceLevelChange.Apply(Context.System, _control.Attachments, ComputeNodes(), m, Timeout), "service level"));
        Receive<GetPipeline>(m => Relay(_control.Pipelines, m));

        Receive<ListDevices>(q => Reply(GatewayLists.Devices(_control, q, _budget, Timeout), "devices"));
        Receive<ListAttachments>(q => Reply(GatewayLists.Attachments(_control, q, _budget, Timeout), "attachments"));
        Receive<ListPipelines>(q => Reply(GatewayLists.Pipelines(_control, _control.PipelineIndex!, q, _budget, Timeout), "pipelines"));
        Receive<GetShardingStats>(_ => Reply(ShardingStats(_control), "sharding stats"));
        Receive<GetNodeStatusOf>(NodeStatusOf);
        Receive<GetMetrics>(Metrics);

        Receive<ClusterEvent.IMemberEvent>(e => Publish(MemberEvent(e)));
        Receive<ClusterEvent.UnreachableMember>(e => Publish(Event("Unreachable", e.Member)));
        Receive<ClusterEvent.ReachableMember>(e => Publish(Event("Reachable", e.Member)));
        Receive<ClusterEvent.LeaderChanged>(e => Publish(new ClusterMemberEvent(
            DateTimeOffset.UtcNow, "LeaderChanged", e.Leader?.ToString() ?? "", "", [], null)));
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<GatewayLeaving>(leaving =>
        {
            GatewayShutdown.Leave(Context, leaving, Sender);
            Become(() => Leaving(leaving.Node));
        });

        // Anything else from outside is refused with a reason, never dropped in silence.
        Receive<IFabricMessage>(m => Sender.Tell(new Rejected(RejectReason.InvalidArgument,
            $"{m.GetType().Name} is not accepted by the operator gateway; see its protocol in Fabric.Messages.Operator (VIM requests go to /user/vim-gateway)")));
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

    private GatewayInfo Info() => new(
        ComputeNodes().Keys.Order(StringComparer.Ordinal).ToArray(),
        _cluster.State.Members.Where(m => m.HasRole(ControlPlane.ControlRole)).Select(m => m.Address.ToString()).ToArray());

    /// <summary>Compute nodes that are Up, by node name.</summary>
    private Dictionary<string, Address> ComputeNodes()
    {
        var nodes = new Dictionary<string, Address>(StringComparer.Ordinal);
        foreach (var member in _cluster.State.Members.Where(m => m.Status == MemberStatus.Up))
        {
            if (NodeLossWatcher.NodeNameOf(member) is { } node)
            {
                nodes[node] = member.Address;
            }
        }

        return nodes;
    }

    private ClusterStateView State()
    {
        var state = _cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = state.Members
            .Select(m => new ClusterMemberView(m.Address.ToString(), m.Status.ToString(), m.Roles.Order(StringComparer.Ordinal).ToArray(),
                NodeLossWatcher.NodeNameOf(m), !unreachable.Contains(m.Address)))
            .ToArray();
        return new ClusterStateView(_cluster.SelfAddress.ToString(), members, state.Leader?.ToString(),
            unreachable.Select(a => a.ToString()).Order(StringComparer.Ordinal).ToArray());
    }

    private void Steer(string address, string action, Action<Address> apply)
    {
        Address parsed;
        try
        {
            parsed = Address.Parse(address ?? "");
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException)
        {
            Sender.Tell(new Rejected(RejectReason.InvalidArgument, $"'{address}' is not a member address; use akka.tcp://fabric@host:port as 'cluster show' lists it"));
            return;
        }

        // The scheme (akka.tcp, or akka.ssl.tcp with TLS) is the cluster's, not the operator's to get right: host:port names the member.
        var member = _cluster.State.Members.FirstOrDefault(m => m.Address.System == parsed.System && m.Address.Host == parsed.Host && m.Address.Port == parsed.Port);
        if (member is null)
        {
            var known = string.Join(", ", _cluster.State.Members.Select(m => m.Address.ToString()));
            Sender.Tell(new Rejected(RejectReason.NotFound, $"{parsed} is not a member of the cluster; members: {known}"));
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
            Sender.Tell(new Rejected(RejectReason.NotFound,
                $"no compute node named '{query.Host}' is up in the cluster; compute nodes: {(nodes.Count == 0 ? "none" : string.Join(", ", nodes.Keys.Order()))}"));
            return;
        }

        var agent = Context.ActorSelection(NodeAgentPath.Of(address));
        Portable(agent).PipeTo(Pending(nameof(GetNodeStatusOf)), failure: ex => new Rejected(RejectReason.Timeout,
            $"the node agent of '{query.Host}' did not answer within {Timeout.TotalSeconds:0}s ({ex.GetBaseException().GetType().Name}); is the node overloaded or leaving?"));
    }

    /// <summary>
    /// Asks a node agent for its status and copies its lists into arrays: the agent may hand over list types that
    /// only exist in the node's own assembly (collection expressions), which a client process cannot load.
    /// Runs off the actor's thread.
    /// </summary>
    private static async Task<object> Portable(ActorSelection agent)
    {
        var reply = await agent.Ask<object>(GetNodeStatus.Instance, Timeout);
        return reply is NodeStatus status
            ? new NodeStatus(status.Node, status.Devices.Select(d => d with { Functions = d.Functions.ToArray() }).ToArray(), status.Queues.ToArray(), status.Vms?.ToArray())
            : reply;
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
        Gather(_cluster.SelfAddress.ToString(), asks, query.Node).PipeTo(Pending(nameof(GetMetrics)));
    }

    private static async Task<object> Gather(string gateway, (Address Address, Task<NodeMetrics> Reply)[] asks, string? wanted)
    {
        var nodes = new List<NodeMetrics>();
        var missing = new List<string>();
        foreach (var (address, reply) in asks)
        {
            try
            {
                var metrics = await reply;
                // Copied into arrays: the node may hand over list types a client process cannot load.
                nodes.Add(metrics with
                {
                    Roles = metrics.Roles.ToArray(),
                    Samples = metrics.Samples.Select(s => s with { Tags = s.Tags.ToArray() }).ToArray(),
                });
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                missing.Add($"{address}: no metrics within {Timeout.TotalSeconds:0}s (a node without Fabric's metrics, or overloaded)");
            }
        }

        if (wanted is { Length: > 0 })
        {
            nodes = nodes.Where(n => n.Node == wanted || n.Address == wanted || n.Address.EndsWith("@" + wanted, StringComparison.Ordinal)).ToList();
            if (nodes.Count == 0)
            {
                return new Rejected(RejectReason.NotFound, $"no member named '{wanted}' answered; give a node name or a member's address as 'cluster show' lists it"
                    + (missing.Count > 0 ? $" (not answering: {string.Join("; ", missing)})" : ""));
            }

            missing.Clear();
        }

        return new MetricsReport(gateway, nodes.OrderBy(n => n.Node, StringComparer.Ordinal).ThenBy(n => n.Address, StringComparer.Ordinal).ToArray(), missing.ToArray());
    }

    /// <summary>Sends what <paramref name="work"/> answers to the sender; a collaborator's silence becomes a typed Timeout.</summary>
    private void Reply(Task<object> work, string what) => work.PipeTo(Pending(what), failure: ex => new Rejected(RejectReason.Timeout,
        $"the control plane did not answer for {what} in time ({ex.GetBaseException().GetType().Name}); retry, or check 'cluster show'"));

    /// <summary>Hands <paramref name="request"/> on to <paramref name="target"/>; its answer goes to the sender through a <see cref="PendingRequest"/>.</summary>
    /// <summary>To a shard region: held by a child that also sends it again while it waits (see <see cref="PendingRequest"/>).</summary>
    private void Relay(IActorRef target, object request) =>
        target.Tell(request, Context.ActorOf(PendingRequest.Props(Sender, request.GetType().Name, HoldLimit, (target, request))));

    /// <summary>A child that holds the sender's request until it is answered, refused because this node leaves, or timed out.</summary>
    private IActorRef Pending(string what) => Context.ActorOf(PendingRequest.Props(Sender, what, HoldLimit));

    /// <summary>The node is shutting down: every request is refused, to be retried against another control node.</summary>
    private void Leaving(string node)
    {
        Receive<GatewayLeaving>(_ => Sender.Tell(new GatewayLeft(0)));
        Receive<IFabricMessage>(m => Sender.Tell(GatewayShutdown.Refusal(node, m.GetType().Name)));
        ReceiveAny(_ => { });
    }

    /// <summary>Runs off the actor's thread: it touches only its argument.</summary>
    private static async Task<object> ShardingStats(ControlPlane control)
    {
        var regions = new[]
        {
            (EntityTypes.Device, control.Devices),
            (EntityTypes.Profile, control.Profiles),
            (EntityTypes.Attachment, control.Attachments),
            (EntityTypes.Pipeline, control.Pipelines),
        };
        var types = await Task.WhenAll(regions.Select(r => TypeStats(r.Item1, r.Item2)));
        return new ShardingStatsView(types);
    }

    private static async Task<EntityTypeShards> TypeStats(string typeName, IActorRef region)
    {
        try
        {
            var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(Timeout / 2), Timeout);
            var regions = stats.Regions
                .OrderBy(r => r.Key.ToString(), StringComparer.Ordinal)
                .Select(r => new ShardRegionView(r.Key.ToString(),
                    r.Value.Stats.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new ShardView(s.Key, s.Value)).ToArray(),
                    r.Value.Failed.Order(StringComparer.Ordinal).ToArray()))
                .ToArray();
            return new EntityTypeShards(typeName, regions, null);
        }
        catch (AskTimeoutException)
        {
            return new EntityTypeShards(typeName, [], $"the {typeName} shard coordinator did not answer within {Timeout.TotalSeconds:0}s");
        }
    }

    private static ClusterMemberEvent MemberEvent(ClusterEvent.IMemberEvent e)
    {
        var kind = e.GetType().Name;
        return Event(kind, e.Member);
    }

    private static ClusterMemberEvent Event(string kind, Member member) => new(
        DateTimeOffset.UtcNow, kind, member.Address.ToString(), member.Status.ToString(),
        member.Roles.Order(StringComparer.Ordinal).ToArray(), NodeLossWatcher.NodeNameOf(member));

    private void Publish(ClusterMemberEvent e) => _subscribers.Publish(e);
}
