using System.Runtime.Versioning;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;
using Fabric.Messages.Placement;
using Fabric.Node.Compute;
using Fabric.Node.Hio;
using Akka.Actor;
using Xunit;

[assembly: SupportedOSPlatform("linux")]

// Whole fabrics with busy-polling AC workers: one test class at a time on a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Fabric.Vim.Tests;

/// <summary>A one-process fabric (control + compute) on a free port, for clients to connect to.</summary>
public sealed class FabricFixture : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fabric-vim-tests", Guid.NewGuid().ToString("N"));

    public FabricNode Node { get; private set; } = null!;

    public string Contact => $"127.0.0.1:{Node.Address.Port}";

    public string Host => Node.Options.NodeName;

    public async Task InitializeAsync()
    {
        Node = await FabricNode.StartAsync(new FabricOptions
        {
            Port = 0, NodeName = "vim-host", Database = Path.Combine(_folder, "fabric.db"), LogLevel = "WARNING",
        }, TimeSpan.FromSeconds(30));
        var settings = ComputeSettings.From(Node.System.Settings.Config);
        var hio = new HioScanner(Path.Combine(_folder, "no-sysfs")).Discover(settings.SoftwareQueuePairs);
        ComputeRole.Start(Node, ComputeRole.Devices(Host, hio, settings), settings);
        await Eventually.Until(async () => (await Node.Control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, TimeSpan.FromSeconds(5))).Devices.Count >= 2,
            "the node agent's devices did not register", TimeSpan.FromSeconds(20));
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
