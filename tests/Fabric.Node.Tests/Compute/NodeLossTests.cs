using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Node;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Node.Tests.Compute;

public sealed class NodeLossTests
{
    [Fact]
    public async Task When_a_compute_node_leaves_its_devices_are_lost_and_its_attachments_fail_with_node_lost()
    {
        await using var fabric = await TwoNodeFabric.StartAsync();
        var control = fabric.ControlNode.Control;
        await fabric.Ask<ProfileView>(control.Profiles, new CreateProfile("nl", [new ProfileGroup("sha256", 1)], TwoNodeFabric.NewId()));
        await fabric.Ask<AttachmentView>(control.Attachments, new CreateAttachment("arq-nl", "vm-nl", "nl", TwoNodeFabric.NewId()));
        var realized = await fabric.Ask<VmRealized>(fabric.Agent, new SpawnVm("vm-nl", [new VmAccelerator("arq-nl", null)], TwoNodeFabric.NewId()));
        var deviceId = realized.Attachments[0].DeviceId!;

        await fabric.ComputeNode.DisposeAsync();

        var attachment = await Eventually.For(() => fabric.Ask<AttachmentView>(control.Attachments, new GetAttachment("arq-nl")),
            a => a.Status == AttachmentStatus.Failed, "the attachment to fail", TwoNodeFabric.Timeout);

        Assert.Equal(AttachmentStatus.Failed, attachment.Status);
        Assert.StartsWith("NodeLost", attachment.FailureMessage);
        var device = await fabric.Ask<DeviceView>(control.Devices, new GetDevice(deviceId));
        Assert.Equal(DeviceHealth.Lost, device.Health);
        Assert.Contains(fabric.Host, device.HealthReason);
    }
}
