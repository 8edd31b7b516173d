using Akka.Actor;
using Akka.Event;
using Fabric.Dataplane.Engine;

namespace Fabric.Node.Compute;

/// <summary>
/// Owns the Acceleration Core: the AC worker threads (pinned where the host allows) and every queue on them.
/// Engine calls are asynchronous and piped back, so the actor never blocks on the dataplane.
/// </summary>
public sealed class AccelerationCoreActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly EngineOptions _options;
    private AccelerationEngine _engine = null!;

    public AccelerationCoreActor(EngineOptions options)
    {
        _options = options;
        Receive<AddQueue>(Add);
        Receive<RemoveQueue>(cmd =>
        {
            if (_engine.GetStats(cmd.QueueId) is null)
            {
                Sender.Tell(new QueueRemoved(cmd.QueueId, new QueueRemoval(cmd.QueueId, 0, 0, "no such queue")));
                return;
            }

            _engine.RemoveQueueAsync(cmd.QueueId, cmd.DrainTimeout)
                .PipeTo(Sender, success: r => new QueueRemoved(cmd.QueueId, r),
                    failure: ex => new QueueRemoved(cmd.QueueId, new QueueRemoval(cmd.QueueId, 0, 0, ex.Message)));
        });
        Receive<SwapDriver>(cmd =>
        {
            try
            {
                _engine.SwapDriverAsync(cmd.QueueId, cmd.Driver)
                    .PipeTo(Sender, success: old =>
                    {
                        old.Dispose();
                        var stats = _engine.GetStats(cmd.QueueId);
                        return new DriverSwapped(cmd.QueueId, stats is null ? 0 : stats.DriverFaults + stats.DeadlinesExceeded);
                    }, failure: ex => new Status.Failure(ex));
            }
            catch (KeyNotFoundException ex)
            {
                cmd.Driver.Dispose();
                Sender.Tell(new Status.Failure(ex));
            }
        });
        Receive<GetQueueStats>(_ => Sender.Tell(new QueueStatsReport(_engine.GetAllStats())));
    }

    public static Props Props(EngineOptions options) => Akka.Actor.Props.Create<AccelerationCoreActor>(options);

    protected override void PreStart()
    {
        _engine = new AccelerationEngine(_options);
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
        _engine.Dispose();
    }

    private void Add(AddQueue cmd)
    {
        Dataplane.Channel.ChannelFile? channel = null;
        try
        {
            channel = AccelerationEngine.CreateChannel(cmd.QueueId, cmd.Geometry);
            ChannelPermissions.RestrictToOwner(channel.Path);
            var path = channel.Path;
            var adding = _engine.AddQueue(cmd.QueueId, channel, cmd.Driver);
            var counters = _engine.GetCounters(cmd.QueueId)!;
            adding.PipeTo(Sender, success: () => new QueueAdded(cmd.QueueId, path, cmd.Geometry, _engine.GetStats(cmd.QueueId)?.Worker ?? -1, counters),
                    failure: ex => new QueueNotAdded(cmd.QueueId, ex.Message));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            channel?.DisposeAndDelete();
            cmd.Driver.Dispose();
            _log.Warning("queue {0} not added: {1}", cmd.QueueId, ex.Message);
            Sender.Tell(new QueueNotAdded(cmd.QueueId, ex.Message));
        }
    }
}
