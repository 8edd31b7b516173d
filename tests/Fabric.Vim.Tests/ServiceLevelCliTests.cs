using System.Text.Json;
using Xunit;

namespace Fabric.Vim.Tests;

/// <summary>
/// fabric-vim's service level commands against a real fabric-node process on 127.0.0.1 (issue 19): a profile's groups
/// carry Fabric's keys, attachments show their level, <c>attachments set-service-level</c> changes it, bad input fails clearly.
/// </summary>
public sealed class ServiceLevelCliTests : IAsyncLifetime
{
    private FabricNodeProcess _fabric = null!;

    public async Task InitializeAsync()
    {
        _fabric = FabricNodeProcess.Start("fabric-vim-sl", "sl-host");
        await _fabric.Devices(2, TimeSpan.FromSeconds(120));
    }

    public async Task DisposeAsync() => await _fabric.DisposeAsync();

    private Task<ProcessRunner.Result> Vim(params string[] args) => _fabric.Vim(args);

    [Fact]
    public async Task Profile_keys_make_the_level_an_attachment_shows_and_set_service_level_changes_it()
    {
        var profile = await Vim("profile", "create", "gold", "--group", "aes-256-gcm:1,fabric:weight=4,fabric:committed_ops=200000,fabric:class=latency", "--json");
        Assert.True(profile.ExitCode == 0, profile.Stderr);
        var level = JsonDocument.Parse(profile.Stdout).RootElement[0].GetProperty("level");
        Assert.Equal(4, level.GetProperty("weight").GetInt32());
        Assert.Equal("Latency", level.GetProperty("class").GetString());
        Assert.Contains("latency w4 ops/s 200000/-", (await Vim("profile", "show", "gold")).Stdout);

        Assert.Equal(0, (await Vim("arq", "create", "sl-1", "--vm", "vm-sl", "--profile", "gold")).ExitCode);
        var bound = await Vim("arq", "bind", "sl-1", "--host", "sl-host", "--json");
        Assert.True(bound.ExitCode == 0, bound.Stderr);
        Assert.Equal(200_000, JsonDocument.Parse(bound.Stdout).RootElement[0].GetProperty("level").GetProperty("committed_ops_per_second").GetInt64());

        // The alias the docs use; only what is named changes.
        var changed = await Vim("attachments", "set-service-level", "sl-1", "--peak-ops", "400000", "--json");
        Assert.True(changed.ExitCode == 0, changed.Stderr);
        var after = JsonDocument.Parse(changed.Stdout).RootElement[0].GetProperty("level");
        Assert.Equal((4, 200_000L, 400_000L), (after.GetProperty("weight").GetInt32(), after.GetProperty("committed_ops_per_second").GetInt64(),
            after.GetProperty("peak_ops_per_second").GetInt64()));
        Assert.Contains("sl-1", (await Vim("arq", "show", "sl-1")).Stdout);

        var oversold = await Vim("arq", "set-service-level", "sl-1", "--committed-ops", "3000000", "--peak-ops", "0");
        Assert.Equal(1, oversold.ExitCode);
        Assert.Contains("NoCapacity", oversold.Stderr);
        Assert.Contains("would oversell", oversold.Stderr);

        var help = await Vim("arq", "set-service-level", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--committed-bytes", help.Stdout);

        // Bad keys never reach the fabric: a usage error that names the key.
        var badKey = await Vim("profile", "create", "bad", "--group", "aes-256-gcm:1,fabric:speed=9");
        Assert.Equal(2, badKey.ExitCode);
        Assert.Contains("'fabric:speed' is not a Fabric key", badKey.Stderr);
        var badPeak = await Vim("profile", "create", "bad", "--group", "aes-256-gcm:1,fabric:committed_ops=9,fabric:peak_ops=5");
        Assert.Equal(2, badPeak.ExitCode);
        Assert.Contains("peak 5 ops/s is below the committed 9 ops/s", badPeak.Stderr);
        var twice = await Vim("profile", "create", "bad", "--group", "aes-256-gcm:1,fabric:weight=2", "--group", "sha256:1,fabric:weight=3");
        Assert.Equal(2, twice.ExitCode);
        Assert.Contains("fabric:weight is given more than once", twice.Stderr);
    }
}
