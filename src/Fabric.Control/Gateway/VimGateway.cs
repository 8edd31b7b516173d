using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Fabric.Control.Nodes;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Profiles;
using Fabric.Messages.Vim;

namespace Fabric.Control.Gateway;

/// <summary>
/// The door of the fabric for VIMs and operators, on every control node, registered with the cluster client
/// receptionist at <c>/user/vim-gateway</c>. Entity commands a VIM may send are forwarded to their entities (which
/// validate them and answer with a view or a typed <see cref="Rejected"/>); lists are answered from the indexes;
/// VM life-cycle requests go to the node agent of the host (<see cref="VimNodeRequests"/>); <see cref="FabricEvent"/>s
/// are passed to subscribers. Hand-offs are <see cref="GatewayRequests"/>, known hosts a <see cref="ComputeNodeMap"/>.
/// </summary>
public sealed class VimGateway : ReceiveActor
{
    public const string Name = "vim-gateway";
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly ControlPlane _control;
    private readonly PageBudget _budget = PageBudget.Of(Context.System);
    private readonly LeasedSubscribers _subscribers = new(Lease);
    private ComputeNodeMap _computeNodes = ComputeNodeMap.Empty;

    /// <summary>The last events, sent again to a subscriber that renews saying when it last heard (every gateway gets every event).</summary>
    private readonly RecentEvents _recent = new(1024);

    public VimGateway(ControlPlane control)
    {
        _control = control;

        // Entity commands a VIM may send; the rest belong to node agents (MarkAttached, Reserve, ...).
        Relay<CreateProfile>(_control.Profiles);
        Relay<DeleteProfile>(_control.Profiles);
        Relay<GetProfile>(_control.Profiles);
        Relay<CreateAttachment>(_control.Attachments);
        Relay<BindAttachment>(_control.Attachments);
        Relay<RebindAttachment>(_control.Attachments);
        Relay<GetAttachment>(_control.Attachments);
        Relay<DeleteAttachment>(_control.Attachments);
        Relay<FailAttachment>(_control.Attachments);
        Relay<RequestBind>(_control.Attachments);
        Relay<MarkBindReported>(_control.Attachments);
        Receive<SetAttachmentServiceLevel>(m => Reply(ServiceLevelChange.Apply(Context.System, _control.Attachments, ComputeNodes(), m, Timeout), "service level"));
        Relay<GetDevice>(_control.Devices);
        Relay<SetDeviceEnabled>(_control.Devices);
        Relay<SetDeviceTraits>(_control.Devices);
        Receive<ProgramDevice>(cmd => VimNodeRequests.Program(Context.System, _control.Devices, ComputeNodes(), cmd, Timeout).PipeTo(
            GatewayRequests.Pending(Context, nameof(ProgramDevice)), failure: ex => new Rejected(RejectReason.Timeout,
            $"device {cmd.DeviceId}: its node agent or the device did not answer in time ({ex.GetBaseException().GetType().Name}); retry with the same request id")));
        Relay<DefinePipeline>(_control.Pipelines);
        Relay<GetPipeline>(_control.Pipelines);
        Relay<DeletePipeline>(_control.Pipelines);

        Receive<ListProfiles>(q => Reply(GatewayLists.Profiles(_control, q, _budget, Timeout), "profiles"));
        Receive<ListAttachments>(q => Reply(GatewayLists.Attachments(_control, q, _budget, Timeout), "attachments"));
        Receive<ListDevices>(q => Reply(GatewayLists.Devices(_control, q, _budget, Timeout), "devices"));

        Receive<VmSpawnRequested>(r => ToNode(r.Host, new SpawnVm(r.VmId, r.Accelerators, r.RequestId, r.Machine)));
        Receive<VmDeleteRequested>(r => ToNode(r.Host, new StopVm(r.VmId, DeleteAttachments: true, r.RequestId)));
        Receive<VmMoveRequested>(Move);
        Receive<GetNodeStatus>(_ => Sender.Tell(new Rejected(RejectReason.InvalidArgument, "ask a node: send GetNodeStatus inside a request for a host")));
        Receive<GetGatewayInfo>(_ => Sender.Tell(ClusterViews.Info(_computeNodes.Nodes.Keys, Cluster.Get(Context.System).State.Members)));

        Receive<SubscribeEvents>(subscribe =>
        {
            _subscribers.Renew(Sender);
            Sender.Tell(new EventsSubscribed(Lease));
            foreach (var missed in subscribe.Since is { } since ? _recent.Since(since) : [])
            {
                Sender.Tell(missed);
            }
        });
        Receive<FabricEvent>(Publish);
        Receive<SubscribeAck>(_ => { });

        Receive<ClusterEvent.MemberUp>(up => _computeNodes = _computeNodes.Up(up.Member));
        Receive<ClusterEvent.MemberRemoved>(removed => _computeNodes = _computeNodes.Removed(removed.Member));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        Receive<GatewayLeaving>(leaving =>
        {
            GatewayShutdown.Leave(Context, leaving, Sender);
            Become(() => Leaving(leaving.Node));
        });

        // Anything else from outside is refused with a reason, never dropped in silence.
        Receive<IFabricMessage>(m => Sender.Tell(GatewayRequests.NotAccepted(m,
            "is not accepted from a VIM or operator; see the gateway's protocol in Fabric.Messages.Vim")));
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

    /// <summary>A copy for work off the actor's thread.</summary>
    private Dictionary<string, Address> ComputeNodes() => new(_computeNodes.Nodes, StringComparer.Ordinal);

    private void Relay<T>(IActorRef entities) => Receive<T>(m => GatewayRequests.Relay(Context, entities, m!));

    private void ToNode(string host, object command)
    {
        if (!_computeNodes.TryGet(host, out var address))
        {
            Sender.Tell(_computeNodes.UnknownHost(host));
            return;
        }

        Context.ActorSelection(NodeAgentPath.Of(address)).Tell(command, GatewayRequests.Pending(Context, command.GetType().Name));
    }

    private void Move(VmMoveRequested r)
    {
        if (!_computeNodes.TryGet(r.ToHost, out var to))
        {
            Sender.Tell(_computeNodes.UnknownHost(r.ToHost));
            return;
        }

        var from = _computeNodes.TryGet(r.FromHost, out var a) ? a : null;
        VimNodeRequests.Move(Context.System, r, from, to, Timeout).PipeTo(GatewayRequests.Pending(Context, nameof(VmMoveRequested)), failure: ex => new Rejected(RejectReason.Timeout,
            $"moving VM {r.VmId}: a node agent did not answer in time ({ex.GetBaseException().GetType().Name}); retry with the same request id"));
    }

    private void Reply(Task<object> work, string what) => GatewayRequests.Reply(Context, work, what, "retry");

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
