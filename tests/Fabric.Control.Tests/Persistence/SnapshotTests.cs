using Fabric.Control.Configuration;
using Fabric.Control.Entities;
using Fabric.Control.Pipelines;
using Fabric.Control.Tests.Support;
using Fabric.Messages.Attachments;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Profiles;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Fabric.Control.Tests.Persistence;

/// <summary>Snapshots of an entity that changes behaviour (<c>Become</c>) while it works.</summary>
public sealed class SnapshotTests
{
    [Fact]
    public async Task A_pipeline_that_looked_up_its_attachment_still_deletes_its_older_snapshots()
    {
        await using var node = await TestNode.StartAsync();
        await node.RegisterDevice("test-host", "sw0", 2, "aes-256-gcm");
        await node.CreateProfile("snap", new ProfileGroup("aes-256-gcm", 1));
        await node.AwaitPlacementSeesDevices(1);
        await node.Expect<AttachmentView>(node.Control.Attachments, new CreateAttachment("arq-s", "vm-s", "snap", "c"));
        await node.Expect<AttachmentView>(node.Control.Attachments, new BindAttachment("arq-s", "test-host", "b"));

        // Each definition looks the attachment up first (the entity waits in another behaviour meanwhile); a define
        // and a delete are two events, so 2.1 x SnapshotEvery cycles' worth of events take two snapshots.
        var cycles = FabricEntity<PipelineState>.SnapshotEvery + 5;
        for (var i = 0; i < cycles; i++)
        {
            await node.Expect<PipelineView>(node.Control.Pipelines, new DefinePipeline("arq-s/p", "arq-s", ["aes-256-gcm"], $"d{i}"));
            var deleted = await node.Expect<PipelineView>(node.Control.Pipelines, new DeletePipeline("arq-s/p", $"x{i}"));
            Assert.False(deleted.Exists);
        }

        // The second snapshot's success deletes the first: one snapshot stays, the newer.
        var second = 2 * FabricEntity<PipelineState>.SnapshotEvery;
        var kept = await Eventually.For(() => Task.FromResult(Snapshots(node.Database, "pipeline-arq-s/p")),
            found => found is [var only] && only >= second, "the older snapshot was not deleted", TimeSpan.FromSeconds(20));

        Assert.Single(kept);
        Assert.True(kept[0] >= second, $"kept the snapshot at {kept[0]}");
    }

    private static long[] Snapshots(string database, string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={SqliteStore.SnapshotPath(database)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence_number FROM snapshot WHERE persistence_id = $id ORDER BY sequence_number";
        command.Parameters.AddWithValue("$id", persistenceId);
        using var reader = command.ExecuteReader();
        var found = new List<long>();
        while (reader.Read())
        {
            found.Add(reader.GetInt64(0));
        }

        return found.ToArray();
    }
}
