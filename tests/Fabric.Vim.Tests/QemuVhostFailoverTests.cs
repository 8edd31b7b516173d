using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Actor;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;
using Fabric.Dataplane.Dpdk;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Fabric.Node.Compute;
using Fabric.Node.Dpdk;
using Fabric.Node.Hio;
using Fabric.Node.Vm;
using Xunit;
using Xunit.Abstractions;

namespace Fabric.Vim.Tests;

/// <summary>
/// Issue 16 item 4: the device behind a running QEMU guest's vhost-user attachment fails, and its queue moves to
/// another device of the host while the guest's kernel keeps using virtio-crypto. The node runs in this test's process
/// (a control + compute fabric on 127.0.0.1) so that the test can inject the fault into the node agent; EAL starts
/// here once (no other test of this suite starts EAL in-process).
/// </summary>
public sealed class QemuVhostFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan s_ask = TimeSpan.FromSeconds(30);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fabric-vim-vfo", Guid.NewGuid().ToString("N")[..12]);
    private FabricNode? _node;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // The node's QEMU children end with it.
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_device_failing_under_a_running_QEMU_guest_moves_its_vhost_user_queue_and_the_guest_sees_errors_only_for_requests_in_flight()
    {
        Assert.True(QemuMachine.Find() is not null, "qemu-system-x86_64 not found (./test.sh installs it: apt-get install qemu-system-x86)");
        var root = GuestImage.RepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("Fabric.sln not found");
        var imageDir = Path.Combine(root, "data", "guest");
        var (image, error) = GuestImage.Build(imageDir, Path.Combine(root, "scripts", "guest-image.sh"));
        Assert.True(image is not null, error);
        var reason = "";
        Assert.True(DpdkEal.IsRunning || DpdkEal.TryStart(new DpdkEalOptions { FilePrefix = $"fabric-vim-vfo-{Environment.ProcessId}" }, out reason), reason);

        var host = "vfo-host";
        _node = await FabricNode.StartAsync(new FabricOptions
        {
            Port = 0, NodeName = host, Database = Path.Combine(_folder, "fabric.db"), LogLevel = "WARNING",
            ExtraHocon = $"fabric.node.fault-injection-device = on\nfabric.node.vm.directory = \"{_folder}/vms\"\nfabric.node.vm.vhost-directory = \"{_folder}/vhost\"",
        }, s_ask);
        var settings = ComputeSettings.From(_node.System.Settings.Config);
        var hio = new HioScanner(Path.Combine(_folder, "no-sysfs")).Discover(settings.SoftwareQueuePairs);
        var agent = ComputeRole.Start(_node, VhostAttach.Offer(ComputeRole.Devices(host, hio, settings), DpdkEal.IsRunning), settings);
        var control = _node.Control;
        var software = $"{host}/sw-crypto-0";
        var faulty = $"{host}/{ComputeRole.FaultInjectingDeviceName}";
        await Placement(s => s.Devices.Count(d => d.Node == host) >= 3);

        // Steer the bind to the fault-injecting device: the software one is briefly out of the running.
        await Ask<DeviceView>(control.Devices, new SetDeviceHealth(software, DeviceHealth.Failed, "test: steer placement", NewId()));
        await Placement(s => s.Devices.Any(d => d.DeviceId == software && d.Health == DeviceHealth.Failed));
        await Ask<ProfileView>(control.Profiles, new CreateProfile("vfo", [new ConstrainedGroup("aes-cbc", 1, null, null, null, DeviceTraits.VhostUserAttach)], NewId()));
        await Ask<AttachmentView>(control.Attachments, new CreateAttachment("arq-vfo", "vm-vfo", "vfo", NewId()));
        var spawned = await Ask<VmRealized>(agent, new SpawnVm("vm-vfo", [new VmAccelerator("arq-vfo", null)], NewId(),
            new VmMachine("qemu", 256, 1, imageDir, ["fabric.seconds=10", "fabric.hold=1"])), s_bound);
        Assert.Equal(faulty, spawned.Attachments[0].DeviceId);
        Assert.NotNull(spawned.Attachments[0].Handle?.VhostUserSocket);
        await Ask<DeviceView>(control.Devices, new SetDeviceHealth(software, DeviceHealth.Healthy, "test: back", NewId()));
        await Placement(s => s.Devices.Any(d => d.DeviceId == software && d.Health == DeviceHealth.Healthy));

        // The guest passed its known answers on the faulty device's driver and runs its throughput loop through it.
        var console = spawned.Machine!.ConsoleLog;
        await Eventually.Until(() => File.Exists(console) && File.ReadAllText(console).Contains("FABRIC-KAT "), "the guest did not run its known answers", s_bound, TimeSpan.FromMilliseconds(500));
        Assert.Contains("FABRIC-KAT passed=4 failed=0", File.ReadAllText(console));
        var before = await QueueOf(agent);
        await Eventually.For(() => QueueOf(agent), q => q.Ops >= before.Ops + 50, "the guest's loop did not reach the AC", s_bound, TimeSpan.FromMilliseconds(200));

        var atFault = await QueueOf(agent);
        await Ask<NodeDevice>(agent, new InjectDeviceFault(faulty, "throw", NewId()));
        var moved = await Eventually.For(() => Ask<AttachmentView>(control.Attachments, new GetAttachment("arq-vfo")),
            v => v.DeviceId == software && v.Status == AttachmentStatus.Attached, "the attachment did not move to the software device", s_bound, TimeSpan.FromMilliseconds(200));
        Assert.Equal(spawned.Attachments[0].Handle, moved.Handle);

        // The guest's loop runs to its end (a failed request is counted and the loop goes on), its line printed.
        await Eventually.Until(() => File.ReadAllText(console).Contains("FABRIC-HOLD"), "the guest's loop did not finish", s_bound, TimeSpan.FromMilliseconds(500));
        var text = File.ReadAllText(console);
        output.WriteLine(text);
        var loop = Regex.Match(text, @"FABRIC-THROUGHPUT driver=virtio_crypto_aes_cbc size=4096 ops=(\d+) seconds=([0-9.]+) .* errors=(\d+)");
        Assert.True(loop.Success, "the guest printed no virtio-crypto throughput line");
        var loopOps = long.Parse(loop.Groups[1].Value, CultureInfo.InvariantCulture);
        var guestErrors = long.Parse(loop.Groups[3].Value, CultureInfo.InvariantCulture);

        // The queue is on the software device now; the AC failed only what was in flight when the driver threw (the guest
        // has one request in flight at a time), the guest saw exactly those errors, and its loop went on being served.
        var after = await QueueOf(agent);
        output.WriteLine($"queue after the failover: {after}; guest loop: {loopOps} ops in {loop.Groups[2].Value} s");
        Assert.Equal(software, after.DeviceId);
        Assert.InRange(after.Errors, 0, 1);
        Assert.Equal(after.Errors, guestErrors);
        Assert.True(after.Ops >= loopOps + guestErrors + 4, $"the AC counted {after.Ops} ops, the guest ran {loopOps} (+{guestErrors} failed) + 4 KATs");
        Assert.True(after.Ops - atFault.Ops >= 50, $"only {after.Ops - atFault.Ops} requests were served after the fault");
        var seconds = double.Parse(loop.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(seconds >= 10, $"the guest's loop ended after {seconds} s, before its 10 s"); 

        var stopped = await Ask<VmStopped>(agent, new StopVm("vm-vfo", true, NewId()), s_bound);
        Assert.Equal(["arq-vfo"], stopped.Attachments);
    }

    private async Task<NodeQueue> QueueOf(IActorRef agent) =>
        (await Ask<NodeStatus>(agent, GetNodeStatus.Instance)).Queues.Single(q => q.QueueId == "arq-vfo");

    private Task Placement(Func<CapacitySnapshot, bool> condition) =>
        Eventually.For(() => _node!.Control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, s_ask), condition,
            "placement did not reach the expected state", s_ask, TimeSpan.FromMilliseconds(50));

    private static async Task<T> Ask<T>(IActorRef actor, object message, TimeSpan? within = null)
    {
        var reply = await actor.Ask<object>(message, within ?? s_ask);
        return reply is T typed ? typed : throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}, got {(reply is Rejected r ? r.ToString() : reply)}");
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}
