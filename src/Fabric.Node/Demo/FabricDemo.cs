using System.Diagnostics;
using Akka.Actor;
using Fabric.Control;
using Fabric.Control.Hosting;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Functions;
using Fabric.Messages.Node;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Fabric.Node.Compute;
using Fabric.Vim.Client;
using Spectre.Console;

namespace Fabric.Node.Demo;

/// <summary>
/// The one-host demo, driven the way a VIM drives the fabric: through the gateway with the VIM client. Two VMs get
/// accelerators; each runs a fabric-guest process that streams seal-and-hash round trips through its shared-memory
/// channel to the AC; a device fails and the node agent moves their queues to the software g-driver while they run;
/// the device is repaired; the VMs are deleted. Ends with a summary; succeeds when nothing was lost, every round
/// trip that succeeded gave its bytes back, and every queue pair is free again.
/// </summary>
/// <param name="qemu">Also one real VM (<c>demo --vm qemu</c>): a QEMU guest whose kernel crypto runs on the AC over vhost-user.</param>
public sealed partial class FabricDemo(FabricNode node, IActorRef agent, FabricVimClient vim, IAnsiConsole console, TimeSpan duration, bool qemu = false)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly ControlPlane _control = node.Control;
    private readonly string _host = node.Options.NodeName;
    private readonly List<string> _started = [];
    private int? _qemuPid;
    private CancellationToken _cancellation;

    /// <summary>
    /// Runs the demo. Cancelled (SIGTERM, SIGINT: <see cref="DemoSignals"/>), it stops what it started at once, the
    /// guest processes and the QEMU VM by pid, and throws <see cref="OperationCanceledException"/>: every wait of the
    /// demo takes the token, so it ends within moments whatever step it was at.
    /// </summary>
    public async Task<DemoResult> RunAsync(CancellationToken cancellation = default)
    {
        _cancellation = cancellation;
        try
        {
            return await Run();
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            StopChildren();
            throw;
        }
    }

    /// <summary>
    /// The guests (fabric-guest processes) and QEMU this demo started, killed by pid. The node would stop QEMU as it
    /// leaves too (its VM actor kills it), but a guest process is not the node's: without this it ran on for its duration.
    /// </summary>
    private void StopChildren()
    {
        foreach (var vm in _started)
        {
            GuestProcesses.Stop(vm);
        }

        if (_qemuPid is { } pid)
        {
            try
            {
                using var qemu = Process.GetProcessById(pid);
                if (!qemu.HasExited && qemu.ProcessName.StartsWith("qemu", StringComparison.Ordinal))
                {
                    qemu.Kill();
                    qemu.WaitForExit(TimeSpan.FromSeconds(2));
                }
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // Already gone.
            }
        }
    }

    private async Task<DemoResult> Run()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var faulty = $"{_host}/{ComputeRole.FaultInjectingDeviceName}";
        console.Write(new Rule($"[bold]Fabric demo[/] on host [cyan]{_host}[/], {duration.TotalSeconds:0} s of traffic").LeftJustified());

        Step(1, "The node agent found this host's devices (hio) and registered them with the AML");
        await AwaitPlacement(s => s.Devices.Count(d => d.Node == _host) >= 3);
        await ShowDevices();

        Step(2, "A device profile: AES-256-GCM then SHA-256, one queue pair each (through the VIM gateway)");
        var profile = $"seal-and-hash-{run}";
        await vim.CreateProfile(profile, [new ProfileGroup(AccelerationFunctions.Aes256Gcm, 1), new ProfileGroup(AccelerationFunctions.Sha256, 1)]).WaitAsync(_cancellation);
        try
        {
            await vim.CreateProfile($"broken-{run}", [new ProfileGroup("rot13", 1)]).WaitAsync(_cancellation);
        }
        catch (FabricRejectedException ex)
        {
            console.MarkupLine($"   a bad profile is refused: [yellow]{Markup.Escape(ex.Rejected.ToString())}[/]");
        }

        Step(3, qemu
            ? "A QEMU VM spawns with a VHOST_USER request (its kernel's virtio-crypto is served by the AC), then two process VMs: each request bound and realized as a channel, then its guest starts"
            : "Two VMs spawn: each accelerator request is bound and realized as a channel, then its guest starts");
        var vms = new[] { $"vm-a-{run}", $"vm-b-{run}" };
        // First: QEMU's start (up to its monitor answering) must not eat into the process guests' traffic time.
        (string Vm, string Console)? machine = qemu ? await StartQemuVm(run) : null;
        foreach (var vm in vms)
        {
            var id = $"arq-{vm}";
            await vim.CreateAttachment(id, vm, profile).WaitAsync(_cancellation);
            var realized = await vim.SpawnVm(vm, _host, [new VmAccelerator(id, null)]).WaitAsync(_cancellation);
            _cancellation.ThrowIfCancellationRequested();
            _started.Add(vm);
            var pid = GuestProcesses.Start(vm, id, realized.Attachments[0].Handle!.ChannelPath, "roundtrip", $"{duration.TotalSeconds:0}s");
            console.MarkupLine($"   {vm}: fabric-guest pid {pid} on {Markup.Escape(realized.Attachments[0].Handle!.ChannelPath)}");
        }

        await ShowAttachments(vms);
        var phase = duration / 3;
        Step(4, $"The guests stream 4 KiB seal-and-hash round trips (seal, then open and compare) through the AC ({phase.TotalSeconds:0} s)");
        await Watch(phase);

        Step(5, $"Device {faulty} breaks: its g-driver is reset, fails again, and past its budget the queues move to software");
        var clock = Stopwatch.StartNew();
        await Ask<NodeDevice>(agent, new InjectDeviceFault(faulty, "throw", NewId()));
        await Until(async () => (await Attachments(vms)).All(a => a.DeviceId != faulty && a.Status == AttachmentStatus.Attached));
        console.MarkupLine($"   queues moved [green]{clock.ElapsedMilliseconds} ms[/] after the fault; the guests kept their channels");
        await ShowAttachments(vms);
        await ShowDevices();
        await Watch(phase);

        Step(6, "The device is repaired: its probe passes and it takes new work again");
        await Ask<NodeDevice>(agent, new RepairDevice(faulty, NewId()));
        await Until(async () => (await Ask<DeviceView>(_control.Devices, new GetDevice(faulty))).Health == DeviceHealth.Healthy);
        await ShowDevices();
        await Watch(duration - 2 * phase);

        Step(7, "The guests finish; the VMs are deleted: queues drained, channels removed, requests deleted, capacity released");
        var summary = new Table().AddColumns("VM", "submitted", "ok", "errors", "lost", "integrity failures");
        long lost = 0, failures = 0, ok = 0, errors = 0;
        foreach (var vm in vms)
        {
            var result = await GuestProcesses.AwaitSummary(vm, $"arq-{vm}", duration + Timeout).WaitAsync(_cancellation);
            long Get(string name) => result.GetProperty(name).GetInt64();
            lost += Get("ops_lost");
            failures += Get("integrity_failures");
            ok += Get("ops_ok");
            errors += Get("ops_error");
            summary.AddRow(vm, $"{Get("ops_submitted"):N0}", $"{Get("ops_ok"):N0}", $"{Get("ops_error"):N0}",
                Get("ops_lost") == 0 ? "0" : $"[red]{Get("ops_lost")}[/]", Get("integrity_failures") == 0 ? "0" : $"[red]{Get("integrity_failures")}[/]");
            await vim.DeleteVm(vm, _host).WaitAsync(_cancellation);
        }

        var vmPassed = machine is null || await FinishQemuVm(machine.Value.Vm, machine.Value.Console);
        var devices = await ShowDevices();
        var held = devices.Sum(d => d.ReservedQueuePairs);
        var success = lost == 0 && failures == 0 && held == 0 && vmPassed;
        console.MarkupLine("   the node leaves the cluster and stops");
        return new DemoResult(success, summary, success
            ? $"[green]Done: {ok:N0} operations ok, {errors:N0} failed with an error status during the fault, none lost, no corrupt round trip; every queue pair is free.[/]"
            : $"[red]{lost} operation(s) lost, {failures} integrity failure(s), {held} queue pair(s) still held{(vmPassed ? "" : ", the QEMU guest's known answers failed")}.[/]");
    }

    private void Step(int n, string text) => console.MarkupLine($"[bold]{n}.[/] {Markup.Escape(text)}");

    /// <summary>Shows the node's queues (ops, rate, errors, latency) every second for <paramref name="time"/>.</summary>
    private async Task Watch(TimeSpan time)
    {
        var end = DateTime.UtcNow + time;
        var last = new Dictionary<string, (long Ops, DateTime At)>();
        Table Render(NodeStatus status)
        {
            var table = new Table().AddColumns("queue (attachment)", "VM", "device", "chain", "ops", "ops/s", "errors", "p50 µs", "p99 µs");
            foreach (var q in status.Queues.OrderBy(q => q.VmId))
            {
                var now = DateTime.UtcNow;
                var rate = last.TryGetValue(q.QueueId, out var prev) ? (q.Ops - prev.Ops) / Math.Max(0.001, (now - prev.At).TotalSeconds) : 0;
                last[q.QueueId] = (q.Ops, now);
                table.AddRow(q.QueueId, q.VmId, q.DeviceId.Split('/').Last(), q.Driver, $"{q.Ops:N0}", $"{rate:N0}",
                    q.Errors == 0 ? "0" : $"[yellow]{q.Errors:N0}[/]", $"{q.LatencyP50Nanos / 1000.0:N1}", $"{q.LatencyP99Nanos / 1000.0:N1}");
            }

            return table;
        }

        if (console.Profile.Capabilities.Interactive)
        {
            using var quiet = Logging.ConsoleLog.Hold();
            await console.Live(Render(await Ask<NodeStatus>(agent, GetNodeStatus.Instance))).StartAsync(async live =>
            {
                while (DateTime.UtcNow < end)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _cancellation);
                    live.UpdateTarget(Render(await Ask<NodeStatus>(agent, GetNodeStatus.Instance)));
                }
            });
        }
        else
        {
            Render(await Ask<NodeStatus>(agent, GetNodeStatus.Instance));
            await Task.Delay(time, _cancellation);
            console.Write(Render(await Ask<NodeStatus>(agent, GetNodeStatus.Instance)));
        }
    }

    private async Task<IReadOnlyList<DeviceView>> ShowDevices()
    {
        var snapshot = await _control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, Timeout, _cancellation);
        var ids = snapshot.Devices.Where(d => d.Node == _host).Select(d => d.DeviceId).Order().ToArray();
        var devices = await Task.WhenAll(ids.Select(id => Ask<DeviceView>(_control.Devices, new GetDevice(id))));
        var table = new Table().AddColumns("device", "type", "health", "queue pairs used", "functions");
        foreach (var d in devices)
        {
            var health = d.Health == DeviceHealth.Healthy ? "[green]Healthy[/]" : $"[red]{d.Health}[/] {Markup.Escape(d.HealthReason)}";
            table.AddRow(d.DeviceId, d.Type, health, $"{d.ReservedQueuePairs}/{d.CapacityQueuePairs}", string.Join(" ", d.Functions));
        }

        console.Write(table);
        return devices;
    }

    private async Task ShowAttachments(IEnumerable<string> vms)
    {
        var table = new Table().AddColumns("attachment", "VM", "state", "device", "channel");
        foreach (var a in await Attachments(vms))
        {
            table.AddRow(a.AttachmentId, a.VmId, a.Status.ToString(), a.DeviceId ?? "-", a.Handle?.ChannelPath ?? "-");
        }

        console.Write(table);
    }

    private Task<AttachmentView[]> Attachments(IEnumerable<string> vms) =>
        Task.WhenAll(vms.Select(vm => Ask<AttachmentView>(_control.Attachments, new GetAttachment($"arq-{vm}"))));

    private async Task AwaitPlacement(Func<CapacitySnapshot, bool> condition) =>
        await Until(async () => condition(await _control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, Timeout, _cancellation)));

    private async Task Until(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new DemoFailedException("a step did not complete within 30 s");
            }

            await Task.Delay(20, _cancellation);
        }
    }

    private async Task<T> Ask<T>(IActorRef target, object message)
    {
        var reply = await target.Ask<object>(message, Timeout, _cancellation);
        return reply switch
        {
            T typed => typed,
            Rejected rejected => throw new DemoFailedException($"{message.GetType().Name} was refused: {rejected}"),
            _ => throw new DemoFailedException($"{message.GetType().Name}: unexpected answer {reply}"),
        };
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}

public sealed class DemoFailedException(string message) : Exception(message);
