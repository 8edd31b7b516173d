using Fabric.Control.Configuration;
using Fabric.Control.Tests.Support;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Profiles;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Fabric.Control.Tests.Persistence;

public sealed class RecoveryTests
{
    [Fact]
    public async Task Every_entity_comes_back_after_the_actor_system_is_stopped_and_a_new_one_started_on_the_same_file()
    {
        var database = TestNode.NewDatabasePath();
        DeviceView deviceBefore;
        AttachmentView attachedBefore, boundBefore, failedBindBefore;
        ProfileView profileBefore;
        PipelineView pipelineBefore;
        await using (var node = await TestNode.StartAsync(database))
        {
            await node.RegisterDevice("host-r", "sw0", 2, "aes-256-gcm", "sha256");
            profileBefore = await node.CreateProfile("recover-me", new ProfileGroup("aes-256-gcm", 1));
            await node.AwaitPlacementSeesDevices(1);

            await node.Expect<AttachmentView>(node.Control.Attachments, new CreateAttachment("arq-a", "vm-a", "recover-me", "1"));
            await node.Expect<AttachmentView>(node.Control.Attachments, new BindAttachment("arq-a", "host-r", "2"));
            attachedBefore = await node.Expect<AttachmentView>(node.Control.Attachments,
                new MarkAttached("arq-a", new AttachHandle("host-r", "/dev/shm/fabric/arq-a", 1, 128, 128, 32, 4096), "3"));
            pipelineBefore = await node.Expect<PipelineView>(node.Control.Pipelines, new DefinePipeline("arq-a/seal", "arq-a", ["aes-256-gcm"], "4"));

            await node.Expect<AttachmentView>(node.Control.Attachments, new CreateAttachment("arq-b", "vm-b", "recover-me", "5"));
            boundBefore = await node.Expect<AttachmentView>(node.Control.Attachments, new BindAttachment("arq-b", null, "6"));
            await node.Expect<AttachmentView>(node.Control.Attachments, new CreateAttachment("arq-c", "vm-c", "recover-me", "7"));
            failedBindBefore = await node.Expect<AttachmentView>(node.Control.Attachments, new BindAttachment("arq-c", null, "8"));
            deviceBefore = await node.Expect<DeviceView>(node.Control.Devices, new GetDevice("host-r/sw0"));
        }

        Assert.Equal(AttachmentStatus.BindFailed, failedBindBefore.Status);
        await using (var node = await TestNode.StartAsync(database))
        {
            var device = await node.Expect<DeviceView>(node.Control.Devices, new GetDevice("host-r/sw0"));
            Assert.Equal(deviceBefore with { Functions = device.Functions, Holders = device.Holders }, device);
            Assert.Equal(deviceBefore.Functions, device.Functions);
            Assert.Equal(deviceBefore.Holders, device.Holders);
            Assert.Equal(2, device.ReservedQueuePairs);

            var profile = await node.Expect<ProfileView>(node.Control.Profiles, new GetProfile("recover-me"));
            Assert.Equal(profileBefore.Groups, profile.Groups);

            AssertSameView(attachedBefore, await node.Expect<AttachmentView>(node.Control.Attachments, new GetAttachment("arq-a")));
            AssertSameView(boundBefore, await node.Expect<AttachmentView>(node.Control.Attachments, new GetAttachment("arq-b")));
            AssertSameView(failedBindBefore, await node.Expect<AttachmentView>(node.Control.Attachments, new GetAttachment("arq-c")));

            var pipeline = await node.Expect<PipelineView>(node.Control.Pipelines, new GetPipeline("arq-a/seal"));
            Assert.Equal(pipelineBefore.Stages, pipeline.Stages);
            Assert.Equal(pipelineBefore.DeviceId, pipeline.DeviceId);

            // The request log came back too: a retry of a request made before the restart gets its first answer.
            var retried = await node.Expect<AttachmentView>(node.Control.Attachments, new BindAttachment("arq-b", null, "6"));
            Assert.Equal(AttachmentStatus.Bound, retried.Status);

            // And the read model rebuilt its capacity from the journal.
            await node.AwaitPlacementSees(s => s.Devices.Any(d => d.DeviceId == "host-r/sw0" && d.Reserved == 2));
        }

        TestNode.TryDelete(database);
    }

    [Fact]
    public async Task A_device_with_a_long_journal_recovers_from_a_snapshot()
    {
        var database = TestNode.NewDatabasePath();
        const int cycles = 60;
        await using (var node = await TestNode.StartAsync(database))
        {
            await node.RegisterDevice("host-s", "sw0", 4, "sha256");
            for (var i = 0; i < cycles; i++)
            {
                await node.Expect<CapacityReserved>(node.Control.Devices, new ReserveCapacity("host-s/sw0", $"a{i}", ["sha256"], 1, $"r{i}"));
                await node.Expect<CapacityReleased>(node.Control.Devices, new ReleaseCapacity("host-s/sw0", $"a{i}", $"x{i}"));
            }

            await node.Expect<CapacityReserved>(node.Control.Devices, new ReserveCapacity("host-s/sw0", "kept", ["sha256"], 3, "kept"));
        }

        Assert.True(SnapshotRows(database, "device-host-s/sw0") >= 1, "a snapshot was written after 100 events");
        await using (var node = await TestNode.StartAsync(database))
        {
            var device = await node.Expect<DeviceView>(node.Control.Devices, new GetDevice("host-s/sw0"));
            Assert.Equal(3, device.ReservedQueuePairs);
            Assert.Equal(["kept"], device.Holders.Keys);
        }

        TestNode.TryDelete(database);
    }

    [Fact]
    public async Task A_burst_of_requests_at_one_device_is_answered_snapshotted_and_recovered_whole()
    {
        // Pipelined, a device decides the burst while its writes are in flight and snapshots only with nothing in
        // flight; whatever it answered must come back after a restart, from the snapshot and the journal after it.
        var database = TestNode.NewDatabasePath();
        const int holders = 250;
        await using (var node = await TestNode.StartAsync(database))
        {
            await node.RegisterDevice("host-b", "sw0", holders, "sha256");
            var answers = await Task.WhenAll(Enumerable.Range(0, holders).Select(i =>
                node.Ask(node.Control.Devices, new ReserveCapacity("host-b/sw0", $"a{i}", ["sha256"], 1, $"r{i}"))));
            Assert.All(answers, a => Assert.IsType<CapacityReserved>(a));
        }

        Assert.True(SnapshotRows(database, "device-host-b/sw0") >= 1, "a snapshot was written during the burst");

        await using (var node = await TestNode.StartAsync(database))
        {
            var device = await node.Expect<DeviceView>(node.Control.Devices, new GetDevice("host-b/sw0"));
            Assert.Equal(holders, device.ReservedQueuePairs);
            Assert.Equal(holders + 1, device.Revision);
        }

        TestNode.TryDelete(database);
    }

    [Fact]
    public async Task A_second_node_on_the_same_SQLite_store_is_refused_until_the_first_has_stopped()
    {
        var database = TestNode.NewDatabasePath();
        await using (var first = await TestNode.StartAsync(database))
        {
            var refused = await Assert.ThrowsAsync<FabricConfigurationException>(() => TestNode.StartAsync(database));
            Assert.Contains("is in use by another fabric-node", refused.Message);
            Assert.Contains(database, refused.Message);

            // The first node is unharmed.
            await first.Expect<ProfileView>(first.Control.Profiles, new CreateProfile("p", [new ProfileGroup("sha256", 1)], "r1"));
        }

        await using (var second = await TestNode.StartAsync(database))
        {
            Assert.True((await second.Expect<ProfileView>(second.Control.Profiles, new GetProfile("p"))).Exists);
        }

        TestNode.TryDelete(database);
    }

    [Fact]
    public async Task Queries_for_entities_that_never_existed_are_not_found()
    {
        await using var node = await TestNode.StartAsync();
        await node.ExpectRejected(node.Control.Devices, new GetDevice("nowhere/none"), RejectReason.NotFound);
        await node.ExpectRejected(node.Control.Profiles, new GetProfile("none"), RejectReason.NotFound);
        await node.ExpectRejected(node.Control.Attachments, new GetAttachment("none"), RejectReason.NotFound);
        await node.ExpectRejected(node.Control.Pipelines, new GetPipeline("none/none"), RejectReason.NotFound);
        await node.DisposeAndDeleteAsync();
    }

    private static long SnapshotRows(string database, string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={SqliteStore.SnapshotPath(database)}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM snapshot WHERE persistence_id = $id";
        command.Parameters.AddWithValue("$id", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    private static void AssertSameView(AttachmentView expected, AttachmentView actual)
    {
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.DeviceId, actual.DeviceId);
        Assert.Equal(expected.Host, actual.Host);
        Assert.Equal(expected.Handle, actual.Handle);
        Assert.Equal(expected.VmId, actual.VmId);
        Assert.Equal(expected.FailureReason, actual.FailureReason);
        Assert.Equal(expected.Groups, actual.Groups);
        Assert.Equal(expected.DeviceFunctions, actual.DeviceFunctions);
    }
}
