using System.Runtime.Versioning;
using Akka.Actor;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;
using Fabric.Security;
using Fabric.Messages.Placement;
using Fabric.Node.Compute;
using Fabric.Node.Hio;
using Xunit;

[assembly: SupportedOSPlatform("linux")]
// Each class starts a whole fabric whose AC worker busy-polls: side by side on 2 cores they starved each other (a
// fixture's devices did not register within 60 s in one CI run), as in the Node and Vim tests.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Fabric.Cmd.Tests;

/// <summary>A one-process fabric (control + compute) on a free port for fabric-cmd to inspect, started as tests/Fabric.Vim.Tests does.</summary>
public sealed class CmdFabric : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fabric-cmd-tests", Guid.NewGuid().ToString("N"));

    public FabricNode Node { get; private set; } = null!;

    public string Contact => $"127.0.0.1:{Node.Address.Port}";

    public string Host => Node.Options.NodeName;

    public string Folder => _folder;

    public async Task InitializeAsync()
    {
        Node = await FabricNode.StartAsync(new FabricOptions
        {
            Port = 0, NodeName = "ops-host", Database = Path.Combine(_folder, "fabric.db"), LogLevel = "WARNING",
            // Secure, as fabric-node is by default: fabric-cmd finds the client certificate in the data folder.
            TlsCertificate = LocalTls.EnsureNode(_folder, out _).Path,
        }, TimeSpan.FromSeconds(30));
        var settings = ComputeSettings.From(Node.System.Settings.Config);
        var hio = new HioScanner(Path.Combine(_folder, "no-sysfs")).Discover(settings.SoftwareQueuePairs);
        ComputeRole.Start(Node, ComputeRole.Devices(Host, hio, settings), settings);
        await Eventually.Until(async () =>
        {
            try
            {
                return (await Node.Control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, TimeSpan.FromSeconds(5))).Devices.Count >= 2;
            }
            catch (AskTimeoutException)
            {
                // A busy machine starts slowly: a silent read model is not there yet, not broken.
                return false;
            }
        }, "the node agent's devices did not register", TimeSpan.FromSeconds(60));
    }

    /// <summary>Runs fabric-cmd in this process against the fabric.</summary>
    public Task<CmdResult> Cmd(params string[] args) => CmdResult.Run(["--contact", Contact, "--data", _folder, .. args]);

    /// <summary>The client certificate of the fabric's data folder, for clients made in the test.</summary>
    public ClusterTls ClientTls => LocalTls.LoadClient(_folder);

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
