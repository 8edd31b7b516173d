using System.Net;
using System.Net.Sockets;
using Fabric.Bench.Chaos;
using Xunit;
using Xunit.Abstractions;

namespace Fabric.IntegrationTests;

/// <summary>fabric-node processes that must not start say why and exit non-zero, without hanging.</summary>
public sealed class StartupRefusalTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly string _folder = Directory.CreateTempSubdirectory("fabric-refusal-").FullName;

    [Fact]
    public async Task A_control_node_on_another_store_than_the_cluster_is_refused_naming_both()
    {
        var seedPort = Loopback.FreePort();
        var seed = $"akka.tcp://fabric@127.0.0.1:{seedPort}";
        await using var first = new NodeProcess("s1", seedPort, ["control"], [seed], Path.Combine(_folder, "s1.db"), _folder, store: "sqlite");
        await first.StartAsync(Bound);

        // Same cluster, another SQLite file: its entities would live in a journal the others never read.
        await using var stray = new NodeProcess("s2", Loopback.FreePort(), ["control"], [seed], Path.Combine(_folder, "s2.db"), _folder, store: "sqlite");
        var exit = await stray.RunToExitAsync(Bound);
        var said = stray.Tail(30);
        output.WriteLine(said);

        Assert.Equal(1, exit);
        Assert.Contains("this node does not fit the cluster", said);
        Assert.Contains(Path.Combine(_folder, "s2.db"), said);
        Assert.Contains(Path.Combine(_folder, "s1.db"), said);
        Assert.True(first.IsRunning, "the cluster's node must keep running");
    }

    [Fact]
    public async Task A_node_whose_port_is_taken_says_so()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        await using var node = new NodeProcess("p1", port, ["control"], [], Path.Combine(_folder, "p1.db"), _folder, store: "sqlite");

        var exit = await node.RunToExitAsync(Bound);

        Assert.Equal(1, exit);
        Assert.Contains($"port {port} on 127.0.0.1 is in use", node.Tail(40));
    }

    [Fact]
    public async Task A_second_fabric_node_on_the_port_of_a_running_one_is_refused()
    {
        // A real node holds the port, not a plain listener: Akka's transport set SO_REUSEADDR, which .NET on Linux
        // turns into SO_REUSEPORT too, so a second node bound the same port and clients reached either at random.
        var port = Loopback.FreePort();
        await using var first = new NodeProcess("r1", port, ["control"], [], Path.Combine(_folder, "r1.db"), _folder, store: "sqlite");
        await first.StartAsync(Bound);
        await using var second = new NodeProcess("r2", port, ["control"], [], Path.Combine(_folder, "r2.db"), _folder, store: "sqlite");

        var exit = await second.RunToExitAsync(Bound);
        var said = second.Tail(40);
        output.WriteLine(said);

        Assert.Equal(1, exit);
        Assert.Contains($"port {port} on 127.0.0.1 is in use", said);
        Assert.True(first.IsRunning, "the node that holds the port must keep running");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

}
