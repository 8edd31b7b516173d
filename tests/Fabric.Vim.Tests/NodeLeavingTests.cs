using Akka.Actor;
using Akka.Cluster;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;
using Fabric.Messages.Profiles;
using Fabric.Vim.Client;
using Xunit;

namespace Fabric.Vim.Tests;

/// <summary>
/// Two control nodes on one PostgreSQL journal (test.sh starts a throwaway server and names it in
/// FABRIC_TEST_POSTGRES; without one the test is reported as skipped), VIM clients busy, and one node shuts down
/// as SIGTERM makes it: every request is answered, none is met with silence.
/// </summary>
public sealed class NodeLeavingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static string? ConnectionString => Environment.GetEnvironmentVariable("FABRIC_TEST_POSTGRES");

    [SkippableFact]
    public async Task Requests_in_flight_when_a_control_node_shuts_down_are_all_answered()
    {
        Skip.If(ConnectionString is null, "FABRIC_TEST_POSTGRES is not set (run ./test.sh to get a throwaway PostgreSQL)");
        var run = Guid.NewGuid().ToString("N")[..8];
        await using var staying = await Start($"stay-{run}", []);
        // The client talks through the node that stays: connected while that node is the only receptionist, it keeps
        // it (a cluster client picks the first receptionist that answers among all it is told of, so a client
        // connected after both are up may talk through the leaving one, and a request in flight when that node exits
        // is answered only by the client's retry; README, "What happens when a node goes").
        await using var vim = await Connect($"127.0.0.1:{staying.Address.Port}");
        var leaving = await Start($"leave-{run}", [staying.Address.ToString()]);
        try
        {
            await Eventually.Until(() => Cluster.Get(staying.System).State.Members.Count(m => m.Status == MemberStatus.Up) == 2, "the second node did not come up", TimeSpan.FromSeconds(60));
            // Its requests reach both gateways. One attempt each: a request met with silence fails the test instead
            // of being retried.
            using var stop = new CancellationTokenSource();
            var done = 0;
            var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var name = $"leaving-{run}-{w}-{i}";
                    await vim.CreateProfile(name, [new ProfileGroup("crc32c", 1)]);
                    await vim.GetProfile(name);
                    Interlocked.Increment(ref done);
                }
            })).ToArray();
            await Eventually.Until(() => Volatile.Read(ref done) >= 40, "the load did not start", TimeSpan.FromSeconds(60));

            var before = Volatile.Read(ref done);
            await CoordinatedShutdown.Get(leaving.System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance).WaitAsync(TimeSpan.FromSeconds(60));
            await Eventually.Until(() => Volatile.Read(ref done) >= before + 40 || workers.Any(w => w.IsFaulted), "the load did not go on on the node that stays", TimeSpan.FromSeconds(60));
            await stop.CancelAsync();

            await Task.WhenAll(workers).WaitAsync(Timeout * 2);
        }
        finally
        {
            await leaving.DisposeAsync();
        }
    }

    private static Task<FabricNode> Start(string name, IReadOnlyList<string> seeds) => FabricNode.StartAsync(new FabricOptions
    {
        Roles = ["control"], Port = 0, NodeName = name, Store = StoreKind.Postgres, Database = ConnectionString!, Seeds = seeds, LogLevel = "WARNING",
    }, TimeSpan.FromSeconds(30));

    /// <summary>A client of one attempt a request; connecting may take a few, while the new member's gossip settles.</summary>
    private static async Task<FabricVimClient> Connect(string contact)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await FabricVimClient.ConnectAsync(contact, Timeout, attempts: 1);
            }
            catch (FabricUnreachableException) when (attempt < 4)
            {
            }
        }
    }
}
