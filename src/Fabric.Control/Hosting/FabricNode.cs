using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Fabric.Messages.Cluster;
using Fabric.Messages.Sharding;
using Fabric.Control.Configuration;

namespace Fabric.Control.Hosting;

/// <summary>
/// One running fabric node: its actor system, cluster membership and control plane. Used by fabric-node,
/// fabric-bench and the tests alike, so all of them start Fabric the same way.
/// </summary>
public sealed class FabricNode : IAsyncDisposable
{
    private readonly IDisposable? _store;
    private readonly IHost _host;

    private FabricNode(IHost host, ActorSystem system, ControlPlane control, FabricOptions options, IDisposable? store)
    {
        _host = host;
        System = system;
        Control = control;
        Options = options;
        _store = store;
    }

    public ActorSystem System { get; }

    /// <summary>The node's actors by marker (<see cref="ControlPlaneHosting"/>, the compute role's node agent).</summary>
    public ActorRegistry Registry => ActorRegistry.For(System);

    /// <summary>The node's services: IRequiredActor&lt;TMarker&gt; resolves here.</summary>
    public IServiceProvider Services => _host.Services;

    public ControlPlane Control { get; }

    public FabricOptions Options { get; }

    public Address Address => Cluster.Get(System).SelfAddress;

    /// <summary>
    /// Starts the node, joins the seeds (or itself), waits until it is an Up member and checks it agrees with the
    /// cluster on the store. Whatever stops that (port in use, store unreachable, no seed answering, a node that does
    /// not fit the cluster) is a <see cref="FabricConfigurationException"/> or <see cref="TimeoutException"/> that
    /// says what to fix; <paramref name="report"/> hears about retries (default: standard error).
    /// </summary>
    public static async Task<FabricNode> StartAsync(FabricOptions options, TimeSpan joinTimeout, CancellationToken cancellation = default, Action<string>? report = null)
    {
        report ??= Console.Error.WriteLine;
        IDisposable? store = null;
        if (options.Store == StoreKind.Sqlite && options.HasRole(ControlPlane.ControlRole))
        {
            store = SqliteStore.Open(options.Database, report);
        }
        else if (options.Store == StoreKind.Postgres)
        {
            await PostgresStore.AwaitReachableAsync(options.Database, joinTimeout, report, cancellation);
        }

        IHost? host = null;
        ActorSystem system;
        try
        {
            host = Build(options);
            system = CreateSystem(host, options);
        }
        catch
        {
            host?.Dispose();
            store?.Dispose();
            throw;
        }

        // The store is this node's until its actor system has stopped, however it stops (DisposeAsync releases it
        // too, once the system is down: the termination callbacks may run after WhenTerminated completes).
        system.RegisterOnTermination(() => store?.Dispose());
        try
        {
            // Every member runs the pub-sub mediator, compute-only ones too: the control nodes' mediators gossip
            // to all members, and a member without it cannot even read that gossip (its serializer comes with it).
            DistributedPubSub.Get(system);
            var fingerprint = FingerprintOf(options);
            system.ActorOf(FingerprintActor.Props(fingerprint), FingerprintActor.Name);
            var cluster = Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            if (options.Seeds.Count == 0)
            {
                cluster.Join(cluster.SelfAddress);
            }

            var timeout = Task.Delay(joinTimeout, cancellation);
            var first = await Task.WhenAny(up.Task, timeout, system.WhenTerminated);
            if (first == system.WhenTerminated)
            {
                throw new FabricConfigurationException(
                    $"the node stopped while joining ({CoordinatedShutdown.Get(system).ShutdownReason?.GetType().Name ?? "no reason given"}); the seed nodes may have refused or downed it, see the log above");
            }

            if (first != up.Task)
            {
                throw new TimeoutException(options.Seeds.Count == 0
                    ? $"the node did not come up within {joinTimeout.TotalSeconds:0}s"
                    : $"could not join the cluster through {string.Join(", ", options.Seeds)} within {joinTimeout.TotalSeconds:0}s; is a seed node running at that address"
                      + (options.TlsCertificate is null ? ", and does the cluster speak TLS (then this node needs --tls-cert)?" : ", with a certificate of the same CA?"));
            }

            await CheckFitsCluster(system, fingerprint);
            // Only now the control plane: a node that does not fit the cluster must never host a shard.
            await host.StartAsync(cancellation);
            return new FabricNode(host, system, ControlPlane.From(ActorRegistry.For(system)), options, store);
        }
        catch
        {
            await system.Terminate();
            host.Dispose();
            store?.Dispose();
            throw;
        }
    }

    /// <summary>The store and sharding this node runs with, as the other members must see them too (a compute-only node uses no store).</summary>
    public static NodeFingerprint FingerprintOf(FabricOptions options) =>
        !options.HasRole(ControlPlane.ControlRole) ? new NodeFingerprint(NoStore, "", FabricMessageExtractor.ShardCount)
        : options.Store == StoreKind.Sqlite ? new NodeFingerprint("sqlite", $"{Environment.MachineName}:{Path.GetFullPath(options.Database)}", FabricMessageExtractor.ShardCount)
        : new NodeFingerprint("postgres", PostgresStore.Describe(options.Database), FabricMessageExtractor.ShardCount);

    private const string NoStore = "none";

    /// <summary>
    /// The node's host: hocon/*.conf with the options laid over them (FabricConfig) is the actor system's whole
    /// configuration, its setups (SQLite offload, the cluster CA's validator) beside it; Akka.Hosting adds the cluster
    /// provider and starts the control plane when the host starts.
    /// </summary>
    private static IHost Build(FabricOptions options)
    {
        var config = FabricConfig.Build(options);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        // SIGINT/SIGTERM are fabric-node's to handle (a graceful leave), not the host's.
        builder.Services.AddSingleton<IHostLifetime, SignalFreeLifetime>();
        builder.Services.AddAkka(FabricOptions.SystemName, akka =>
        {
            akka.AddHocon(config, HoconAddMode.Prepend);
            foreach (var setup in FabricConfig.Setups(options, config))
            {
                akka.AddSetup(setup);
            }

            akka.WithClustering().WithControlPlane(options.HasRole(ControlPlane.ControlRole));
        });
        return builder.Build();
    }

    /// <summary>The host's actor system, made before the host starts, so that a refusal to bind is said in one line.</summary>
    private static ActorSystem CreateSystem(IHost host, FabricOptions options)
    {
        try
        {
            return host.Services.GetRequiredService<ActorSystem>();
        }
        catch (Exception ex)
        {
            for (var e = ex; e is not null; e = e.InnerException)
            {
                if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
                {
                    throw new FabricConfigurationException(
                        $"port {options.Port} on {options.Hostname} is in use (another fabric-node?); choose another with --port or FABRIC_PORT", ex);
                }

                if (e is SocketException { SocketErrorCode: SocketError.AddressNotAvailable })
                {
                    throw new FabricConfigurationException($"address {options.Hostname} is not one of this host's; set --hostname or FABRIC_HOSTNAME", ex);
                }
            }

            throw new FabricConfigurationException($"the actor system could not start: {ex.GetBaseException().Message}", ex);
        }
    }

    /// <summary>
    /// Asks the oldest other member what it runs on: a node on another store (or another shard count) would split
    /// the fabric's state in two, so it is refused here, with both sides named.
    /// </summary>
    private static async Task CheckFitsCluster(ActorSystem system, NodeFingerprint mine)
    {
        var cluster = Cluster.Get(system);
        var other = cluster.State.Members
            .Where(m => m.Status == MemberStatus.Up && m.Address != cluster.SelfAddress)
            .Where(m => mine.Store == NoStore || m.HasRole(ControlPlane.ControlRole))
            .OrderBy(m => m, Member.AgeOrdering)
            .FirstOrDefault();
        if (other is null)
        {
            return;
        }

        NodeFingerprint theirs;
        try
        {
            theirs = await system.ActorSelection(new RootActorPath(other.Address) / "user" / FingerprintActor.Name)
                .Ask<NodeFingerprint>(GetFingerprint.Instance, TimeSpan.FromSeconds(10));
        }
        catch (AskTimeoutException)
        {
            system.Log.Warning("{0} did not say what it runs on within 10 s; not checked", other.Address);
            return;
        }

        var fits = theirs.Shards == mine.Shards
            && (mine.Store == NoStore || theirs.Store == NoStore || (theirs.Store == mine.Store && theirs.StoreTarget == mine.StoreTarget));
        if (!fits)
        {
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
            throw new FabricConfigurationException(
                $"this node does not fit the cluster: it runs on {mine.Store} {mine.StoreTarget} with {mine.Shards} shards, "
                + $"{other.Address} on {theirs.Store} {theirs.StoreTarget} with {theirs.Shards} shards; give every node the same --store and --db");
        }
    }

    /// <summary>Leaves the cluster gracefully (shards handed over) and stops the actor system.</summary>
    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        await System.WhenTerminated;
        await _host.StopAsync();
        _host.Dispose();
        _store?.Dispose();
    }

    /// <summary>A host lifetime that takes no signals: the node leaves when fabric-node (or a test) says so.</summary>
    private sealed class SignalFreeLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
