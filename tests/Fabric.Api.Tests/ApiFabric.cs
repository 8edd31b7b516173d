using System.Collections.Concurrent;
using System.Net;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Fabric.Api.Requests;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;
using Fabric.Messages.Placement;
using Fabric.Node.Compute;
using Fabric.Node.Hio;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
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
/// events endpoint is a recorder.
/// </summary>
public sealed class ApiFabric : IAsyncLifetime
{
    public const string Host = "api-host";
    public const string CryptoDevice = Host + "/sw-crypto-0";
    public const string CompressionDevice = Host + "/sw-compression-0";
    public const string NovaEvents = "http://nova.test/v2.1/os-server-external-events";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fabric-api-tests", Guid.NewGuid().ToString("N"));
    private WebApplicationFactory<Program> _factory = null!;

    public FabricNode Node { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public NovaRecorder Nova { get; } = new();

    public async Task InitializeAsync()
    {
        Node = await FabricNode.StartAsync(new FabricOptions
        {
            Port = 0, NodeName = Host, Database = Path.Combine(_folder, "fabric.db"), LogLevel = "WARNING",
        }, TimeSpan.FromSeconds(30));
        var settings = ComputeSettings.From(Node.System.Settings.Config);
        var hio = new HioScanner(Path.Combine(_folder, "no-sysfs")).Discover(settings.SoftwareQueuePairs);
        ComputeRole.Start(Node, ComputeRole.Devices(Host, hio, settings), settings);
        await Wait.Until(async () => (await Node.Control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, TimeSpan.FromSeconds(5))).Devices.Count >= 2,
            "the node agent's devices to register");

        var contact = $"127.0.0.1:{Node.Address.Port}";
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Fabric:Contacts", contact);
            web.UseSetting("Fabric:NovaEventsUrl", NovaEvents);
            web.UseSetting("Fabric:NovaEventsToken", "service-token");
            web.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            web.ConfigureTestServices(services =>
                services.AddHttpClient(BindNotifier.ClientName).ConfigurePrimaryHttpMessageHandler(() => Nova));
        });
        Http = _factory.CreateClient();
        await Wait.Until(async () =>
        {
            using var response = await Http.GetAsync("/fabric/v1/status");
            return response.StatusCode == HttpStatusCode.OK
                && JsonNode.Parse(await response.Content.ReadAsStringAsync())!["compute_nodes"]!.AsArray().Any(n => (string?)n == Host);
        }, "fabric-api to connect to the fabric's gateways");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _factory.DisposeAsync();
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

/// <summary>Nova's os-server-external-events, recorded.</summary>
public sealed class NovaRecorder : HttpMessageHandler
{
    public ConcurrentQueue<(string Url, string? Token, JsonNode Body)> Posts { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!;
        Posts.Enqueue((request.RequestUri!.ToString(), request.Headers.TryGetValues("X-Auth-Token", out var t) ? t.Single() : null, body));
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
    }

    /// <summary>The events told about one accelerator request.</summary>
    public IReadOnlyList<JsonNode> EventsFor(string arq) =>
        Posts.SelectMany(p => p.Body["events"]!.AsArray()).Where(e => (string?)e!["tag"] == arq).Select(e => e!).ToArray();
}

public static class Wait
{
    /// <summary>Polls until the condition holds, failing with what was awaited after the deadline.</summary>
    public static async Task Until(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {seconds}s for {what}");
            }

            await Task.Delay(25);
        }
    }
}
