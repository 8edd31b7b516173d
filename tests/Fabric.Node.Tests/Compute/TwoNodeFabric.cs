using Akka.Actor;
using Akka.Configuration;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;
using Fabric.Messages.Errors;
using Fabric.Messages.Placement;
using Fabric.Node.Compute;

namespace Fabric.Node.Tests.Compute;

/// <summary>
/// A control node and a compute node, two actor systems joined on 127.0.0.1, each with its own temp store;
/// the compute node runs a node agent over the software devices and the fault-injecting one.
/// </summary>
public sealed class TwoNodeFabric : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly string _folder;

    private TwoNodeFabric(FabricNode control, FabricNode compute, IActorRef agent, string folder, ComputeSettings settings)
    {
        ControlNode = control;
        ComputeNode = compute;
        Agent = agent;
        _folder = folder;
        Settings = settings;
    }

    public FabricNode ControlNode { get; }

    public FabricNode ComputeNode { get; }

    public IActorRef Agent { get; }

    public ComputeSettings Settings { get; }

    public string Host => ComputeNode.Options.NodeName;

    /// <param name="sysfsRoot">A sysfs fixture for hio (its PCI devices add to the three software ones); none by default.</param>
    public static async Task<TwoNodeFabric> StartAsync(string extraHocon = "", string? sysfsRoot = null, int hardwareDevices = 0)
    {
        extraHocon = "fabric.node.fault-injection-device = on\n" + extraHocon;
        var folder = Path.Combine(Path.GetTempPath(), "fabric-node-tests", Guid.NewGuid().ToString("N"));
        var control = await FabricNode.StartAsync(new FabricOptions
        {
            Roles = ["control"], Port = 0, NodeName = "control-a", Database = Path.Combine(folder, "a", "fabric.db"), LogLevel = "WARNING",
        }, Timeout);
        var (compute, agent, settings) = await StartCompute(control, folder, extraHocon, sysfsRoot);
        var host = compute.Options.NodeName;
        var fabric = new TwoNodeFabric(control, compute, agent, folder, settings);
        await fabric.AwaitPlacement(s => s.Devices.Count(d => d.Node == host) == 3 + hardwareDevices);
        return fabric;
    }

    /// <summary>Another compute host joined to the same control node (the caller disposes it).</summary>
    public async Task<(FabricNode Node, IActorRef Agent)> StartAnotherComputeNode()
    {
        var (node, agent, _) = await StartCompute(ControlNode, _folder, "");
        await AwaitPlacement(s => s.Devices.Count(d => d.Node == node.Options.NodeName) == 2);
        return (node, agent);
    }

    /// <summary>A compute host joined to <paramref name="control"/>, its node agent over the software devices (no real sysfs).</summary>
    private static async Task<(FabricNode Node, IActorRef Agent, ComputeSettings Settings)> StartCompute(FabricNode control, string folder, string extraHocon,
        string? sysfsRoot = null)
    {
        var host = "host-" + Guid.NewGuid().ToString("N")[..6];
        var node = await FabricNode.StartAsync(new FabricOptions
        {
            Roles = ["compute"], Port = 0, NodeName = host, Database = Path.Combine(folder, host, "fabric.db"), LogLevel = "WARNING",
            Seeds = [control.Address.ToString()], ExtraHocon = extraHocon,
        }, Timeout);
        var settings = ComputeSettings.From(node.System.Settings.Config);
        var hio = new Fabric.Node.Hio.HioScanner(sysfsRoot ?? Path.Combine(folder, "no-sysfs")).Discover(settings.SoftwareQueuePairs);
        return (node, ComputeRole.Start(node, ComputeRole.Devices(host, hio, settings), settings), settings);
    }

    public Task AwaitPlacement(Func<CapacitySnapshot, bool> condition) =>
        Eventually.For(() => ControlNode.Control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, Timeout), condition,
            "placement did not reach the expected state", Timeout, TimeSpan.FromMilliseconds(20),
            snapshot => $"it knows {string.Join(", ", snapshot.Devices.Select(d => $"{d.DeviceId}:{d.Health}:{d.Reserved}/{d.Capacity}"))}");

    public async Task<T> Ask<T>(IActorRef actor, object message)
    {
        var reply = await actor.Ask<object>(message, Timeout);
        return reply is T typed ? typed : throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}, got {(reply is Rejected r ? r.ToString() : reply)}");
    }

    public static string NewId() => Guid.NewGuid().ToString("N");

    public async ValueTask DisposeAsync()
    {
        await ComputeNode.DisposeAsync();
        await ControlNode.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
