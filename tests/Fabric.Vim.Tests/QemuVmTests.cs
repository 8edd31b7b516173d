using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fabric.Node.Vm;
using Xunit;
using Xunit.Abstractions;

namespace Fabric.Vim.Tests;

/// <summary>
/// VMs the node agent starts as real QEMU guests (TCG here: no /dev/kvm), driven with the fabric-vim binary against a
/// fabric-node process on 127.0.0.1 and read back with fabric-cmd: spawn, the guest's kernel booting on the console,
/// death by SIGKILL noticed and its attachment released, delete stopping QEMU. The VM's accelerator is a channel
/// attachment, which the QEMU guest does not use: the vhost-user realization makes it a virtio-crypto device.
/// </summary>
public sealed class QemuVmTests(ITestOutputHelper output) : IAsyncLifetime
{
    // TCG on 2 shared cores: a boot is 10 to 30 s; the bound leaves room for a loaded machine.
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(180);

    // Every AES key size: the guest's kernel self-tests cbc(aes) with 128, 192 and 256-bit keys, its KATs use 128 and 256.
    private const string VhostFunction = "aes-cbc";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fabric-vim-qemu", Guid.NewGuid().ToString("N"));
    private readonly int _port = ProcessRunner.FreePort();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _nodeOutput = new();
    private Process? _node;
    private string _image = "";

    private string Contact => $"127.0.0.1:{_port}";

    public Task InitializeAsync()
    {
        Assert.True(QemuMachine.Find() is not null, "qemu-system-x86_64 not found (./test.sh installs it: apt-get install qemu-system-x86)");
        var root = GuestImage.RepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("Fabric.sln not found");
        _image = Path.Combine(root, "data", "guest");
        var (image, error) = GuestImage.Build(_image, Path.Combine(root, "scripts", "guest-image.sh"));
        Assert.True(image is not null, error);

        Directory.CreateDirectory(_folder);
        return Task.CompletedTask;
    }

    /// <summary>A fabric-node process of its own per test (EAL starts once per process: <c>--dpdk on</c> for vhost-user).</summary>
    private async Task StartNode(params string[] extra)
    {
        _node = Process.Start(ProcessRunner.Dotnet("fabric-node", _folder, ["--port", _port.ToString(), "--node-name", "qemu-host", .. extra]))!;
        _node.OutputDataReceived += (_, e) => _nodeOutput.Enqueue(e.Data ?? "");
        _node.ErrorDataReceived += (_, e) => _nodeOutput.Enqueue(e.Data ?? "");
        _node.BeginOutputReadLine();
        _node.BeginErrorReadLine();
        await Eventually.For(() => Vim("device", "list", "--json", "--timeout", "2"),
            devices => _node!.HasExited
                ? throw new InvalidOperationException($"fabric-node exited: {devices.Stderr}")
                : devices.ExitCode == 0 && JsonDocument.Parse(devices.Stdout).RootElement.GetArrayLength() >= 2,
            "fabric-node did not come up", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        Ok(await Vim("profile", "create", "qemu-crc", "--group", "crc32c:1", "--json"));
    }

    public async Task DisposeAsync()
    {
        if (_node is not null && !_node.HasExited)
        {
            // The node's QEMU children go with it.
            _node.Kill(entireProcessTree: true);
            await _node.WaitForExitAsync();
        }

        _node?.Dispose();
        output.WriteLine("fabric-node said:" + Environment.NewLine + string.Join(Environment.NewLine, _nodeOutput.TakeLast(80)));
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_QEMU_VM_spawned_through_fabric_vim_runs_and_its_death_by_kill_is_noticed_and_its_attachment_released()
    {
        await StartNode();
        var machine = await Spawn("vm-q1", "arq-q1");
        using var qemu = Process.GetProcessById(machine.GetProperty("pid").GetInt32());
        var console = machine.GetProperty("console_log").GetString()!;

        // The guest's kernel booted and ran its init (the virtio-crypto KATs fail without a device; it holds on).
        await Eventually.Until(() => File.Exists(console) && File.ReadAllText(console).Contains("FABRIC-HOLD"), "the guest did not reach its hold", s_bound, TimeSpan.FromMilliseconds(500));
        output.WriteLine(File.ReadAllText(console));
        var running = Assert.Single(await Machines());
        Assert.Equal("running", running.GetProperty("state").GetString());
        Assert.Equal(machine.GetProperty("pid").GetInt32(), running.GetProperty("pid").GetInt32());
        Assert.Equal("Attached", await ArqStatus("vm-q1"));

        qemu.Kill();
        await qemu.WaitForExitAsync();

        // Noticed: the machine is stopped (killed: no exit code of its own), the attachment detached, its reservation kept.
        await Eventually.For(Machines, m => m.Length == 1 && m[0].GetProperty("state").GetString() == "stopped", "the node did not notice QEMU's death", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        await Eventually.For(() => ArqStatus("vm-q1"), s => s == "Detached", "the dead VM's attachment was not released", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        var stopped = Assert.Single(await Machines());
        Assert.StartsWith("exited", stopped.GetProperty("reason").GetString());

        // Deleting the dead VM deletes its attachment and forgets the machine.
        var deleted = Ok(await Vim("vm", "delete", "vm-q1", "--host", "qemu-host", "--json"));
        Assert.Contains("arq-q1", deleted.GetProperty("attachments").EnumerateArray().Select(a => a.GetString()));
        Assert.Empty(await Machines());
        Assert.Equal(0, JsonDocument.Parse(Ok2(await Vim("arq", "list", "--vm", "vm-q1", "--json"))).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Deleting_a_QEMU_VM_stops_QEMU_before_its_queues_drain()
    {
        await StartNode();
        var machine = await Spawn("vm-q2", "arq-q2");
        using var qemu = Process.GetProcessById(machine.GetProperty("pid").GetInt32());
        var console = machine.GetProperty("console_log").GetString()!;
        await Eventually.Until(() => File.Exists(console) && File.ReadAllText(console).Contains("FABRIC-BOOT"), "the guest did not boot", s_bound, TimeSpan.FromMilliseconds(500));

        var clock = Stopwatch.StartNew();
        var deleted = Ok(await Vim("vm", "delete", "vm-q2", "--host", "qemu-host", "--json"));
        output.WriteLine($"vm delete took {clock.Elapsed.TotalSeconds:F1} s: {deleted}");

        Assert.True(qemu.HasExited, $"QEMU pid {qemu.Id} still runs after vm delete answered");
        Assert.Equal(["arq-q2"], deleted.GetProperty("attachments").EnumerateArray().Select(a => a.GetString()!));
        Assert.Empty(await Machines());
        Assert.Equal(0, JsonDocument.Parse(Ok2(await Vim("arq", "list", "--vm", "vm-q2", "--json"))).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task A_bad_machine_is_refused_with_its_reason_and_the_realization_taken_back()
    {
        await StartNode();
        Ok(await Vim("arq", "create", "arq-bad", "--vm", "vm-bad", "--profile", "qemu-crc", "--json"));
        var badArg = await Vim("vm", "spawn", "vm-bad", "--host", "qemu-host", "--arq", "arq-bad", "--hypervisor", "qemu", "--image", _image,
            "--guest-arg", "init=/bin/sh");
        var noImage = await Vim("vm", "spawn", "vm-bad", "--host", "qemu-host", "--arq", "arq-bad", "--hypervisor", "qemu", "--image", "/nonexistent");
        var tooBig = await Vim("vm", "spawn", "vm-bad", "--host", "qemu-host", "--arq", "arq-bad", "--hypervisor", "qemu", "--image", _image, "--memory", "999999");

        Assert.Equal(1, badArg.ExitCode);
        Assert.Contains("init=/bin/sh", badArg.Stderr);
        Assert.Equal(1, noImage.ExitCode);
        Assert.Contains("/nonexistent", noImage.Stderr);
        Assert.Equal(1, tooBig.ExitCode);
        Assert.Contains("999999", tooBig.Stderr);
        Assert.Empty(await Machines());
        Assert.NotEqual("Attached", await ArqStatus("vm-bad"));
    }

    [Fact]
    public async Task A_QEMU_VM_with_a_VHOST_USER_attachment_runs_its_kernel_crypto_on_the_node_AC_and_passes_its_known_answers()
    {
        await StartNode("--dpdk", "on");
        Ok(await Vim("profile", "create", "qemu-vhost", "--group", $"{VhostFunction}:1,accel:attach_handle_type=VHOST_USER", "--json"));
        Ok(await Vim("arq", "create", "arq-v1", "--vm", "vm-v1", "--profile", "qemu-vhost", "--json"));
        var spawned = Ok(await Vim("vm", "spawn", "vm-v1", "--host", "qemu-host", "--arq", "arq-v1", "--hypervisor", "qemu", "--image", _image,
            "--guest-arg", "fabric.hold=1", "--guest-arg", "fabric.seconds=1", "--json"));
        output.WriteLine(spawned.ToString());

        // The attachment is a vhost-user socket under the node's data folder, and it is the VM's virtio-crypto device.
        var machine = spawned.GetProperty("machine");
        var socket = Assert.Single(machine.GetProperty("virtio_crypto_sockets").EnumerateArray()).GetString()!;
        Assert.StartsWith(Path.Combine(_folder, "data", "vhost") + "/", socket);
        var arq = await Arq("vm-v1");
        Assert.Equal("Attached", arq.GetProperty("status").ToString());
        Assert.Equal(socket, arq.GetProperty("handle").GetProperty("vhost_user_socket").GetString());

        var console = machine.GetProperty("console_log").GetString()!;
        await Eventually.Until(() => File.Exists(console) && File.ReadAllText(console).Contains("FABRIC-HOLD"), "the guest did not finish its known answers", s_bound, TimeSpan.FromMilliseconds(500));
        var text = File.ReadAllText(console);
        output.WriteLine(text);
        Assert.Contains("FABRIC-PROC-CRYPTO driver=virtio_crypto_aes_cbc selftest=passed", text);
        Assert.Contains("FABRIC-KAT passed=4 failed=0", text);
        var loop = Regex.Match(text, @"FABRIC-THROUGHPUT driver=virtio_crypto_aes_cbc size=4096 ops=(\d+)");
        Assert.True(loop.Success, "the guest printed no virtio-crypto throughput line");
        var loopOps = long.Parse(loop.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(loopOps > 0, "the guest's loop ran no request");

        // The node's AC served them on the bound device: its queue counts the loop, the KATs and the kernel's self-tests.
        var queue = await Queue("arq-v1");
        output.WriteLine(queue.ToString());
        Assert.Equal(arq.GetProperty("device_id").GetString(), queue.GetProperty("device_id").GetString());
        Assert.True(queue.GetProperty("ops").GetInt64() >= loopOps + 4, $"the AC counted {queue.GetProperty("ops")} ops, the guest ran {loopOps} + 4 KATs");
        Assert.Equal(0, queue.GetProperty("errors").GetInt64());

        var deleted = Ok(await Vim("vm", "delete", "vm-v1", "--host", "qemu-host", "--json"));
        Assert.Equal(["arq-v1"], deleted.GetProperty("attachments").EnumerateArray().Select(a => a.GetString()!));
        Assert.False(File.Exists(socket), $"the vhost-user socket {socket} outlived its queue");
        Assert.Empty(await Machines());
    }

    [Fact]
    public async Task A_VHOST_USER_attachment_on_a_node_without_EAL_is_refused_with_the_reason()
    {
        await StartNode("--dpdk", "off");
        Ok(await Vim("profile", "create", "qemu-vhost", "--group", $"{VhostFunction}:1,accel:attach_handle_type=VHOST_USER", "--json"));
        Ok(await Vim("arq", "create", "arq-n1", "--vm", "vm-n1", "--profile", "qemu-vhost", "--json"));
        var refused = await Vim("vm", "spawn", "vm-n1", "--host", "qemu-host", "--arq", "arq-n1", "--hypervisor", "qemu", "--image", _image);

        var badType = await Vim("profile", "create", "qemu-spi", "--group", $"{VhostFunction}:1,accel:attach_handle_type=SPI");

        // No device of a node without EAL offers the attach type: placement says so, and no machine starts.
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("attach type VHOST_USER is not offered", refused.Stderr);
        Assert.Empty(await Machines());
        Assert.NotEqual("Attached", await ArqStatus("vm-n1"));
        Assert.NotEqual(0, badType.ExitCode);
        Assert.Contains("must be one of FABRIC_CHANNEL, PCI, VHOST_USER, not 'SPI'", badType.Stderr);
    }

    private async Task<JsonElement> Spawn(string vm, string arq)
    {
        Ok(await Vim("arq", "create", arq, "--vm", vm, "--profile", "qemu-crc", "--json"));
        var spawned = Ok(await Vim("vm", "spawn", vm, "--host", "qemu-host", "--arq", arq, "--hypervisor", "qemu", "--image", _image,
            "--guest-arg", "fabric.hold=1", "--guest-arg", "fabric.seconds=0", "--json"));
        output.WriteLine(spawned.ToString());
        var machine = spawned.GetProperty("machine");
        Assert.Equal("running", machine.GetProperty("state").GetString());
        Assert.True(machine.GetProperty("pid").GetInt32() > 0);
        Assert.Equal(0, machine.GetProperty("virtio_crypto_sockets").GetArrayLength());
        return machine.Clone();
    }

    private async Task<JsonElement[]> Machines()
    {
        var listed = await ProcessRunner.Run("fabric-cmd", _folder, "--contact", Contact, "vms", "list", "--json");
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        return JsonDocument.Parse(listed.Stdout).RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    private async Task<JsonElement> Arq(string vm) =>
        Assert.Single(JsonDocument.Parse(Ok2(await Vim("arq", "list", "--vm", vm, "--json"))).RootElement.EnumerateArray()).Clone();

    private async Task<JsonElement> Queue(string id)
    {
        var stats = await ProcessRunner.Run("fabric-cmd", _folder, "--contact", Contact, "dataplane", "stats", "--node", "qemu-host", "--interval", "0.2", "--json");
        Assert.True(stats.ExitCode == 0, stats.Stderr);
        return JsonDocument.Parse(stats.Stdout).RootElement.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("queue_id").GetString() == id).Clone();
    }

    private async Task<string?> ArqStatus(string vm)
    {
        var arqs = JsonDocument.Parse(Ok2(await Vim("arq", "list", "--vm", vm, "--json"))).RootElement;
        return arqs.GetArrayLength() == 0 ? null : arqs[0].GetProperty("status").ToString();
    }

    private Task<ProcessRunner.Result> Vim(params string[] args) => ProcessRunner.Run("fabric-vim", _folder, ["--contact", Contact, .. args]);

    private static JsonElement Ok(ProcessRunner.Result result) => JsonDocument.Parse(Ok2(result)).RootElement.Clone();

    private static string Ok2(ProcessRunner.Result result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        return result.Stdout;
    }
}
