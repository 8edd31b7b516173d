using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Fabric.Node.Tests.Dpdk;

/// <summary>
/// A DPDK-enabled fabric-node as a real process (EAL runs once per process, so this is the only end-to-end test of
/// DPDK in the node): <c>fabric-node --dpdk crypto_aesni_gcm0</c> on 127.0.0.1, its DPDK device registered with
/// backing dpdk, a VM spawned through fabric-vim whose guest (a fabric-guest process) streams AES-256-GCM seal/open
/// round trips through a channel the AC serves on the DPDK device; every op verified, none lost; the node stopped by pid.
/// </summary>
public sealed class DpdkNodeProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Host = "dpdk-host";
    private const string DpdkDevice = Host + "/dpdk-crypto-aesni-gcm0";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private FabricNodeProcess _fabric = null!;

    private string NodeOutput => _fabric.Node.Output;

    public Task InitializeAsync()
    {
        _fabric = FabricNodeProcess.Start("fabric-dpdk-node", Host, "--dpdk", "crypto_aesni_gcm0");
        return Task.CompletedTask;
    }

    // By its pid, with the guests it started.
    public async Task DisposeAsync() => await _fabric.DisposeAsync();

    [Fact]
    public async Task A_guest_attached_through_fabric_vim_runs_verified_AES_GCM_round_trips_on_the_nodes_DPDK_device()
    {
        // Up when its devices are registered, the DPDK one among them with the functions its PMD's capabilities offer.
        var devices = await Until(async () =>
        {
            Assert.False(_fabric.Node.HasExited, $"fabric-node exited ({(_fabric.Node.HasExited ? _fabric.Node.Process.ExitCode : 0)}):\n{NodeOutput}");
            var list = await Vim("device", "list", "--json", "--timeout", "2");
            return list.Code == 0 && JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().Any(d => d.GetProperty("device_id").GetString() == DpdkDevice)
                ? JsonDocument.Parse(list.Stdout).RootElement.Clone()
                : (JsonElement?)null;
        }, "fabric-node with its DPDK device registered");
        var dpdk = devices.EnumerateArray().Single(d => d.GetProperty("device_id").GetString() == DpdkDevice);
        Assert.Equal("dpdk-crypto", dpdk.GetProperty("type").GetString());
        Assert.Contains("aes-256-gcm", dpdk.GetProperty("functions").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains("dpdk: DPDK: dpdk-crypto-aesni-gcm0 (crypto_aesni_gcm, numa ", NodeOutput, StringComparison.Ordinal);

        // Placement prefers the freest device: the software ones are taken out of service so the guest lands on DPDK.
        foreach (var other in devices.EnumerateArray().Select(d => d.GetProperty("device_id").GetString()!).Where(id => id != DpdkDevice))
        {
            var disabled = await Vim("device", "disable", other, "--reason", "test: DPDK only");
            Assert.True(disabled.Code == 0, disabled.Stderr);
        }

        Assert.Equal(0, (await Vim("profile", "create", "dpdk-seal", "--group", "aes-256-gcm:1")).Code);
        Assert.Equal(0, (await Vim("arq", "create", "arq-d1", "--vm", "vm-d1", "--profile", "dpdk-seal")).Code);
        var spawn = await Vim("vm", "spawn", "vm-d1", "--host", Host, "--arq", "arq-d1", "--guest-duration", "3s", "--json");
        Assert.True(spawn.Code == 0, spawn.Stderr + "\n" + NodeOutput);
        var spawned = JsonDocument.Parse(spawn.Stdout).RootElement;
        var attachment = spawned.GetProperty("attachments")[0];
        Assert.Equal("Attached", attachment.GetProperty("status").GetString());
        Assert.Equal(DpdkDevice, attachment.GetProperty("device_id").GetString());

        // The guest (fabric-guest, seal then open, each result checked against what went in) writes its JSON summary.
        var log = Path.Combine(_fabric.Folder, spawned.GetProperty("guests")[0].GetProperty("log").GetString()!);
        var text = await Until(() => Task.FromResult(File.Exists(log) && File.ReadAllText(log).Trim() is { } t && t.EndsWith('}') ? t : null),
            "the guest's JSON summary");
        output.WriteLine(text);
        var summary = JsonDocument.Parse(text[text.LastIndexOf("{\"channel\"", StringComparison.Ordinal)..]).RootElement;
        Assert.True(summary.GetProperty("ops_ok").GetInt64() > 0, text);
        Assert.Equal(0, summary.GetProperty("ops_error").GetInt64());
        Assert.Equal(0, summary.GetProperty("ops_lost").GetInt64());
        Assert.Equal(0, summary.GetProperty("integrity_failures").GetInt64());
        Assert.Equal("aes-256-gcm", summary.GetProperty("function").GetString());

        // The VM goes: its queue on the DPDK device is drained and released (the driver gives its queue pair back).
        var deleted = await Vim("vm", "delete", "vm-d1", "--host", Host, "--json");
        Assert.True(deleted.Code == 0, deleted.Stderr);
    }

    private async Task<T> Until<T>(Func<Task<T?>> probe, string what)
        where T : struct =>
        (await Eventually.For(probe, v => v is not null, what, Limit, TimeSpan.FromMilliseconds(200), _ => NodeOutput))!.Value;

    private Task<string> Until(Func<Task<string?>> probe, string what) =>
        Eventually.Found(probe, what, Limit, TimeSpan.FromMilliseconds(100), () => NodeOutput);

    private async Task<(int Code, string Stdout, string Stderr)> Vim(params string[] args)
    {
        var (code, stdout, stderr) = await _fabric.Vim(args);
        return (code, stdout, stderr);
    }
}
