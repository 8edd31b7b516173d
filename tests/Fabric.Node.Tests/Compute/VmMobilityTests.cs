using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Node.Tests.Compute;

public sealed class VmMobilityTests
{
    [Fact]
    public async Task A_running_VM_can_get_one_more_accelerator_and_a_request_of_another_VM_is_refused()
    {
        await using var fabric = await TwoNodeFabric.StartAsync();
        var control = fabric.ControlNode.Control;
        await fabric.Ask<ProfileView>(control.Profiles, new CreateProfile("hot", [new ProfileGroup("crc32c", 1)], TwoNodeFabric.NewId()));
        await fabric.Ask<AttachmentView>(control.Attachments, new CreateAttachment("arq-h1", "vm-h", "hot", TwoNodeFabric.NewId()));
        await fabric.Ask<AttachmentView>(control.Attachments, new CreateAttachment("arq-h2", "vm-h", "hot", TwoNodeFabric.NewId()));
        await fabric.Ask<AttachmentView>(control.Attachments, new CreateAttachment("arq-other", "vm-other", "hot", TwoNodeFabric.NewId()));
        await fabric.Ask<VmRealized>(fabric.Agent, new SpawnVm("vm-h", [new VmAccelerator("arq-h1", null)], TwoNodeFabric.NewId()));

        var added = await fabric.Ask<VmRealized>(fabric.Agent, new AddVmAccelerator("vm-h", new VmAccelerator("arq-h2", null), TwoNodeFabric.NewId()));
        var foreign = await fabric.Ask<Rejected>(fabric.Agent, new AddVmAccelerator("vm-h", new VmAccelerator("arq-other", null), TwoNodeFabric.NewId()));

        Assert.Equal(AttachmentStatus.Attached, Assert.Single(added.Attachments).Status);
        Assert.Equal(RejectReason.IllegalState, foreign.Reason);
        Assert.Contains("vm-other", foreign.Message);
        var status = await fabric.Ask<NodeStatus>(fabric.Agent, GetNodeStatus.Instance);
        Assert.Equal(["arq-h1", "arq-h2"], status.Queues.Select(q => q.QueueId).Order());
    }

    [Fact]
    public async Task A_VM_moved_to_another_host_has_its_attachment_rebound_and_realized_there_and_released_on_the_old_host()
    {
        await using var fabric = await TwoNodeFabric.StartAsync();
        var control = fabric.ControlNode.Control;
        var (other, otherAgent) = await fabric.StartAnotherComputeNode();
        await using var _ = other;
        await fabric.Ask<ProfileView>(control.Profiles, new CreateProfile("mig", [new ProfileGroup("sha256", 1)], TwoNodeFabric.NewId()));
        await fabric.Ask<AttachmentView>(control.Attachments, new CreateAttachment("arq-m", "vm-m", "mig", TwoNodeFabric.NewId()));
        var before = (await fabric.Ask<VmRealized>(fabric.Agent, new SpawnVm("vm-m", [new VmAccelerator("arq-m", null)], TwoNodeFabric.NewId()))).Attachments[0];
        Assert.Equal(fabric.Host, before.Host);

        // Cold migration: stopped here keeping its reservation, started there.
        await fabric.Ask<VmStopped>(fabric.Agent, new StopVm("vm-m", DeleteAttachments: false, TwoNodeFabric.NewId()));
        var after = (await fabric.Ask<VmRealized>(otherAgent, new SpawnVm("vm-m", [new VmAccelerator("arq-m", null)], TwoNodeFabric.NewId()))).Attachments[0];

        Assert.Equal(other.Options.NodeName, after.Host);
        Assert.Equal(AttachmentStatus.Attached, after.Status);
        Assert.StartsWith(other.Options.NodeName + "/", after.DeviceId);
        Assert.True(File.Exists(after.Handle!.ChannelPath));
        var old = await fabric.Ask<DeviceView>(control.Devices, new GetDevice(before.DeviceId!));
        Assert.Equal(0, old.ReservedQueuePairs);
    }
}
