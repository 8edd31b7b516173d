using System.Text.Json;
using Fabric.Messages.Node;
using Fabric.Messages.Profiles;
using Fabric.Messages.Vim;
using Fabric.Vim.Client;
using Fabric.Security;
using Xunit;

namespace Fabric.Cmd.Tests;

/// <summary>The fabric-cmd binary against a real fabric-node process: stdout, --json and exit codes as a script sees them.</summary>
public sealed class ProcessTests
{
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Fabric_cmd_inspects_a_running_fabric_node_and_steers_a_device()
    {
        const string host = "cmd-proc-host";
        await using var fabric = FabricNodeProcess.Start("fabric-cmd-process-test", host);
        var (folder, contact) = (fabric.Folder, fabric.Contact);
        try
        {
            // Secure by default: the node makes its CA in ./data/tls, where fabric-cmd, run in the same folder, finds it.
            // The node prints its address once it is an Up member; its devices register right after.
            await fabric.Node.Line($"fabric-node {host} up at", TimeSpan.FromSeconds(90));
            var devices = await Eventually.For(() => Cmd(folder, "--contact", contact, "devices", "list", "--json"),
                r => r.ExitCode == 0 && r.Json.GetArrayLength() >= 2, "the node's devices did not register", TimeSpan.FromSeconds(90));
            var device = devices.Json.EnumerateArray().Select(d => d.GetProperty("device_id").GetString()!).First(d => d.EndsWith("/sw-compression-0", StringComparison.Ordinal));

            var cluster = await Cmd(folder, "--contact", contact, "cluster", "show", "--json");
            Assert.True(cluster.ExitCode == 0, cluster.ToString());
            Assert.Equal(host, cluster.Json.GetProperty("members")[0].GetProperty("node_name").GetString());

            var disabled = await Cmd(folder, "--contact", contact, "devices", "disable", device, "--json");
            Assert.True(disabled.ExitCode == 0, disabled.ToString());
            Assert.False(disabled.Json.GetProperty("enabled").GetBoolean());
            var enabled = await Cmd(folder, "--contact", contact, "devices", "enable", device, "--json");
            Assert.True(enabled.ExitCode == 0, enabled.ToString());
            Assert.True(enabled.Json.GetProperty("enabled").GetBoolean());

            // A VM spawned through the VIM gateway gives the node's AC a queue to report.
            var arq = $"arq-proc-{Guid.NewGuid():N}"[..17];
            await using (var vim = await FabricVimClient.ConnectAsync(contact, TimeSpan.FromSeconds(10), LocalTls.LoadClient(Path.Combine(folder, "data"))))
            {
                await vim.CreateProfile("proc-seal", [new ProfileGroup("aes-256-gcm", 1)]);
                await vim.CreateAttachment(arq, "vm-proc", "proc-seal");
                await vim.SpawnVm("vm-proc", host, [new VmAccelerator(arq, null)]);
            }

            var stats = await Cmd(folder, "--contact", contact, "dataplane", "stats", "--interval", "0.2", "--json");
            Assert.True(stats.ExitCode == 0, stats.ToString());
            var queue = stats.Json.GetProperty("queues").EnumerateArray().SingleOrDefault(q => q.GetProperty("queue_id").GetString() == arq);
            Assert.True(queue.ValueKind == JsonValueKind.Object, $"no queue {arq}: {stats}");
            Assert.Equal("vm-proc", queue.GetProperty("vm_id").GetString());

            var attachments = await Eventually.For(() => Cmd(folder, "--contact", contact, "attachments", "list", "--json"),
                r => r.ExitCode == 0 && r.Json.GetArrayLength() == 1, "the attachment was not listed");
            Assert.Equal("Attached", attachments.Json[0].GetProperty("status").GetString());

            var sharding = await Cmd(folder, "--contact", contact, "sharding", "stats", "--json");
            Assert.True(sharding.ExitCode == 0, sharding.ToString());
            Assert.Equal(4, sharding.Json.GetProperty("types").GetArrayLength());

            var unknown = await Cmd(folder, "--contact", contact, "devices", "show", $"{host}/no-such-device");
            Assert.True(unknown.ExitCode == 1 && unknown.Stderr.Contains("no-such-device"), unknown.ToString());
            var malformed = await Cmd(folder, "--contact", "127.0.0.1:notaport", "cluster", "show");
            Assert.True(malformed.ExitCode == 2, malformed.ToString());
            var unreachable = await Cmd(folder, "--contact", "127.0.0.1:1", "--timeout", "0.5", "cluster", "show", "--json");
            Assert.True(unreachable.ExitCode == 3, unreachable.ToString());
        }
        catch (Exception ex)
        {
            // What the node said is usually why a step failed.
            throw new Xunit.Sdk.XunitException($"{ex.GetType().Name}: {ex.Message}\nfabric-node output:\n{fabric.Node.Output}");
        }
    }

    /// <summary>Runs the fabric-cmd binary to its end (bounded), killing it if it overstays.</summary>
    private static async Task<CmdResult> Cmd(string folder, params string[] args)
    {
        var (code, stdout, stderr) = await ProcessRunner.Run(ProcessRunner.Dotnet("fabric-cmd", folder, args), CommandLimit);
        return new CmdResult(code, stdout, stderr);
    }
}
