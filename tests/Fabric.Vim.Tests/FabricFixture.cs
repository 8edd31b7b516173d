using System.Runtime.Versioning;
using Fabric.Control.Hosting;
using Xunit;

[assembly: SupportedOSPlatform("linux")]

// Whole fabrics with busy-polling AC workers: one test class at a time on a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Fabric.Vim.Tests;

/// <summary>A one-process fabric (control + compute) on a free port, for clients to connect to.</summary>
public sealed class FabricFixture : IAsyncLifetime
{
    private OneHostFabric _fabric = null!;

    public FabricNode Node => _fabric.Node;

    public string Contact => _fabric.Contact;

    public string Host => _fabric.Host;

    public async Task InitializeAsync() =>
        _fabric = await OneHostFabric.StartAsync("vim", "vim-host", tls: false, registerWithin: TimeSpan.FromSeconds(20));

    public async Task DisposeAsync() => await _fabric.DisposeAsync();
}
