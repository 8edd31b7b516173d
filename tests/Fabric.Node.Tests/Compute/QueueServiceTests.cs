using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Engine;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Node.Compute;
using Xunit;

namespace Fabric.Node.Tests.Compute;

/// <summary>What the AC's answers to the queues a VM saga asks for mean for the agent and the saga, without actors.</summary>
public sealed class QueueServiceTests
{
    private const string Crypto = "h/sw0";
    private const string Other = "h/sw1";
    private static readonly ResetPolicy Policy = new(3, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(3));

    private static readonly ComputeState Placed = ComputeState.Of("h",
    [
        new DeviceSpec(Crypto, "sw0", "crypto", ["aes-256-gcm"], 4, FaultInjecting: false),
        new DeviceSpec(Other, "sw1", "crypto", ["aes-256-gcm"], 4, FaultInjecting: false),
    ], Policy).Apply(new QueuePlaced("q1", "vm-1", Crypto, "aes-256-gcm", "r"));

    private static readonly OpenQueue Open = new("q1", "vm-1", Crypto, "aes-256-gcm", "r", ServiceLevel.BestEffort);

    [Fact]
    public void A_queue_the_AC_serves_is_attached_with_a_channel_handle_its_standby_armed_and_the_saga_gets_the_handle()
    {
        var geometry = ChannelGeometry.Default;
        var (state, effects, answer) = QueueService.Served(Placed, Open, new QueueAdded("q1", "/run/fabric/q1.sock", geometry, 0, new QueueCounters()));

        var opened = Assert.IsType<QueueOpened>(answer);
        Assert.Equal(("/run/fabric/q1.sock", geometry.SqEntries, geometry.SlotSize), (opened.Handle.ChannelPath, opened.Handle.SubmissionRingSize, opened.Handle.SlotSize));
        Assert.Equal(opened.Handle, state.Queues["q1"].Handle);
        Assert.Contains(effects, e => e is SetServiceLevel s && s.Change.QueueId == "q1");
        Assert.Contains(effects, e => e is ArmQueueStandby { QueueId: "q1", Device.DeviceId: Other });
    }

    [Fact]
    public void A_vhost_queue_is_answered_with_a_vhost_user_handle()
    {
        var (_, _, answer) = QueueService.Served(Placed, Open with { VhostSocket = "/run/fabric/v.sock" }, new QueueAdded("q1", "/run/fabric/v.sock", ChannelGeometry.Default, 0, new QueueCounters()));

        Assert.Equal("/run/fabric/v.sock", Assert.IsType<QueueOpened>(answer).Handle.VhostUserSocket);
    }

    [Fact]
    public void A_queue_the_AC_refused_or_did_not_answer_is_released_and_the_saga_gets_why()
    {
        var (state, _, answer) = QueueService.Served(Placed, Open, new QueueNotAdded("q1", "no EAL"));
        Assert.False(state.Queues.ContainsKey("q1"));
        Assert.Equal(new Rejected(RejectReason.IllegalState, "no EAL"), answer);

        var timeout = new Rejected(RejectReason.Timeout, "ac did not answer AddQueue");
        Assert.Equal(timeout, QueueService.Served(Placed, Open, timeout).Answer);
    }

    [Fact]
    public void A_VF_closes_at_once_a_drained_queue_is_released_and_a_silent_AC_keeps_it()
    {
        var vf = Placed.Apply(new VfTaken("v1", "vm-1", Crypto, "0000:01:00.1", new PciAttachHandle("h", "0000:01:00.1"), "r"));
        Assert.Equal(new QueueClosed("v1", 0), QueueService.ClosedAtOnce(vf, "v1")?.Answer);
        Assert.Null(QueueService.ClosedAtOnce(vf, "q1"));

        var (drained, _, closed) = QueueService.Closed(Placed, "q1", 7, "ac");
        Assert.Equal(new QueueClosed("q1", 7), closed);
        Assert.False(drained.Queues.ContainsKey("q1"));

        var (kept, _, silent) = QueueService.Closed(Placed, "q1", -1, "ac");
        Assert.Equal(RejectReason.Timeout, Assert.IsType<Rejected>(silent).Reason);
        Assert.True(kept.Queues.ContainsKey("q1"));
    }

    [Fact]
    public void A_leaving_node_releases_and_drains_its_AC_queues_but_not_its_VFs()
    {
        var state = Placed.Apply(new VfTaken("v1", "vm-1", Crypto, "0000:01:00.1", new PciAttachHandle("h", "0000:01:00.1"), "r"));

        var (after, drain) = QueueService.Drained(state);

        Assert.Equal(["q1"], drain.QueueIds);
        Assert.Equal(["v1"], after.Queues.Keys);
    }
}
