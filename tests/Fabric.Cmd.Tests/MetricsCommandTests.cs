using System.Security.Cryptography;
using System.Text.Json;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Guest;
using Fabric.Messages.Node;
using Fabric.Messages.Profiles;
using Fabric.Messages.Vim;
using Fabric.Vim.Client;
using Xunit;

namespace Fabric.Cmd.Tests;

/// <summary>
/// <c>fabric-cmd metrics</c> against a one-process fabric of its own: the numbers are the work done here (one bind,
/// the guest's operations and bytes), read by the node from its meters and gathered by the operator gateway.
/// </summary>
public sealed class MetricsCommandTests(CmdFabric fabric) : IClassFixture<CmdFabric>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Metrics_show_the_bind_the_attachment_and_the_guests_operations_and_bytes_in_json_and_tables()
    {
        await using var vim = await FabricVimClient.ConnectAsync(fabric.Contact, Timeout, fabric.ClientTls);
        await vim.CreateProfile("metrics-seal", [new ProfileGroup("aes-256-gcm", 1)]);
        await vim.CreateAttachment("arq-metrics", "vm-metrics", "metrics-seal");
        var realized = await vim.SpawnVm("vm-metrics", fabric.Host, [new VmAccelerator("arq-metrics", null)]);
        try
        {
            var attachment = Assert.Single(realized.Attachments);
            const int Seals = 10;
            var sentIn = 32L;
            using (var guest = GuestChannel.Open(attachment.Handle!.ChannelPath))
            {
                var session = guest.OpenSession(RandomNumberGenerator.GetBytes(32), 0, Timeout);
                for (var i = 0; i < Seals; i++)
                {
                    var d = new SubmissionDescriptor
                    {
                        Tag = (ulong)i, Op = OpCode.Forward, Session = session, InSlot = 1, InLength = 4096, OutSlot = 2, OutCapacity = (uint)guest.SlotSize,
                    };
                    Assert.Equal(OpStatus.Ok, guest.SubmitAndWait(d, Timeout).Status);
                    sentIn += 4096;
                }
            }

            // Attachments by status come from the journal's read side: they catch up within moments.
            var result = await Eventually.For(() => fabric.Cmd("metrics", "--json"),
                r => r.ExitCode == 0 && Metric(r.Json, "fabric.attachments", ("status", "Attached")) is 1.0, "the attachment was not counted as Attached");

            var node = result.Json.GetProperty("nodes").EnumerateArray().Single();
            Assert.Equal(fabric.Host, node.GetProperty("node").GetString());
            Assert.Equal(fabric.Node.Address.ToString(), node.GetProperty("address").GetString());
            Assert.Equal(0, result.Json.GetProperty("missing").GetArrayLength());
            Assert.Equal(1.0, Metric(result.Json, "fabric.binds.started", ("kind", "bind")));
            Assert.Equal(1.0, Metric(result.Json, "fabric.binds.succeeded", ("kind", "bind")));
            var duration = Sample(result.Json, "fabric.bind.duration", ("result", "succeeded"))!.Value;
            Assert.Equal("Histogram", duration.GetProperty("kind").GetString());
            Assert.Equal(1, duration.GetProperty("histogram").GetProperty("count").GetInt64());
            Assert.Equal("ms", duration.GetProperty("unit").GetString());

            (string Key, string Value)[] queue = [("device", attachment.DeviceId!), ("queue", "0")];
            Assert.Equal(Seals + 1.0, Metric(result.Json, "fabric.dataplane.ops", queue));
            Assert.Equal(sentIn, Metric(result.Json, "fabric.dataplane.io", [.. queue, ("direction", "in")]));
            Assert.Equal(sentIn - 32 + 16 * Seals, Metric(result.Json, "fabric.dataplane.io", [.. queue, ("direction", "out")]));
            Assert.Equal(1.0, Metric(result.Json, "fabric.cluster.members", ("role", "control"), ("status", "Up")));

            // The same queue in dataplane stats, which now carries the byte counters too.
            var stats = await fabric.Cmd("dataplane", "stats", "--node", fabric.Host, "--interval", "0.2", "--json");
            Assert.True(stats.ExitCode == 0, stats.ToString());
            var row = stats.Json.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("queue_id").GetString() == "arq-metrics");
            Assert.Equal(sentIn, row.GetProperty("bytes_in").GetInt64());
            Assert.Equal(0, row.GetProperty("bytes_per_second").GetDouble());

            var table = await fabric.Cmd("metrics", "--name", "fabric.binds", "--node", fabric.Host);
            Assert.True(table.ExitCode == 0, table.ToString());
            Assert.Contains("fabric.binds.started", table.Stdout);
            Assert.Contains("kind=bind", table.Stdout);
            Assert.DoesNotContain("fabric.dataplane", table.Stdout);

            // Not a terminal: --watch prints one JSON line per reading, and from the second on the counters have rates.
            var watched = await fabric.Cmd("metrics", "--name", "fabric.dataplane.ops", "--watch", "--count", "2", "--interval", "0.2", "--json");
            Assert.True(watched.ExitCode == 0, watched.ToString());
            var lines = watched.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
            Assert.Equal(2, lines.Length);
            Assert.Equal(JsonValueKind.Null, Sample(lines[0], "fabric.dataplane.ops", queue)!.Value.GetProperty("rate_per_second").ValueKind);
            Assert.Equal(0, Sample(lines[1], "fabric.dataplane.ops", queue)!.Value.GetProperty("rate_per_second").GetDouble());
        }
        finally
        {
            await vim.DeleteVm("vm-metrics", fabric.Host);
        }
    }

    [Fact]
    public async Task Metrics_of_a_member_that_is_not_there_are_refused_with_what_to_name_instead()
    {
        var unknown = await fabric.Cmd("metrics", "--node", "no-such-host");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no-such-host", unknown.Stderr);
        Assert.Contains("cluster show", unknown.Stderr);

        Assert.Equal(2, (await fabric.Cmd("metrics", "--watch", "--interval", "0")).ExitCode);
    }

    private static JsonElement? Sample(JsonElement report, string name, params (string Key, string Value)[] tags) => report.GetProperty("nodes")
        .EnumerateArray().SelectMany(n => n.GetProperty("metrics").EnumerateArray())
        .Where(m => m.GetProperty("name").GetString() == name
            && tags.All(t => m.GetProperty("tags").TryGetProperty(t.Key, out var v) && v.GetString() == t.Value))
        .Select(m => (JsonElement?)m)
        .SingleOrDefault();

    private static double? Metric(JsonElement report, string name, params (string Key, string Value)[] tags) =>
        Sample(report, name, tags)?.GetProperty("value").GetDouble();
}
