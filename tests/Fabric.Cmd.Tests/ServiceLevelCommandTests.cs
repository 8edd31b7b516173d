using Fabric.Messages.Attachments;
using Fabric.Messages.Profiles;
using Fabric.Vim.Client;
using Xunit;

namespace Fabric.Cmd.Tests;

/// <summary>
/// fabric-cmd's service level commands against a one-process fabric (issue 19): set-service-level on a bound attachment,
/// refused when its device would oversell, and devices list showing committed against capacity.
/// </summary>
public sealed class ServiceLevelCommandTests(CmdFabric fabric) : IClassFixture<CmdFabric>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_bound_attachments_level_is_changed_refused_when_it_would_oversell_and_shown_with_the_devices_commitments()
    {
        var id = $"sl-{Guid.NewGuid():N}"[..12];
        string device;
        await using (var vim = await FabricVimClient.ConnectAsync(fabric.Contact, Timeout, fabric.ClientTls))
        {
            await vim.CreateProfile(id, [new ProfileGroup("aes-256-gcm", 1)], level: new ServiceLevel(2, 100_000, 0, 0, 0, ServiceClass.Bulk));
            await vim.CreateAttachment(id, "vm-" + id, id);
            var bound = await vim.Bind(id, fabric.Host);
            Assert.Equal(AttachmentStatus.Bound, bound.Status);
            // The fabric has two crypto devices (sw-crypto-0 and the fault-injecting one for the drills): placement picks.
            device = bound.DeviceId!;
        }

        var oversold = await fabric.Cmd("attachments", "set-service-level", id, "--committed-ops", "5000000", "--json");
        Assert.True(oversold.ExitCode == 1, oversold.ToString());
        Assert.Equal("NoCapacity", oversold.Json.GetProperty("error").GetString());
        Assert.Contains("5000000 more would oversell it", oversold.Json.GetProperty("message").GetString());

        var changed = await fabric.Cmd("attachments", "set-service-level", id, "--weight", "8", "--class", "latency", "--committed-ops", "250000", "--json");
        Assert.True(changed.ExitCode == 0, changed.ToString());
        var level = changed.Json[0].GetProperty("level");
        Assert.Equal(8, level.GetProperty("weight").GetInt32());
        Assert.Equal("Latency", level.GetProperty("class").GetString());
        Assert.Equal(250_000, level.GetProperty("committed_ops_per_second").GetInt64());

        var shown = await fabric.Cmd("attachments", "show", id);
        Assert.Contains("latency w8 ops/s 250000/-", shown.Stdout);

        var devices = await fabric.Cmd("devices", "list", "--json");
        var crypto = devices.Json.EnumerateArray().Single(d => d.GetProperty("device_id").GetString() == device);
        Assert.Equal(250_000, crypto.GetProperty("committed_ops").GetInt64());
        Assert.Equal(1_000_000, crypto.GetProperty("capacity_ops").GetInt64());
        Assert.Contains("250000/1000000", (await fabric.Cmd("devices", "list")).Stdout);
        Assert.Contains("250000 of 1000000", (await fabric.Cmd("devices", "show", device)).Stdout);

        // Bad input: named nothing, out of range, unknown attachment.
        Assert.Equal(2, (await fabric.Cmd("attachments", "set-service-level", id)).ExitCode);
        var zero = await fabric.Cmd("attachments", "set-service-level", id, "--weight", "0");
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--weight '0' is not a whole number from 1 to 1000", zero.Stderr);
        Assert.Equal(1, (await fabric.Cmd("attachments", "set-service-level", "no-such-arq", "--weight", "2")).ExitCode);
    }
}
