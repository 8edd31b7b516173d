using Akka.Actor;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Messages.Errors;
using Fabric.Node.Metrics;

namespace Fabric.Node.Compute;

/// <summary>
/// Asks the AC for the queues the VM sagas want, so the node agent never waits on it: makes the queue's driver, has
/// the AC serve (or drain and remove) the queue, and hands the AC's answer to the agent (<see cref="QueueServed"/>,
/// <see cref="QueueRemovedFor"/>) with the saga to answer. It holds no state.
/// </summary>
public sealed class QueueRequestsActor : ReceiveActor
{
    public const string Name = "queues";

    public QueueRequestsActor(IActorRef core, DriverFactory drivers, ComputeSettings settings)
    {
        var agent = Context.Parent;
        // The metrics follow a queue from the AC's answer on, before the agent (and then the saga) hears of it.
        var metrics = DataplaneMetrics.Get(Context.System);
        Receive<ServeQueue>(serve =>
        {
            var (open, saga) = (serve.Open, Sender);
            IGDriver driver;
            try
            {
                driver = drivers.Create(serve.Device, open.Chain, serve.Injected);
            }
            catch (ArgumentException ex)
            {
                agent.Tell(new QueueServed(open, new Rejected(RejectReason.IllegalState, ex.Message), saga));
                return;
            }

            object add = open.VhostSocket is { } socket ? new AddVhostQueue(open.QueueId, driver, socket) : new AddQueue(open.QueueId, driver, ChannelGeometry.Default);
            core.Ask<object>(add, settings.AskTimeout).PipeTo(agent, success: reply =>
                {
                    if (reply is QueueAdded added)
                    {
                        metrics.Track(added.QueueId, open.DeviceId, added.Counters);
                    }

                    return new QueueServed(open, reply, saga);
                },
                failure: _ => new QueueServed(open, new Rejected(RejectReason.Timeout, $"{core.Path.Name} did not answer {add.GetType().Name}"), saga));
        });
        Receive<CloseQueue>(close =>
        {
            var (id, saga) = (close.QueueId, Sender);
            core.Ask<QueueRemoved>(new RemoveQueue(id, settings.DrainTimeout), settings.AskTimeout).PipeTo(agent,
                success: removed =>
                {
                    metrics.Retire(id);
                    return new QueueRemovedFor(id, removed.Removal.CompletedWhileDraining, saga);
                }, failure: _ => new QueueRemovedFor(id, -1, saga));
        });
    }

    public static Props Props(IActorRef core, DriverFactory drivers, ComputeSettings settings) =>
        Akka.Actor.Props.Create(() => new QueueRequestsActor(core, drivers, settings));
}

/// <summary>Serve <paramref name="Open"/>'s queue with a driver of <paramref name="Device"/> (armed with <paramref name="Injected"/>); the sender is the saga.</summary>
public sealed record ServeQueue(OpenQueue Open, DeviceSpec Device, FaultKind Injected);

/// <summary>The AC's answer to serving the queue: a <see cref="QueueAdded"/>, a <see cref="QueueNotAdded"/> or a <see cref="Rejected"/>.</summary>
public sealed record QueueServed(OpenQueue Open, object Reply, IActorRef Saga);

/// <param name="Completed">Ops completed while the queue drained; -1 when the AC did not answer.</param>
public sealed record QueueRemovedFor(string QueueId, long Completed, IActorRef Saga);
