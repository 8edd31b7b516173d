using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Fabric.Messages.Placement;

namespace Fabric.Control.Nodes;

/// <summary>
/// Runs once in the cluster (a singleton on the control nodes). When a compute node leaves or is downed, its
/// devices become <c>Lost</c> and every attachment they held <c>Failed</c> with reason <c>NodeLost</c>, so the
/// VIM can evacuate its VMs. A node that comes back registers its devices again, which makes them healthy.
/// <para>
/// The work is retried until it is done: right after a node is lost its devices' shards may be moving too (a
/// control+compute node), so the first asks can time out. And since a singleton that moves to another node has
/// missed the removals before it started, it also reconciles: any device of a node that is not a member of the
/// cluster is lost, whatever it missed.
/// </para>
/// </summary>
public sealed class NodeLossWatcher : ReceiveActor, IWithTimers
{
    /// <summary>Compute nodes carry this role prefix followed by their node name.</summary>
    public const string NodeRolePrefix = "node:";

    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ControlPlane _control;
    private readonly TimeSpan _timeout = TimeSpan.FromSeconds(10);
    private readonly Cluster _cluster = Cluster.Get(Context.System);

    /// <summary>Nodes whose loss is not yet carried out, with how they were lost and the request id prefix.</summary>
    private NodeLosses _losses = NodeLosses.Empty;

    public NodeLossWatcher(ControlPlane control)
    {
        _control = control;
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            if (NodeNameOf(removed.Member) is { } node && !IsMember(node))
            {
                var lost = LostNode.Removed(node, removed);
                _log.Warning("compute node {0} ({1}) {2}: its devices are lost", node, removed.Member.Address, lost.How);
                _losses = _losses.Lost(lost);
                Self.Tell(Work.Instance);
            }
        });
        Receive<ClusterEvent.MemberUp>(up =>
        {
            // Back before its loss was carried out: it registers its devices again, nothing to mark.
            if (NodeNameOf(up.Member) is { } node && _losses.IsPending(node))
            {
                _losses = _losses.Settled(node);
                _log.Info("compute node {0} is back; its devices register again", node);
            }
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        ReceiveAsync<Work>(_ => CarryOut());
        ReceiveAsync<Reconcile>(_ => FindMissed());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ControlPlane control) => Akka.Actor.Props.Create<NodeLossWatcher>(control);

    public static string? NodeNameOf(Member member) =>
        member.Roles.FirstOrDefault(r => r.StartsWith(NodeRolePrefix, StringComparison.Ordinal))?[NodeRolePrefix.Length..];

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved), typeof(ClusterEvent.MemberUp));
        if (ReconcileEvery(Context.System.Settings.Config) is { } every)
        {
            Timers.StartPeriodicTimer(Reconcile.Instance, Reconcile.Instance, every, every);
        }
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    /// <summary><c>fabric.control.node-loss.reconcile-every</c> (hocon/fabric.conf): 15 s by default; <c>off</c>: never (tests that register devices of made-up hosts).</summary>
    public static TimeSpan? ReconcileEvery(Akka.Configuration.Config config)
    {
        const string path = "fabric.control.node-loss.reconcile-every";
        if (!config.HasPath(path))
        {
            return TimeSpan.FromSeconds(15);
        }

        return config.GetString(path) is "off" or "false" ? null : config.GetTimeSpan(path);
    }

    private bool IsMember(string node) =>
        _cluster.State.Members.Any(m => m.Status is MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Up && NodeNameOf(m) == node);

    /// <summary>Devices not lost whose node is not a member (a removal this singleton did not see).</summary>
    private async Task FindMissed()
    {
        if (_control.Placement is null || !_cluster.State.Members.Any(m => m.Status == MemberStatus.Up && m.Address == _cluster.SelfAddress))
        {
            return;
        }

        CapacitySnapshot snapshot;
        try
        {
            snapshot = await _control.Placement.Ask<CapacitySnapshot>(GetCapacity.Instance, _timeout);
        }
        catch (AskTimeoutException)
        {
            return;
        }

        foreach (var node in _losses.Missed(snapshot, IsMember))
        {
            _log.Warning("compute node {0} is not a member of the cluster but its devices are not lost: marking them lost", node);
            _losses = _losses.Lost(LostNode.Absent(node, DateTime.UtcNow));
            Self.Tell(Work.Instance);
        }
    }

    private async Task CarryOut()
    {
        if (_control.Placement is null)
        {
            return;
        }

        foreach (var lost in _losses.Pending.Values.ToArray())
        {
            try
            {
                await NodeLossWork.MarkLost(_control, lost, IsMember, _timeout);
                _losses = _losses.Settled(lost.Node);
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException or InvalidOperationException)
            {
                _log.Warning("compute node {0}: its loss is not carried out yet ({1}); retrying in {2}", lost.Node, ex.Message, RetryAfter);
                Timers.StartSingleTimer(Work.Instance, Work.Instance, RetryAfter);
            }
        }
    }

    private sealed record Work
    {
        public static Work Instance { get; } = new();
    }

    private sealed record Reconcile
    {
        public static Reconcile Instance { get; } = new();
    }
}
