using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Guest;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Node.Tests.Compute;

public sealed class NodeAgentRealizationTests
{
    [Fact]
    public async Task A_spawned_VM_gets_a_working_channel_and_a_deleted_VM_gives_everything_back()
    {
        await using var fabric = await TwoNodeFabric.StartAsync();
        var control = fabric.ControlNode.Control;
        await fabric.Ask<ProfileView>(control.Profiles, new CreateProfile("seal", [new ProfileGroup("aes-256-gcm", 1)], TwoNodeFabric.NewId()));
        await fabric.Ask<AttachmentView>(control.Attachments, new CreateAttachment("arq-r1", "vm-r1", "seal", TwoNodeFabric.NewId()));

        var realized = await fabric.Ask<VmRealized>(fabric.Agent, new SpawnVm("vm-r1", [new VmAccelerator("arq-r1", null)], TwoNodeFabric.NewId()));

        var view = Assert.Single(realized.Attachments);
        Assert.Equal(AttachmentStatus.Attached, view.Status);
        Assert.Equal(fabric.Host, view.Host);
        var handle = view.Handle!;
        // The handle names a socket that hands over a sealed memfd, in this node's own 0700 folder.
        Assert.True(Fabric.Dataplane.Handoff.ChannelClient.IsChannelSocket(handle.ChannelPath), $"{handle.ChannelPath} is not a channel socket");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(handle.ChannelPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(handle.ChannelPath)!));
        Assert.EndsWith($"{fabric.Host}-{Akka.Cluster.Cluster.Get(fabric.ComputeNode.System).SelfAddress.Port}", Path.GetDirectoryName(handle.ChannelPath));

        // The guest seals a block through the channel; the test opens it with the same key.
        var key = RandomNumberGenerator.GetBytes(32);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var plaintext = RandomNumberGenerator.GetBytes(1024);
        byte[] sealedBytes;
        using (var guest = GuestChannel.Open(handle.ChannelPath))
        {
            var session = guest.OpenSession(key, 0, TwoNodeFabric.Timeout);
            plaintext.CopyTo(guest.Slot(1));
            var d = new SubmissionDescriptor
            {
                Tag = 7, Op = OpCode.Forward, Session = session, InSlot = 1, InLength = (uint)plaintext.Length,
                OutSlot = 2, OutCapacity = (uint)guest.SlotSize,
            };
            nonce.CopyTo(d.Param);
            var completion = guest.SubmitAndWait(d, TwoNodeFabric.Timeout);
            Assert.Equal(OpStatus.Ok, completion.Status);
            Assert.Equal(7UL, completion.Tag);
            sealedBytes = guest.Slot(2)[..(int)completion.OutLength].ToArray();
        }

        var opened = new byte[plaintext.Length];
        using (var aes = new AesGcm(key, 16))
        {
            aes.Decrypt(nonce, sealedBytes[..^16], sealedBytes[^16..], opened);
        }

        Assert.Equal(plaintext, opened);

        var stopped = await fabric.Ask<VmStopped>(fabric.Agent, new StopVm("vm-r1", DeleteAttachments: true, TwoNodeFabric.NewId()));
        Assert.Equal(["arq-r1"], stopped.Attachments);
        Assert.False(File.Exists(handle.ChannelPath));
        var after = await fabric.Ask<AttachmentView>(control.Attachments, new GetAttachment("arq-r1"));
        Assert.Equal(AttachmentStatus.Deleted, after.Status);
        var device = await fabric.Ask<DeviceView>(control.Devices, new GetDevice(view.DeviceId!));
        Assert.Equal(0, device.ReservedQueuePairs);
    }

    [Fact]
    public async Task A_VM_whose_attachment_cannot_be_bound_is_refused_and_nothing_stays_realized()
    {
        await using var fabric = await TwoNodeFabric.StartAsync();
        var control = fabric.ControlNode.Control;
        await fabric.Ask<ProfileView>(control.Profiles, new CreateProfile("big", [new ProfileGroup("aes-256-gcm", 40)], TwoNodeFabric.NewId()));
        await fabric.Ask<ProfileView>(control.Profiles, new CreateProfile("small", [new ProfileGroup("sha256", 1)], TwoNodeFabric.NewId()));
        await fabric.Ask<AttachmentView>(control.Attachments, new CreateAttachment("arq-ok", "vm-x", "small", TwoNodeFabric.NewId()));
        await fabric.Ask<AttachmentView>(control.Attachments, new CreateAttachment("arq-big", "vm-x", "big", TwoNodeFabric.NewId()));

        var rejected = await fabric.Ask<Rejected>(fabric.Agent, new SpawnVm("vm-x",
            [new VmAccelerator("arq-ok", null), new VmAccelerator("arq-big", null)], TwoNodeFabric.NewId()));

        Assert.Equal(RejectReason.NoCapacity, rejected.Reason);
        var status = await fabric.Ask<NodeStatus>(fabric.Agent, GetNodeStatus.Instance);
        Assert.Empty(status.Queues);
        var ok = await fabric.Ask<AttachmentView>(control.Attachments, new GetAttachment("arq-ok"));
        Assert.Equal(AttachmentStatus.Detached, ok.Status);
    }

    [Fact]
    public async Task A_guest_that_corrupts_its_channel_gets_its_queue_faulted_visibly_and_its_attachment_failed()
    {
        await using var fabric = await TwoNodeFabric.StartAsync();
        var control = fabric.ControlNode.Control;
        await fabric.Ask<ProfileView>(control.Profiles, new CreateProfile("fault", [new ProfileGroup("sha256", 1)], TwoNodeFabric.NewId()));
        await fabric.Ask<AttachmentView>(control.Attachments, new CreateAttachment("arq-f1", "vm-f1", "fault", TwoNodeFabric.NewId()));
        var realized = await fabric.Ask<VmRealized>(fabric.Agent, new SpawnVm("vm-f1", [new VmAccelerator("arq-f1", null)], TwoNodeFabric.NewId()));
        var handle = Assert.Single(realized.Attachments).Handle!;

        // A hostile guest maps its channel and moves its submission tail far past the ring.
        using (var fd = Fabric.Dataplane.Handoff.ChannelClient.Receive(handle.ChannelPath, TwoNodeFabric.Timeout))
        using (var stream = new FileStream(fd, FileAccess.ReadWrite, 0))
        using (var map = System.IO.MemoryMappedFiles.MemoryMappedFile.CreateFromFile(stream, null, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true))
        using (var view = map.CreateViewAccessor(0, ChannelLayout.HeaderSize))
        {
            view.Write(ChannelLayout.SqTailOffset, 1_000_000UL);
        }

        var queue = await Eventually(async () => (await fabric.Ask<NodeStatus>(fabric.Agent, GetNodeStatus.Instance)).Queues.Single(q => q.QueueId == "arq-f1"),
            q => q.State == "Faulted");
        Assert.Equal("Faulted", queue.State);
        Assert.Contains("submission tail 1000000", queue.FaultReason);
        var failed = await Eventually(() => fabric.Ask<AttachmentView>(control.Attachments, new GetAttachment("arq-f1")), a => a.Status == AttachmentStatus.Failed);
        Assert.Equal(AttachmentStatus.Failed, failed.Status);
        Assert.Contains("channel faulted", failed.FailureMessage);

        // Deleting the VM still removes the queue and gives the capacity back.
        var stopped = await fabric.Ask<VmStopped>(fabric.Agent, new StopVm("vm-f1", DeleteAttachments: true, TwoNodeFabric.NewId()));
        Assert.Equal(["arq-f1"], stopped.Attachments);
        Assert.False(File.Exists(handle.ChannelPath));
    }

    /// <summary>Reads until <paramref name="done"/> holds; fails with the last reading once the fabric's timeout passes.</summary>
    private static Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done) =>
        Fabric.Testing.Eventually.For(read, done, "the reading", TwoNodeFabric.Timeout, TimeSpan.FromMilliseconds(20));
}
