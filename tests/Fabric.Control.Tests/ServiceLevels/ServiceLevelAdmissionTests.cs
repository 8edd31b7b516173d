using Fabric.Control.Tests.Support;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.ServiceLevels;

/// <summary>
/// Admission through a real one-process fabric on SQLite (issue 19): a device of the default rates (1,000,000 ops/s,
/// hocon/fabric.conf) never commits more than it has, to binds or to changed levels, and all of it survives a restart.
/// </summary>
public sealed class ServiceLevelAdmissionTests
{
    private static readonly ServiceLevel Gold = new(4, 600_000, 0, 0, 0, ServiceClass.Latency);

    [Fact]
    public async Task Committed_rates_are_never_oversold_by_a_bind_or_a_changed_level_and_come_back_after_a_restart()
    {
        var database = TestNode.NewDatabasePath();
        await using (var node = await TestNode.StartAsync(database))
        {
            await node.RegisterDevice("host-q", "sw0", 4, "aes-256-gcm");
            var profile = await node.Expect<ProfileView>(node.Control.Profiles,
                new CreateProfile("gold", [new ProfileGroup("aes-256-gcm", 1)], TestNode.NewId(), null, Gold));
            Assert.Equal(Gold, profile.Level);
            await node.AwaitPlacementSeesDevices(1);

            var first = await CreateAndBind(node, "q-1");
            Assert.Equal(AttachmentStatus.Bound, first.Status);
            Assert.Equal(Gold, first.Level);
            var device = await node.Expect<DeviceView>(node.Control.Devices, new GetDevice("host-q/sw0"));
            Assert.Equal((600_000L, 1_000_000L), (device.CommittedOps, device.CapacityOps));

            // Queue pairs are free, committed ops/s are not: the second bind is refused and says why.
            var second = await CreateAndBind(node, "q-2");
            Assert.Equal(AttachmentStatus.BindFailed, second.Status);
            Assert.Equal(RejectReason.NoCapacity, second.FailureReason);
            Assert.Contains("600000 ops/s not yet committed", second.FailureMessage);

            // A raise that would oversell is refused and changes nothing; a cut frees what the second needs.
            var refused = await node.ExpectRejected(node.Control.Attachments,
                new SetAttachmentServiceLevel("q-1", Gold with { CommittedOpsPerSecond = 1_200_000 }, TestNode.NewId()), RejectReason.NoCapacity);
            Assert.Equal("attachment q-1: the service level was not changed: device host-q/sw0: 0 of 1000000 ops/s are committed to others, 1200000 more would oversell it",
                refused.Message);
            Assert.Equal(Gold, (await node.Expect<AttachmentView>(node.Control.Attachments, new GetAttachment("q-1"))).Level);

            var cut = await node.Expect<AttachmentView>(node.Control.Attachments,
                new SetAttachmentServiceLevel("q-1", Gold with { CommittedOpsPerSecond = 300_000 }, TestNode.NewId()));
            Assert.Equal(300_000, cut.Level!.CommittedOpsPerSecond);
            var rebound = await node.Expect<AttachmentView>(node.Control.Attachments, new BindAttachment("q-2", null, TestNode.NewId()));
            Assert.Equal(AttachmentStatus.Bound, rebound.Status);
            device = await node.Expect<DeviceView>(node.Control.Devices, new GetDevice("host-q/sw0"));
            Assert.Equal(900_000, device.CommittedOps);
            Assert.Equal(300_000, device.HeldOps!["q-1"]);
        }

        await using (var node = await TestNode.StartAsync(database))
        {
            var device = await node.Expect<DeviceView>(node.Control.Devices, new GetDevice("host-q/sw0"));
            Assert.Equal(900_000, device.CommittedOps);
            var first = await node.Expect<AttachmentView>(node.Control.Attachments, new GetAttachment("q-1"));
            Assert.Equal(Gold with { CommittedOpsPerSecond = 300_000 }, first.Level);
            await node.AwaitPlacementSees(s => s.Devices.Any(d => d.DeviceId == "host-q/sw0" && d.CommittedOps == 900_000 && d.CapacityOps == 1_000_000));

            // A bad level is refused before any device is asked.
            await node.ExpectRejected(node.Control.Attachments,
                new SetAttachmentServiceLevel("q-1", Gold with { Weight = 0 }, TestNode.NewId()), RejectReason.InvalidArgument);
        }

        TestNode.TryDelete(database);
    }

    private static async Task<AttachmentView> CreateAndBind(TestNode node, string id)
    {
        await node.Expect<AttachmentView>(node.Control.Attachments, new CreateAttachment(id, "vm-" + id, "gold", TestNode.NewId()));
        return await node.Expect<AttachmentView>(node.Control.Attachments, new BindAttachment(id, null, TestNode.NewId()));
    }
}
