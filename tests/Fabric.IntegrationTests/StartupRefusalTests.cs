using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Fabric.Bench.Chaos;
using Fabric.Control.Configuration;
using Fabric.Control.Store;
using Xunit;
using Xunit.Abstractions;

namespace Fabric.IntegrationTests;

/// <summary>fabric-node processes that must not start say why and exit non-zero, without hanging.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
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

    [Fact]
    public async Task A_store_folder_the_user_may_not_write_is_refused_with_its_exit_code_not_a_stack_trace()
    {
        // Root writes anywhere: the node runs as nobody, in a folder of root's it may enter but not write.
        var folder = SharedFolder("not-writable");

        var (exit, said) = await RunAsNobody(Path.Combine(folder, "fabric.db"));

        Assert.Equal((int)StoreRefusal.Permission, exit);
        Assert.Contains($"SQLite store folder {folder}: user nobody has no read and write access", said);
        Assert.DoesNotContain("   at ", said);
    }

    [Fact]
    public async Task A_store_file_the_user_may_not_read_is_refused_naming_the_file()
    {
        var folder = SharedFolder("owned-by-nobody");
        var database = Path.Combine(folder, "fabric.db");
        // A real store, made by root (owner-only files), in a folder nobody owns.
        SqliteStore.Open(database).Dispose();
        File.Delete(database + ".lock");
        Chown(folder);

        var (exit, said) = await RunAsNobody(database);

        Assert.Equal((int)StoreRefusal.Permission, exit);
        Assert.Contains($"SQLite store {database}: user nobody has no read and write access", said);
    }

    [Fact]
    public async Task A_corrupt_store_ends_fabric_node_with_the_corrupt_exit_code_and_one_line()
    {
        var database = Path.Combine(_folder, "corrupt.db");
        SqliteStore.Open(database).Dispose();
        var bytes = File.ReadAllBytes(database);
        new Random(18).NextBytes(bytes.AsSpan(100));
        File.WriteAllBytes(database, bytes);
        await using var node = new NodeProcess("c1", Loopback.FreePort(), ["control"], [], database, _folder, store: "sqlite");

        var exit = await node.RunToExitAsync(Bound);

        Assert.Equal((int)StoreRefusal.Corrupt, exit);
        Assert.Single(node.LogLines($"fabric-node: SQLite store {database} is damaged"));
    }

    /// <summary>A folder of root's (0755) that nobody may enter but not write, inside the test folder made enterable.</summary>
    private string SharedFolder(string name)
    {
        File.SetUnixFileMode(_folder, (UnixFileMode)0b111_101_101);
        var folder = Path.Combine(_folder, name);
        Directory.CreateDirectory(folder, (UnixFileMode)0b111_101_101);
        return folder;
    }

    private static void Chown(string path)
    {
        using var chown = Process.Start("chown", ["nobody", path]);
        Assert.True(chown.WaitForExit(10_000) && chown.ExitCode == 0, $"chown nobody {path}");
    }

    /// <summary>fabric-node as the user nobody (setpriv), to its exit; its exit code and everything it said.</summary>
    private async Task<(int Exit, string Said)> RunAsNobody(string database)
    {
        var start = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        foreach (var a in new[]
                 {
                     "--reuid=65534", "--regid=65534", "--clear-groups", "--", Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
                     Path.Combine(AppContext.BaseDirectory, "fabric-node.dll"), "--roles", "control", "--port", "0", "--node-name", "nb", "--db", database,
                 })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["HOME"] = _folder;
        start.Environment["FABRIC_LOGLEVEL"] = "WARNING";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(Bound);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fabric-node as nobody did not end within {Bound.TotalSeconds:0} s");
        }

        return (process.ExitCode, await output + await error);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

}
