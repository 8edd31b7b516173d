using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Fabric.Control;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;

namespace Fabric.Node.Tests.Security;

/// <summary>
/// An in-process fabric member on 127.0.0.1 (free port), its actor system made from <see cref="FabricConfig.Setup"/> as
/// a node speaking TLS must be, with its warnings and errors recorded; a control node also runs the control plane
/// (shards, VIM and operator gateways). Disposing leaves and stops it.
/// </summary>
public sealed class TlsTestNode : IAsyncDisposable
{
    public static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(20);

    private readonly string _folder;
    private readonly FabricNode? _node;

    private TlsTestNode(ActorSystem system, LogRecorder log, string folder, FabricNode? node = null)
    {
        System = system;
        Log = log;
        _folder = folder;
        _node = node;
    }

    public ActorSystem System { get; }

    public LogRecorder Log { get; }

    public Address Address => Cluster.Get(System).SelfAddress;

    public string Contact => $"{Address.Host}:{Address.Port}";

    /// <summary>Starts a member; with <paramref name="seed"/> it joins that node, else itself. Does not wait for membership.</summary>
    public static TlsTestNode Start(string? certificate, string? password, TlsTestNode? seed = null, string role = "control", string? seedAddress = null)
    {
        var (options, log, folder) = Prepare(certificate, password, seed, role, seedAddress);
        var store = SqliteStore.Open(options.Database);
        var system = ActorSystem.Create(FabricOptions.SystemName, FabricConfig.Setup(options));
        system.RegisterOnTermination(store.Dispose);
        var node = new TlsTestNode(system, log, folder);
        try
        {
            DistributedPubSub.Get(system);
            if (options.Seeds.Count == 0)
            {
                Cluster.Get(system).Join(Cluster.Get(system).SelfAddress);
            }
        }
        catch (InvalidOperationException) when (system.WhenTerminated.IsCompleted || CoordinatedShutdown.Get(system).ShutdownReason is not null)
        {
            // Refused at once (Akka stops a system whose TLS handshake fails): what the test is looking at, not an error here.
        }

        return node;
    }

    /// <summary>Starts a member and waits until it is Up; a control member then runs the control plane.</summary>
    public static async Task<TlsTestNode> StartUp(string? certificate, string? password, TlsTestNode? seed = null, string role = "control")
    {
        // The way fabric-node starts: joined, Up, fits the cluster, then the control plane (Akka.Hosting).
        var (options, log, folder) = Prepare(certificate, password, seed, role, null);
        try
        {
            var node = await FabricNode.StartAsync(options, JoinTimeout, report: _ => { });
            return new TlsTestNode(node.System, log, folder, node);
        }
        catch (TimeoutException ex)
        {
            log.Release();
            throw new TimeoutException($"{ex.Message}; logged:\n{log}", ex);
        }
    }

    private static (FabricOptions Options, LogRecorder Log, string Folder) Prepare(string? certificate, string? password, TlsTestNode? seed, string role, string? seedAddress)
    {
        var folder = Path.Combine(Path.GetTempPath(), "fabric-tls-tests", "node-" + Guid.NewGuid().ToString("N"));
        var log = LogRecorder.Create();
        var options = new FabricOptions
        {
            Roles = [role], Port = 0, NodeName = "tls-" + Guid.NewGuid().ToString("N")[..6], Database = Path.Combine(folder, "fabric.db"),
            LogLevel = "WARNING", TlsCertificate = certificate, TlsPassword = password,
            Seeds = seedAddress is not null ? [seedAddress] : seed is not null ? [seed.Address.ToString()] : [],
            ExtraHocon = log.Hocon,
        };
        return (options, log, folder);
    }

    /// <summary>True once this member is Up, false if it is not by <paramref name="within"/> (or its system stopped).</summary>
    public async Task<bool> BecomesUp(TimeSpan within)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Cluster.Get(System).RegisterOnMemberUp(() => up.TrySetResult());
        var first = await Task.WhenAny(up.Task, Task.Delay(within), System.WhenTerminated);
        return first == up.Task;
    }

    /// <summary>The members this node sees Up.</summary>
    public IReadOnlyList<Address> UpMembers() =>
        Cluster.Get(System).State.Members.Where(m => m.Status == MemberStatus.Up).Select(m => m.Address).ToArray();

    public async ValueTask DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
        else if (!System.WhenTerminated.IsCompleted)
        {
            await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        }

        await System.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(30));
        Log.Release();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
