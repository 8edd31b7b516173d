using Akka.Actor;
using Akka.Event;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Handoff;

namespace Fabric.Node.Compute;

/// <summary>
/// Owns the Acceleration Core: the AC worker threads (pinned where the host allows) and every queue on them.
/// Engine calls are asynchronous and piped back, so the actor never blocks on the dataplane. It also hands the
/// channels to the guests: by default each is a sealed memfd served on a socket of its own (<see cref="ChannelServer"/>).
/// </summary>
public sealed partial class AccelerationCoreActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly EngineOptions _options;
    private readonly ChannelPlacement _placement;
    private readonly Dictionary<string, ChannelServer> _servers = new(StringComparer.Ordinal);
    private AccelerationEngine _engine = null!;

    public AccelerationCoreActor(EngineOptions options, ChannelPlacement placement)
    {
        _options = options;
        _placement = placement;
        Receive<AddQueue>(Add);
        Receive<AddVhostQueue>(AddVhost);
        ReceiveDriverChanges();
        Receive<RemoveQueue>(cmd =>
        {
            // No new guest gets the channel from now on; guests that mapped it keep it while it drains.
            if (_servers.Remove(cmd.QueueId, out var server))
            {
                server.Dispose();
            }

            if (_engine.GetStats(cmd.QueueId) is null)
            {
                Sender.Tell(new QueueRemoved(cmd.QueueId, new QueueRemoval(cmd.QueueId, 0, 0, "no such queue")));
                return;
            }

            _engine.RemoveQueueAsync(cmd.QueueId, cmd.DrainTimeout)
                .PipeTo(Sender, success: r => new QueueRemoved(cmd.QueueId, r),
                    failure: ex => new QueueRemoved(cmd.QueueId, new QueueRemoval(cmd.QueueId, 0, 0, ex.Message)));
        });
        Receive<Added>(added => added.ReplyTo.Tell(added.Reply is QueueAdded a ? a with { Worker = _engine.GetStats(a.QueueId)?.Worker ?? -1 } : added.Reply));
        Receive<GetQueueStats>(_ => Sender.Tell(new QueueStatsReport(_engine.GetAllStats())));
        Receive<Fabric.Messages.Node.SetQueueServiceLevel>(cmd =>
        {
            // Told, not asked, by the node agent: the outcome is logged; a level the AC cannot apply never reaches the worker.
            try
            {
                var log = _log;
                _engine.SetServiceLevel(cmd.QueueId, Scheduling.ServiceLevelMapping.ToEngine(cmd.Level)).ContinueWith(t =>
                {
                    if (t.IsFaulted)
                    {
                        log.Warning("attachment {0}: service level not applied: {1}", cmd.QueueId, t.Exception!.GetBaseException().Message);
                    }
                }, TaskScheduler.Default);
            }
            catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException or ObjectDisposedException)
            {
                _log.Warning("attachment {0}: service level not applied: {1}", cmd.QueueId, ex.Message);
            }
        });
        Receive<QueueFaulted>(faulted =>
        {
            _log.Warning("attachment {0}: channel faulted, the AC no longer serves it: {1}", faulted.QueueId, faulted.Reason);
            Context.Parent.Tell(faulted);
        });
    }

    public static Props Props(EngineOptions options, ChannelPlacement placement) => Akka.Actor.Props.Create<AccelerationCoreActor>(options, placement);

    protected override void PreStart()
    {
        // Reported from the worker thread: a Tell, nothing more, and only once per queue.
        var self = Self;
        // Driver faults go straight to the node agent, which decides (a reset, a failover): one hop, no polling.
        var agent = Context.Parent;
        _engine = new AccelerationEngine(_options with
        {
            QueueFaulted = (id, reason) => self.Tell(new QueueFaulted(id, reason)),
            DriverFaulted = signal =>
            {
                agent.Tell(signal);
                if (signal.Failover is { } failover)
                {
                    // The worker already switched to the standby; the failed driver is disposed here, not on its thread.
                    self.Tell(new RetireDriver(failover.Replaced));
                }
            },
        });
        _engine.Started.ContinueWith(_ =>
        {
            foreach (var worker in _engine.Workers)
            {
                _log.Info("AC worker {0}", worker);
            }
        });
    }

    protected override void PostStop()
    {
        // Queues are drained by their owners before the node stops; what is left is stopped with the workers.
        foreach (var server in _servers.Values)
        {
            server.Dispose();
        }

        _servers.Clear();
        _engine.Dispose();
    }

    private void Add(AddQueue cmd)
    {
        ChannelFile? channel = null;
        ChannelServer? server = null;
        try
        {
            var (queueId, log) = (cmd.QueueId, _log);
            (var handlePath, channel, server) = _placement.Open(queueId, cmd.Geometry, problem => log.Warning("attachment {0}: {1}", queueId, problem));
            var adding = _engine.AddQueue(cmd.QueueId, channel, cmd.Driver);
            if (server is not null)
            {
                _servers[cmd.QueueId] = server;
            }

            var counters = _engine.GetCounters(cmd.QueueId)!;
            var replyTo = Sender;
            adding.PipeTo(Self, success: () => new Added(new QueueAdded(cmd.QueueId, handlePath, cmd.Geometry, -1, counters), replyTo),
                failure: ex => new Added(new QueueNotAdded(cmd.QueueId, ex.Message), replyTo));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            server?.Dispose();
            channel?.DisposeAndDelete();
            cmd.Driver.Dispose();
            _log.Warning("queue {0} not added: {1}", cmd.QueueId, ex.Message);
            Sender.Tell(new QueueNotAdded(cmd.QueueId, ex.Message));
        }
    }

    /// <param name="Reply">A <see cref="QueueAdded"/> (its worker filled in here) or a <see cref="QueueNotAdded"/>.</param>
    private sealed record Added(object Reply, IActorRef ReplyTo);
}
