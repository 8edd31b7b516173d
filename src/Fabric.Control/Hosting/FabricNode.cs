using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Fabric.Control.Configuration;

namespace Fabric.Control.Hosting;

/// <summary>
/// One running fabric node: its actor system, cluster membership and control plane. Used by fabric-node,
/// fabric-bench and the tests alike, so all of them start Fabric the same way.
/// </summary>
public sealed class FabricNode : IAsyncDisposable
{
    private FabricNode(ActorSystem system, ControlPlane control, FabricOptions options)
    {
        System = system;
        Control = control;
        Options = options;
    }

    public ActorSystem System { get; }

    public ControlPlane Control { get; }

    public FabricOptions Options { get; }

    public Address Address => Cluster.Get(System).SelfAddress;

    /// <summary>Starts the node, joins the seeds (or itself) and waits until it is an Up member.</summary>
    public static async Task<FabricNode> StartAsync(FabricOptions options, TimeSpan joinTimeout, CancellationToken cancellation = default)
    {
        if (options.Store == StoreKind.Sqlite)
        {
            SqliteStore.Prepare(options.Database);
        }

        var system = ActorSystem.Create(FabricOptions.SystemName, FabricConfig.Build(options));
        try
        {
            // Every member runs the pub-sub mediator, compute-only ones too: the control nodes' mediators gossip
            // to all members, and a member without it cannot even read that gossip (its serializer comes with it).
            DistributedPubSub.Get(system);
            var cluster = Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            if (options.Seeds.Count == 0)
            {
                cluster.Join(cluster.SelfAddress);
            }

            var timeout = Task.Delay(joinTimeout, cancellation);
            if (await Task.WhenAny(up.Task, timeout) != up.Task)
            {
                throw new TimeoutException(options.Seeds.Count == 0
                    ? $"the node did not come up within {joinTimeout.TotalSeconds:0}s"
                    : $"could not join the cluster through {string.Join(", ", options.Seeds)} within {joinTimeout.TotalSeconds:0}s; is a seed node running?");
            }

            return new FabricNode(system, ControlPlane.Start(system), options);
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    /// <summary>Leaves the cluster gracefully (shards handed over) and stops the actor system.</summary>
    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        await System.WhenTerminated;
    }
}
