using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Guest;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Node;
using Fabric.Messages.Profiles;
using Fabric.Node.Compute;
using Xunit;

namespace Fabric.Node.Tests.Compute;

public sealed class DeviceFailoverTests
{
    [Fact]
    public async Task A_device_failing_past_its_restart_budget_moves_the_queue_to_software_without_losing_an_operation()
    {
        await using var fabric = await TwoNodeFabric.StartAsync();
        var control = fabric.ControlNode.Control;
        var software = $"{fabric.Host}/sw-crypto-0";
        var faulty = $"{fabric.Host}/{ComputeRole.FaultInjectingDeviceName}";

        // Steer the bind to the fault-injecting device: the software one is briefly out of the running.
        await fabric.Ask<DeviceView>(control.Devices, new SetDeviceHealth(software, DeviceHealth.Failed, "test: steer placement", TwoNodeFabric.NewId()));
        await fabric.AwaitPlacement(s => s.Devices.Any(d => d.DeviceId == software && d.Health == DeviceHealth.Failed));
        await fabric.Ask<ProfileView>(control.Profiles, new CreateProfile("fo", [new ProfileGroup("aes-256-gcm", 1)], TwoNodeFabric.NewId()));
        await fabric.Ask<AttachmentView>(control.Attachments, new CreateAttachment("arq-fo", "vm-fo", "fo", TwoNodeFabric.NewId()));
        var realized = await fabric.Ask<VmRealized>(fabric.Agent, new SpawnVm("vm-fo", [new VmAccelerator("arq-fo", null)], TwoNodeFabric.NewId()));
        Assert.Equal(faulty, realized.Attachments[0].DeviceId);
        await fabric.Ask<DeviceView>(control.Devices, new SetDeviceHealth(software, DeviceHealth.Healthy, "test: back", TwoNodeFabric.NewId()));
        await fabric.AwaitPlacement(s => s.Devices.Any(d => d.DeviceId == software && d.Health == DeviceHealth.Healthy));

        using var stop = new CancellationTokenSource();
        var movedAt = -1L;
        var guest = Task.Run(() => StreamSeals(realized.Attachments[0].Handle!.ChannelPath, () => Volatile.Read(ref movedAt), stop.Token));

        await fabric.Ask<NodeDevice>(fabric.Agent, new InjectDeviceFault(faulty, "throw", TwoNodeFabric.NewId()));
        var moved = await Eventually(async () =>
        {
            var view = await fabric.Ask<AttachmentView>(control.Attachments, new GetAttachment("arq-fo"));
            return view.DeviceId == software && view.Status == AttachmentStatus.Attached ? view : null;
        });
        Interlocked.Exchange(ref movedAt, 1);
        // The queues move first; the device is marked Failed right after.
        await Eventually(async () =>
        {
            var device = await fabric.Ask<DeviceView>(control.Devices, new GetDevice(faulty));
            return device.Health == DeviceHealth.Failed ? device : null;
        });
        Assert.Equal(moved.Handle, realized.Attachments[0].Handle);

        var counts = await guest;
        Assert.Equal(0, counts.Lost);
        Assert.Equal(counts.Submitted, counts.Ok + counts.Errors);
        Assert.True(counts.Errors > 0, "the injected fault reached the guest as error completions");
        Assert.True(counts.OkAfterMove >= 200, $"the stream went on on the software driver ({counts.OkAfterMove} ok after the move)");

        // Repaired, the device passes its probe and is healthy again.
        await fabric.Ask<NodeDevice>(fabric.Agent, new RepairDevice(faulty, TwoNodeFabric.NewId()));
        await Eventually(async () =>
        {
            var device = await fabric.Ask<DeviceView>(control.Devices, new GetDevice(faulty));
            return device.Health == DeviceHealth.Healthy ? device : null;
        });
    }

    private sealed record Counts(long Submitted, long Ok, long Errors, long Lost, long OkAfterMove);

    /// <summary>The guest: seals 1 KiB blocks one at a time until 200 have succeeded after the move.</summary>
    private static Counts StreamSeals(string path, Func<long> moved, CancellationToken stop)
    {
        using var channel = GuestChannel.Open(path);
        var session = channel.OpenSession(RandomNumberGenerator.GetBytes(32), 0, TwoNodeFabric.Timeout);
        RandomNumberGenerator.Fill(channel.Slot(1)[..1024]);
        long submitted = 0, ok = 0, errors = 0, lost = 0, okAfterMove = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (okAfterMove < 200 && !stop.IsCancellationRequested && DateTime.UtcNow < deadline)
        {
            var d = new SubmissionDescriptor
            {
                Tag = (ulong)submitted, Op = OpCode.Forward, Session = session, InSlot = 1, InLength = 1024,
                OutSlot = 2, OutCapacity = (uint)channel.SlotSize,
            };
            BitConverter.TryWriteBytes(d.Param, submitted);
            submitted++;
            try
            {
                var c = channel.SubmitAndWait(d, TwoNodeFabric.Timeout);
                if (c.Tag != d.Tag)
                {
                    lost++;
                }
                else if (c.Status == OpStatus.Ok)
                {
                    ok++;
                    if (moved() > 0)
                    {
                        okAfterMove++;
                    }
                }
                else
                {
                    errors++;
                }
            }
            catch (TimeoutException)
            {
                lost++;
            }
        }

        return new Counts(submitted, ok, errors, lost, okAfterMove);
    }

    private static Task<T> Eventually<T>(Func<Task<T?>> probe)
        where T : class =>
        Fabric.Testing.Eventually.Found(probe, "the condition", TwoNodeFabric.Timeout, TimeSpan.FromMilliseconds(20));
}
