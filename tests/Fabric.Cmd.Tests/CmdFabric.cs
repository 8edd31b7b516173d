using System.Runtime.Versioning;
using Fabric.Control.Hosting;
using Fabric.Security;
using Xunit;

[assembly: SupportedOSPlatform("linux")]
// Each class starts a whole fabric whose AC worker busy-polls: side by side on 2 cores they starved each other (a
// fixture's devices did not register within 60 s in one CI run), as in the Node and Vim tests.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Fabric.Cmd.Tests;

/// <summary>A one-process fabric (control + compute) on a free port for fabric-cmd to inspect, started as tests/Fabric.Vim.Tests does.</summary>
public sealed class CmdFabric : IAsyncLifetime
{
    private OneHostFabric _fabric = null!;

    public FabricNode Node => _fabric.Node;

    public string Contact => _fabric.Contact;

    public string Host => _fabric.Host;

    public string Folder => _fabric.Folder;

    // Secure, as fabric-node is by default: fabric-cmd finds the client certificate in the data folder. With the
    // fault-injecting device, for the failover drill commands.
    public async Task InitializeAsync() =>
        _fabric = await OneHostFabric.StartAsync("cmd", "ops-host", tls: true, registerWithin: TimeSpan.FromSeconds(60),
            extraHocon: "fabric.node.fault-injection-device = on");

    /// <summary>Runs fabric-cmd in this process against the fabric.</summary>
    public Task<CmdResult> Cmd(params string[] args) => CmdResult.Run(["--contact", Contact, "--data", Folder, .. args]);

    /// <summary>The client certificate of the fabric's data folder, for clients made in the test.</summary>
    public ClusterTls ClientTls => LocalTls.LoadClient(Folder);

    public async Task DisposeAsync() => await _fabric.DisposeAsync();
}
