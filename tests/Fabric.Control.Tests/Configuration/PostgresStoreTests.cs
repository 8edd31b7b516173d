using System.Net;
using System.Net.Sockets;
using Fabric.Control.Configuration;
using Xunit;

namespace Fabric.Control.Tests.Configuration;

/// <summary>A node on PostgreSQL checks its store before it starts: clear errors, not a hang or a stack trace.</summary>
public sealed class PostgresStoreTests
{
    [Fact]
    public async Task An_unreachable_server_is_retried_then_named_in_the_error()
    {
        // A port nobody listens on: take a free one and let it go.
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var reports = new List<string>();
        var error = await Assert.ThrowsAsync<FabricConfigurationException>(() => PostgresStore.AwaitReachableAsync(
            $"Host=127.0.0.1;Port={port};Database=fabric;Username=fabric;Password=secret;Timeout=2", TimeSpan.FromSeconds(3), reports.Add, CancellationToken.None));

        Assert.Contains($"127.0.0.1:{port}/fabric as fabric is unreachable", error.Message);
        Assert.Contains("gave up after 3 s", error.Message);
        Assert.DoesNotContain("secret", error.Message);
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.Contains("retrying in", r));
    }

    [Fact]
    public async Task A_malformed_connection_string_is_refused_at_once()
    {
        var error = await Assert.ThrowsAsync<FabricConfigurationException>(() =>
            PostgresStore.AwaitReachableAsync("Hostx=127.0.0.1", TimeSpan.FromSeconds(30), _ => { }, CancellationToken.None));
        Assert.Contains("not a PostgreSQL connection string", error.Message);
    }

    [Fact]
    public void The_description_of_a_store_keeps_its_password_out()
    {
        Assert.Equal("db.example:6543/fabric as ops", PostgresStore.Describe("Host=db.example;Port=6543;Database=fabric;Username=ops;Password=hunter2"));
    }
}
