using System.Text.Json;
using Xunit;

namespace Fabric.Vim.Tests;

/// <summary>
/// The fabric-vim binary against a real fabric-node process on 127.0.0.1: its JSON, its tables and its exit codes,
/// including every bad input the VIM side must handle.
/// </summary>
public sealed class CliProcessTests : IAsyncLifetime
{
    private FabricNodeProcess _fabric = null!;

    public async Task InitializeAsync()
    {
        _fabric = FabricNodeProcess.Start("fabric-vim-cli", "cli-host");
        await _fabric.Devices(2, TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync() => await _fabric.DisposeAsync();

    private Task<ProcessRunner.Result> Vim(params string[] args) => _fabric.Vim(args);

    [Fact]
    public async Task A_script_drives_a_VM_life_cycle_with_json_and_exit_codes_and_every_bad_input_fails_clearly()
    {
        var profile = await Vim("profile", "create", "cli-seal", "--group", "aes-256-gcm:1", "--json");
        Assert.Equal(0, profile.ExitCode);
        Assert.Equal("cli-seal", JsonDocument.Parse(profile.Stdout).RootElement[0].GetProperty("name").GetString());

        Assert.Equal(0, (await Vim("arq", "create", "arq-c1", "--vm", "vm-c1", "--profile", "cli-seal")).ExitCode);
        var spawn = await Vim("vm", "spawn", "vm-c1", "--host", "cli-host", "--arq", "arq-c1", "--guest-duration", "3s", "--json");
        Assert.True(spawn.ExitCode == 0, spawn.Stderr);
        var spawned = JsonDocument.Parse(spawn.Stdout).RootElement;
        Assert.Equal("Attached", spawned.GetProperty("attachments")[0].GetProperty("status").GetString());
        var log = spawned.GetProperty("guests")[0].GetProperty("log").GetString()!;

        // The guest workload (a fabric-guest process) runs its 3 s and writes its JSON summary.
        var path = Path.Combine(_fabric.Folder, log);
        var text = await Eventually.For(() => Task.FromResult(File.Exists(path) ? File.ReadAllText(path).Trim() : ""),
            written => written.EndsWith('}'), "the guest's JSON summary", every: TimeSpan.FromMilliseconds(100));
        var summary = JsonDocument.Parse(text).RootElement;
        Assert.Equal(JsonValueKind.Object, summary.ValueKind);
        Assert.True(summary.GetProperty("ops_ok").GetInt64() > 0);
        Assert.Equal(0, summary.GetProperty("ops_lost").GetInt64());

        // Bad input: each a clear message and a non-zero exit code.
        var unknownProfile = await Vim("arq", "create", "arq-c2", "--vm", "vm-c2", "--profile", "nope");
        Assert.Equal(1, unknownProfile.ExitCode);
        Assert.Contains("profile nope does not exist", unknownProfile.Stderr);

        Assert.Equal(0, (await Vim("arq", "create", "arq-c3", "--vm", "vm-c3", "--profile", "cli-seal")).ExitCode);
        var unknownHost = await Vim("arq", "bind", "arq-c3", "--host", "no-such-host");
        Assert.Equal(1, unknownHost.ExitCode);
        Assert.Contains("no-such-host", unknownHost.Stderr);

        Assert.Equal(0, (await Vim("arq", "bind", "arq-c3", "--host", "cli-host")).ExitCode);
        var doubleBind = await Vim("arq", "bind", "arq-c3");
        Assert.Equal(1, doubleBind.ExitCode);
        Assert.Contains("bound already", doubleBind.Stderr);

        var deleteRunning = await Vim("arq", "delete", "arq-c1");
        Assert.Equal(1, deleteRunning.ExitCode);
        Assert.Contains("detach it", deleteRunning.Stderr);

        var badContact = await ProcessRunner.Run("fabric-vim", _fabric.Folder, "--contact", "not-an-address", "profile", "list");
        Assert.Equal(2, badContact.ExitCode);
        Assert.Contains("not a contact point", badContact.Stderr);

        var unreachable = await ProcessRunner.Run("fabric-vim", _fabric.Folder, "--contact", $"127.0.0.1:{ProcessRunner.FreePort()}", "--timeout", "1", "profile", "list");
        Assert.Equal(3, unreachable.ExitCode);
        Assert.Contains("no fabric gateway answered", unreachable.Stderr);

        var usage = await Vim("arq", "create", "x");
        Assert.Equal(2, usage.ExitCode);

        // And the VM goes away cleanly: its request deleted, its capacity back.
        var delete = await Vim("vm", "delete", "vm-c1", "--host", "cli-host", "--json");
        Assert.Equal(0, delete.ExitCode);
        var show = await Vim("arq", "show", "arq-c1", "--json");
        Assert.Equal("Deleted", JsonDocument.Parse(show.Stdout).RootElement[0].GetProperty("status").GetString());
    }
}
