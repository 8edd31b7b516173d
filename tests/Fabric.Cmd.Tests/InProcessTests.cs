using System.CommandLine;
using System.Text.Json;
using Fabric.Cmd.Cli;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Profiles;
using Fabric.Messages.Vim;
using Fabric.Vim.Client;
using Xunit;

namespace Fabric.Cmd.Tests;

/// <summary>fabric-cmd's commands run in this process against a one-process fabric: output, --json and exit codes.</summary>
public sealed class InProcessTests(CmdFabric fabric) : IClassFixture<CmdFabric>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Ids unique to this run: channel files live in /dev/shm, which other test runs share.</summary>
    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private Task<FabricVimClient> Vim() => FabricVimClient.ConnectAsync(fabric.Contact, Timeout, fabric.ClientTls);

    [Fact]
    public async Task Cluster_show_lists_the_member_with_its_node_name_roles_and_the_leader()
    {
        var table = await fabric.Cmd("cluster", "show");
        var json = await fabric.Cmd("cluster", "show", "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains(fabric.Node.Address.ToString(), table.Stdout);
        Assert.Contains("ops-host", table.Stdout);
        Assert.Contains("compute, control", table.Stdout);
        Assert.True(json.ExitCode == 0, json.ToString());
        var self = json.Json.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("address").GetString() == fabric.Node.Address.ToString());
        Assert.Equal("Up", self.GetProperty("status").GetString());
        Assert.Equal("ops-host", self.GetProperty("node_name").GetString());
        Assert.True(self.GetProperty("reachable").GetBoolean());
        Assert.Equal(fabric.Node.Address.ToString(), json.Json.GetProperty("leader").GetString());
    }

    [Fact]
    public async Task Devices_are_listed_and_a_device_is_disabled_for_maintenance_and_enabled_again()
    {
        var device = $"{fabric.Host}/sw-compression-0";
        var list = await fabric.Cmd("devices", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(list.Json.EnumerateArray(), d => d.GetProperty("device_id").GetString() == device);
        var table = await fabric.Cmd("devices", "list", "--node", fabric.Host);
        Assert.Contains(device, table.Stdout);

        try
        {
            var disabled = await fabric.Cmd("devices", "disable", device, "--reason", "firmware update", "--json");
            Assert.True(disabled.ExitCode == 0, disabled.ToString());
            Assert.False(disabled.Json.GetProperty("enabled").GetBoolean());
            var shown = await fabric.Cmd("devices", "show", device);
            Assert.Contains("no (maintenance)", shown.Stdout);
        }
        finally
        {
            var enabled = await fabric.Cmd("devices", "enable", device, "--json");
            Assert.True(enabled.ExitCode == 0, enabled.ToString());
            Assert.True(enabled.Json.GetProperty("enabled").GetBoolean());
        }
    }

    [Fact]
    public async Task A_failover_drill_makes_the_fault_injecting_device_fail_until_it_is_repaired()
    {
        var device = $"{fabric.Host}/fault-injecting-crypto-0";
        try
        {
            var thrown = await fabric.Cmd("devices", "fault", device, "throw", "--json");
            Assert.True(thrown.ExitCode == 0, thrown.ToString());
            Assert.Equal(device, thrown.Json.GetProperty("device_id").GetString());
            Assert.Equal("running, fault 'Throw' injected", thrown.Json.GetProperty("supervision").GetString());
            var switched = await fabric.Cmd("devices", "fault", device, "corrupt");
            Assert.True(switched.ExitCode == 0, switched.ToString());
            Assert.Contains($"{device}: running, fault 'Corrupt' injected", switched.Stdout);
        }
        finally
        {
            var repaired = await fabric.Cmd("devices", "repair", device);
            Assert.True(repaired.ExitCode == 0, repaired.ToString());
            Assert.Contains($"{device}: running", repaired.Stdout);
        }

        // Only a fault-injecting device takes a drill; an unknown host, a bad kind and an id without a node are refused.
        var plain = await fabric.Cmd("devices", "fault", $"{fabric.Host}/sw-crypto-0", "hang", "--json");
        Assert.Equal(1, plain.ExitCode);
        Assert.Equal("InvalidArgument", plain.Json.GetProperty("error").GetString());
        Assert.Contains("has no fault injection", plain.Json.GetProperty("message").GetString());
        var noHost = await fabric.Cmd("devices", "fault", "no-such-host/sw-crypto-0", "throw");
        Assert.Equal(1, noHost.ExitCode);
        Assert.Contains("compute nodes: ops-host", noHost.Stderr);
        var noNode = await fabric.Cmd("devices", "repair", "sw-crypto-0");
        Assert.Equal(1, noNode.ExitCode);
        Assert.Contains("is not node/device", noNode.Stderr);
        Assert.Equal(2, (await fabric.Cmd("devices", "fault", device, "explode")).ExitCode);
    }

    [Fact]
    public async Task Attachments_and_their_pipelines_are_listed_and_shown()
    {
        await using var vim = await Vim();
        var profile = Unique("ops-chain");
        var arq = Unique("arq-ops");
        await vim.CreateProfile(profile, [new ProfileGroup("aes-256-gcm", 1), new ProfileGroup("sha256", 1)]);
        await vim.CreateAttachment(arq, Unique("vm-ops"), profile);
        await vim.Bind(arq, fabric.Host);
        try
        {
            await vim.DefinePipeline(arq, "seal", ["aes-256-gcm", "sha256"]);

            // Lists come from read models that follow the journal: they catch up within moments.
            var listed = await Eventually.For(() => fabric.Cmd("attachments", "list", "--json"),
                r => r.ExitCode == 0 && r.Json.EnumerateArray().Any(a => a.GetProperty("attachment_id").GetString() == arq), "the attachment was not listed");
            Assert.Equal("Bound", listed.Json.EnumerateArray().Single(a => a.GetProperty("attachment_id").GetString() == arq).GetProperty("status").GetString());
            var shown = await fabric.Cmd("attachments", "show", arq);
            Assert.True(shown.ExitCode == 0, shown.ToString());
            Assert.Contains(arq, shown.Stdout);

            var pipelines = await Eventually.For(() => fabric.Cmd("pipelines", "list", "--attachment", arq, "--json"),
                r => r.ExitCode == 0 && r.Json.GetArrayLength() == 1, "the pipeline was not listed");
            Assert.Equal($"{arq}/seal", pipelines.Json[0].GetProperty("pipeline_id").GetString());
            var pipeline = await fabric.Cmd("pipelines", "show", $"{arq}/seal");
            Assert.True(pipeline.ExitCode == 0, pipeline.ToString());
            Assert.Contains("aes-256-gcm -> sha256", pipeline.Stdout);
        }
        finally
        {
            await vim.DeleteAttachment(arq);
        }
    }

    [Fact]
    public async Task Dataplane_stats_show_the_queue_of_a_VM_spawned_through_the_gateway()
    {
        await using var vim = await Vim();
        var profile = Unique("ops-seal");
        var arq = Unique("arq-dp");
        var vm = Unique("vm-dp");
        await vim.CreateProfile(profile, [new ProfileGroup("aes-256-gcm", 1)]);
        await vim.CreateAttachment(arq, vm, profile);
        await vim.SpawnVm(vm, fabric.Host, [new VmAccelerator(arq, null)]);
        try
        {
            var once = await fabric.Cmd("dataplane", "stats", "--node", fabric.Host, "--interval", "0.2", "--json");
            Assert.True(once.ExitCode == 0, once.ToString());
            var queue = once.Json.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("queue_id").GetString() == arq);
            Assert.Equal(vm, queue.GetProperty("vm_id").GetString());
            Assert.Equal(fabric.Host, queue.GetProperty("node").GetString());
            Assert.Equal(0, queue.GetProperty("ops_per_second").GetDouble());
            Assert.Equal("Active", queue.GetProperty("state").GetString());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, queue.GetProperty("fault_reason").ValueKind);
            // Best effort (the profile says nothing): weight 1, bulk, no caps, plain round-robin.
            var service = queue.GetProperty("service");
            Assert.Equal(1, service.GetProperty("weight").GetInt32());
            Assert.Equal("bulk", service.GetProperty("class").GetString());
            Assert.Equal(0, service.GetProperty("peak_ops_per_second").GetInt64());
            Assert.False(service.GetProperty("scheduled").GetBoolean());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, service.GetProperty("ops_tokens").ValueKind);

            var table = await fabric.Cmd("dataplane", "stats", "--node", fabric.Host, "--interval", "0.2");
            Assert.Contains(arq, table.Stdout);
            Assert.Contains("p99 µs", table.Stdout);

            // Not a terminal: --watch prints one JSON line per reading.
            var watched = await fabric.Cmd("dataplane", "stats", "--node", fabric.Host, "--watch", "--count", "2", "--interval", "0.2", "--json");
            Assert.True(watched.ExitCode == 0, watched.ToString());
            var lines = watched.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Length);
            Assert.All(lines, l => Assert.Contains(arq, l));
        }
        finally
        {
            await vim.DeleteVm(vm, fabric.Host);
        }
    }

    [Fact]
    public async Task Sharding_regions_and_stats_count_the_entities_of_every_type()
    {
        var regions = await fabric.Cmd("sharding", "regions", "--json");
        var stats = await fabric.Cmd("sharding", "stats", "--json");
        var table = await fabric.Cmd("sharding", "stats");

        Assert.True(regions.ExitCode == 0, regions.ToString());
        var types = regions.Json.EnumerateArray().ToDictionary(t => t.GetProperty("type_name").GetString()!);
        Assert.Equal(["attachment", "device", "device-profile", "pipeline"], types.Keys.Order());
        var deviceRegion = types["device"].GetProperty("regions").EnumerateArray().Single();
        Assert.Equal(fabric.Node.Address.ToString(), deviceRegion.GetProperty("address").GetString());
        Assert.True(deviceRegion.GetProperty("entities").GetInt32() >= 2, regions.Stdout);
        Assert.True(stats.ExitCode == 0, stats.ToString());
        Assert.Equal(4, stats.Json.GetProperty("types").GetArrayLength());
        Assert.Contains("device:", table.Stdout);
    }

    [Fact]
    public async Task Cluster_tail_follows_a_member_that_joins_and_is_made_to_leave()
    {
        var output = new StringWriter();
        var stdout = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource();
        var tail = FabricCmd.RunAsync(["--contact", fabric.Contact, "--data", fabric.Folder, "cluster", "tail", "--seconds", "60"], stdout, TextWriter.Null, stop.Token);
        string Seen()
        {
            lock (stdout)
            {
                return output.ToString();
            }
        }

        FabricNode? joiner = null;
        try
        {
            await Eventually.Until(() => Seen().Contains("following membership changes"), "the tail did not subscribe");
            joiner = await FabricNode.StartAsync(new FabricOptions
            {
                Roles = ["compute"], Port = 0, NodeName = "ops-joiner", LogLevel = "WARNING",
                Seeds = [fabric.Node.Address.ToString()], Database = Path.Combine(fabric.Folder, "joiner.db"),
                TlsCertificate = fabric.Node.Options.TlsCertificate,
            }, TimeSpan.FromSeconds(30));
            var address = joiner.Address.ToString();
            await Eventually.Until(() => Seen().Contains($"MemberUp {address} (ops-joiner)"), "the tail did not show the joiner up");

            var shown = await fabric.Cmd("cluster", "show", "--json");
            Assert.Contains(shown.Json.GetProperty("members").EnumerateArray(), m => m.GetProperty("address").GetString() == address);

            var leave = await fabric.Cmd("cluster", "leave", $"127.0.0.1:{joiner.Address.Port}", "--json");
            Assert.True(leave.ExitCode == 0, leave.ToString());
            Assert.Equal("leave", leave.Json.GetProperty("action").GetString());
            await Eventually.Until(() => Seen().Contains($"MemberRemoved {address}"), "the tail did not show the joiner removed");
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await tail);
            if (joiner is not null)
            {
                await joiner.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Bad_input_gets_a_message_and_an_exit_code_that_says_what_kind()
    {
        var malformed = await CmdResult.Run(["--contact", "localhost", "cluster", "show"]);
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("host:port", malformed.Stderr);

        var unreachable = await CmdResult.Run(["--contact", "127.0.0.1:1", "--data", fabric.Folder, "--timeout", "0.5", "devices", "list"]);
        Assert.Equal(3, unreachable.ExitCode);
        Assert.Contains("127.0.0.1:1", unreachable.Stderr);

        var unknown = await fabric.Cmd("devices", "show", "ops-host/no-such-device");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("ops-host/no-such-device", unknown.Stderr);
        var unknownJson = await fabric.Cmd("devices", "disable", "ops-host/no-such-device", "--json");
        Assert.Equal(1, unknownJson.ExitCode);
        Assert.Equal("NotFound", unknownJson.Json.GetProperty("error").GetString());

        var notMember = await fabric.Cmd("cluster", "down", "127.0.0.1:1");
        Assert.Equal(1, notMember.ExitCode);
        Assert.Contains("not a member", notMember.Stderr);

        var noNode = await fabric.Cmd("dataplane", "stats", "--node", "no-such-host");
        Assert.Equal(1, noNode.ExitCode);
        Assert.Contains("compute nodes: ops-host", noNode.Stderr);

        Assert.Equal(2, (await fabric.Cmd("pipelines", "show", "no-slash")).ExitCode);
        Assert.Equal(2, (await fabric.Cmd("dataplane", "stats", "--interval", "0")).ExitCode);
        Assert.Equal(2, (await fabric.Cmd("devices")).ExitCode);
        Assert.Equal(2, (await fabric.Cmd("devices", "list", "--no-such-option")).ExitCode);
    }

    [Fact]
    public async Task The_operator_gateway_refuses_what_is_not_its_protocol_with_a_typed_reason()
    {
        await using var ops = await FabricVimClient.ConnectAsync(fabric.Contact, CmdContext.GatewayPath, Timeout, 3, fabric.ClientTls);

        var spawn = await Assert.ThrowsAsync<FabricRejectedException>(() => ops.Request<VmRealized>(new VmSpawnRequested("vm-x", fabric.Host, [], "r")));
        Assert.Equal(RejectReason.InvalidArgument, spawn.Rejected.Reason);
        Assert.Contains("VmSpawnRequested", spawn.Rejected.Message);
    }

    [Fact]
    public async Task Every_command_answers_help()
    {
        var commands = new List<string[]>();
        void Walk(Command command, string[] path)
        {
            commands.Add(path);
            foreach (var sub in command.Subcommands)
            {
                Walk(sub, [.. path, sub.Name]);
            }
        }

        Walk(FabricCmd.Build(new CmdContext(TextWriter.Null, TextWriter.Null)), []);

        Assert.True(commands.Count >= 20, $"{commands.Count} commands");
        foreach (var path in commands)
        {
            var help = await CmdResult.Run([.. path, "--help"]);
            Assert.True(help.ExitCode == 0, $"{string.Join(' ', path)}: {help}");
            Assert.Contains("Usage:", help.Stdout);
        }
    }
}
