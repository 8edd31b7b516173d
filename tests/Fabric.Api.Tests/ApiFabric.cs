using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using Fabric.Api.Hosting;
using Fabric.Control.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

[assembly: SupportedOSPlatform("linux")]

// A whole fabric with busy-polling AC workers behind the API: one test class at a time on a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Fabric.Api.Tests;

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFabric>
{
    public const string Name = "fabric-api";
}

/// <summary>
/// A one-process fabric (control + compute, host "api-host" with the software devices) and fabric-api in front of it
/// (in-process test server), connected through the fabric's gateways as a separate client would be. Nova's external
/// events endpoint is a stand-in HTTP server.
/// </summary>
public sealed class ApiFabric : IAsyncLifetime
{
    public const string Host = "api-host";
    public const string CryptoDevice = Host + "/sw-crypto-0";
    public const string CompressionDevice = Host + "/sw-compression-0";

    private OneHostFabric _fabric = null!;
    private WebApplicationFactory<Program> _factory = null!;

    public FabricNode Node => _fabric.Node;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>
    /// fabric-api as it runs, on Kestrel at a free port of 127.0.0.1, for the real OpenStack clients and Kestrel's own edges. Its
    /// public URL names the same listener as <c>localhost</c>: links must say that, whatever Host a request sends.
    /// </summary>
    public string ServerUrl { get; private set; } = "";

    public string PublicUrl { get; private set; } = "";

    private WebApplication? _server;

    /// <summary>The fabric's data folder: its tls/ holds the CA and the client certificate fabric-api connects with.</summary>
    public string DataFolder => _fabric.Folder;

    /// <summary>Nova's external events endpoint: a real HTTP listener, as strict as Nova.</summary>
    public NovaStandIn Nova { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Secure, as fabric-node is by default: TLS with the data folder's own CA; fabric-api finds its client certificate there.
        _fabric = await OneHostFabric.StartAsync("api", Host, tls: true, registerWithin: TimeSpan.FromSeconds(60));
        Nova = await NovaStandIn.StartAsync();
        var contact = $"127.0.0.1:{Node.Address.Port}";
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Fabric:Contacts", contact);
            web.UseSetting("Fabric:Data", DataFolder);
            web.UseSetting("Fabric:NovaEventsUrl", Nova.EventsUrl);
            web.UseSetting("Fabric:NovaEventsToken", "service-token");
            web.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        });
        Http = _factory.CreateClient();
        await Eventually.Until(async () =>
        {
            using var response = await Http.GetAsync("/fabric/v1/status");
            return response.StatusCode == HttpStatusCode.OK
                && JsonNode.Parse(await response.Content.ReadAsStringAsync())!["compute_nodes"]!.AsArray().Any(n => (string?)n == Host);
        }, "fabric-api to connect to the fabric's gateways");
        await StartServer(contact);
    }

    private async Task StartServer(string contact)
    {
        var port = FreePort();
        ServerUrl = $"http://127.0.0.1:{port}";
        PublicUrl = $"http://localhost:{port}";
        _server = FabricApi.Build(["--urls", ServerUrl, "--fabric", contact, "--data", DataFolder, "--public-url", PublicUrl, "--nova-events-url", Nova.EventsUrl,
            "--nova-events-token", "service-token", "--Logging:LogLevel:Default", "Warning"]);
        await _server.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(ServerUrl) };
        await Eventually.Until(async () =>
        {
            using var response = await http.GetAsync("/fabric/v1/status");
            return response.StatusCode == HttpStatusCode.OK;
        }, "fabric-api on Kestrel to connect to the fabric's gateways");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync();
            await _server.DisposeAsync();
        }

        Http.Dispose();
        await _factory.DisposeAsync();
        await _fabric.DisposeAsync();
        await Nova.DisposeAsync();
    }
}
