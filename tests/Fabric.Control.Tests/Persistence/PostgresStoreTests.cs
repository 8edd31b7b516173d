using Fabric.Control.Configuration;
using Fabric.Control.Tests.Support;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Persistence;

/// <summary>
/// The PostgreSQL store of a multi-node cluster (hocon/persistence-postgres.conf). test.sh starts a throwaway
/// server and names it in FABRIC_TEST_POSTGRES; without one these tests are reported as skipped.
/// </summary>
public sealed class PostgresStoreTests
{
    private static string? ConnectionString => Environment.GetEnvironmentVariable("FABRIC_TEST_POSTGRES");

    [SkippableFact]
    public async Task The_schema_is_created_and_entities_bound_concurrently_recover_on_a_new_actor_system()
    {
        Skip.If(ConnectionString is null, "FABRIC_TEST_POSTGRES is not set (run ./test.sh to get a throwaway PostgreSQL)");
        var run = TestNode.NewId()[..8];
        var host = $"pg-{run}";
        AttachmentView[] results;
        await using (var node = await TestNode.StartAsync(ConnectionString, StoreKind.Postgres))
        {
            await node.RegisterDevice(host, "sw0", 5, "aes-256-gcm");
            await node.RegisterDevice(host, "sw1", 5, "aes-256-gcm");
            await node.CreateProfile($"pg-{run}", new ProfileGroup("aes-256-gcm", 1));
            await node.AwaitPlacementSees(s => s.Devices.Count(d => d.Node == host) == 2);

            results = await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
            {
                var id = $"arq-{run}-{i}";
                await node.Expect<AttachmentView>(node.Control.Attachments, new CreateAttachment(id, $"vm-{i}", $"pg-{run}", TestNode.NewId()));
                return await node.Expect<AttachmentView>(node.Control.Attachments, new BindAttachment(id, host, TestNode.NewId()));
            }));
        }

        Assert.Equal(10, results.Count(r => r.Status == AttachmentStatus.Bound));
        Assert.Equal(20, results.Count(r => r.Status == AttachmentStatus.BindFailed));
        await using (var node = await TestNode.StartAsync(ConnectionString, StoreKind.Postgres))
        {
            var devices = await Task.WhenAll(
                node.Expect<DeviceView>(node.Control.Devices, new GetDevice($"{host}/sw0")),
                node.Expect<DeviceView>(node.Control.Devices, new GetDevice($"{host}/sw1")));
            Assert.Equal(10, devices.Sum(d => d.ReservedQueuePairs));
            foreach (var before in results)
            {
                var after = await node.Expect<AttachmentView>(node.Control.Attachments, new GetAttachment(before.AttachmentId));
                Assert.Equal(before.Status, after.Status);
                Assert.Equal(before.DeviceId, after.DeviceId);
            }
        }
    }
}
