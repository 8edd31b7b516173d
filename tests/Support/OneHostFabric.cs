using Akka.Actor;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;
using Fabric.Messages.Placement;
using Fabric.Node.Compute;
using Fabric.Node.Hio;
using Fabric.Security;

namespace Fabric.Testing;

/// <summary>
/// The test-node starter the client suites share (Api, Cmd, Vim): a one-process fabric (control + compute) on 127.0.0.1
/// at a free port, started as fabric-node starts it (<see cref="FabricNode"/> on Akka.Hosting), serving this host's
/// software devices (no sysfs), ready once they are registered. Disposing leaves the cluster and deletes the data folder.
/// </summary>
internal sealed class OneHostFabric : IAsyncDisposable
{
    private OneHostFabric(FabricNode node, string folder)
    {
        Node = node;
        Folder = folder;
    }

    public FabricNode Node { get; }

    /// <summary>The data folder: the store and, with TLS, tls/ with the CA and the client certificate.</summary>
    public string Folder { get; }

    public string Host => Node.Options.NodeName;

    public string Contact => $"127.0.0.1:{Node.Address.Port}";

    /// <param name="suite">names the temporary folder (fabric-SUITE-tests).</param>
    /// <param name="tls">secure, as fabric-node is by default: TLS with the data folder's own CA.</param>
    /// <param name="extraHocon">settings over the defaults (e.g. <c>fabric.node.fault-injection-device = on</c>).</param>
    public static async Task<OneHostFabric> StartAsync(string suite, string host, bool tls, TimeSpan registerWithin, string? extraHocon = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"fabric-{suite}-tests", Guid.NewGuid().ToString("N"));
        var node = await FabricNode.StartAsync(new FabricOptions
        {
            Port = 0, NodeName = host, Database = Path.Combine(folder, "fabric.db"), LogLevel = "WARNING",
            TlsCertificate = tls ? LocalTls.EnsureNode(folder, out _).Path : null, ExtraHocon = extraHocon ?? "",
        }, TimeSpan.FromSeconds(30));
        var fabric = new OneHostFabric(node, folder);
        try
        {
            var settings = ComputeSettings.From(node.System.Settings.Config);
            var hio = new HioScanner(Path.Combine(folder, "no-sysfs")).Discover(settings.SoftwareQueuePairs);
            ComputeRole.Start(node, ComputeRole.Devices(host, hio, settings), settings);
            await Eventually.Until(async () =>
            {
                try
                {
                    return (await node.Control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, TimeSpan.FromSeconds(5))).Devices.Count >= 2;
                }
                catch (AskTimeoutException)
                {
                    // A busy machine starts slowly: a silent read model is not there yet, not broken.
                    return false;
                }
            }, "the node agent's devices to register", registerWithin);
            return fabric;
        }
        catch
        {
            await fabric.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
