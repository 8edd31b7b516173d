using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Placement;

namespace Fabric.Control.Nodes;

/// <summary>
/// Runs once in the cluster (a singleton on the control nodes). When a compute node leaves or is downed, its
/// devices become <c>Lost</c> and every attachment they held <c>Failed</c> with reason <c>NodeLost</c>, so the
/// VIM can evacuate its VMs. A node that comes back registers its devices again, which makes them healthy.
/// </summary>
public sealed class NodeLossWatcher : ReceiveActor
{
    /// <summary>Compute nodes carry this role prefix followed by their node name.</summary>
    public const string NodeRolePrefix = "node:";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ControlPlane _control;
    private readonly TimeSpan _timeout = TimeSpan.FromSeconds(10);

    public NodeLossWatcher(ControlPlane control)
    {
        _control = control;
        ReceiveAsync<ClusterEvent.MemberRemoved>(removed => NodeLost(removed.Member, removed.PreviousStatus));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
    }

    public static Props Props(ControlPlane control) => Akka.Actor.Props.Create<NodeLossWatcher>(control);

    public static string? NodeNameOf(Member member) =>
        member.Roles.FirstOrDefault(r => r.StartsWith(NodeRolePrefix, StringComparison.Ordinal))?[NodeRolePrefix.Length..];

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private async Task NodeLost(Member member, MemberStatus previous)
    {
        if (NodeNameOf(member) is not { } node || _control.Placement is null)
        {
            return;
        }

        var how = previous == MemberStatus.Down ? "was downed" : "left the cluster";
        _log.Warning("compute node {0} ({1}) {2}: its devices are lost", node, member.Address, how);
        var snapshot = await _control.Placement.Ask<CapacitySnapshot>(GetCapacity.Instance, _timeout);
        foreach (var device in snapshot.Devices.Where(d => d.Node == node))
        {
            var requestId = $"lost:{device.DeviceId}:{member.UniqueAddress.Uid}";
            var reply = await _control.Devices.Ask<object>(new SetDeviceHealth(device.DeviceId, DeviceHealth.Lost, $"node {node} {how}", requestId), _timeout);
            if (reply is not DeviceView view)
            {
                _log.Error("device {0}: could not be marked lost: {1}", device.DeviceId, reply);
                continue;
            }

            foreach (var attachment in view.Holders.Keys)
            {
                await _control.Attachments.Ask<object>(
                    new FailAttachment(attachment, $"NodeLost: node {node} {how}", $"{requestId}:{attachment}"), _timeout);
            }
        }
    }
}
