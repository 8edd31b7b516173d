using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Node.Compute;
using Xunit;

namespace Fabric.Node.Tests.Compute;

/// <summary>What the node agent's decisions mean outside its state (swaps, standbys, the AML, probes) and what its status shows, without actors.</summary>
public sealed class ComputeEffectsTests
{
    private const string Faulty = "h/fi0";
    private const string Software = "h/sw0";
    private const string Small = "h/sw1";
    private const string Vfs = "h/vf0";
    private static readonly AttachHandle Handle = new("h", "/run/fabric/q.sock", 2, 256, 256, 64, 16384);
    private static readonly ResetPolicy Policy = new(3, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(3));

    private static readonly DeviceSpec[] Devices =
    [
        new(Faulty, "fi0", "crypto", ["aes-256-gcm", "sha256"], 32, FaultInjecting: true),
        new(Software, "sw0", "crypto", ["aes-256-gcm", "sha256"], 16, FaultInjecting: false),
        new(Small, "sw1", "crypto", ["aes-256-gcm"], 2, FaultInjecting: false),
        new(Vfs, "vf0", "pci", ["aes-256-gcm"], 2, FaultInjecting: false, PciFunctions: ["0000:01:00.1", "0000:01:00.2"]),
    ];

    /// <summary>Queues served on the faulty device as the agent serves them: placed, attached, their standbys armed.</summary>
    private static ComputeState Served(params string[] queues) => queues.Aggregate(ComputeState.Of("h", Devices, Policy), (state, q) =>
        ComputeEffects.Settle(state.Apply(new QueuePlaced(q, $"vm-{q}", Faulty, "aes-256-gcm", "r")), new QueueAttached(q, Handle)).State);

    private static string[] SwapsOf(string queue, params IReadOnlyList<ComputeEffect>[] effects) =>
        effects.SelectMany(e => e).OfType<SwapQueueDriver>().Where(s => s.QueueId == queue).Select(s => s.Device.DeviceId).ToArray();

    [Fact]
    public void A_served_queue_is_armed_with_a_standby_driver_of_the_freest_other_device()
    {
        var effects = ComputeEffects.Settle(ComputeState.Of("h", Devices, Policy).Apply(new QueuePlaced("q1", "vm-1", Faulty, "aes-256-gcm", "r")), new QueueAttached("q1", Handle)).Effects;

        var arm = Assert.IsType<ArmQueueStandby>(Assert.Single(effects));
        Assert.Equal(("q1", "aes-256-gcm", Software), (arm.QueueId, arm.Chain, arm.Device?.DeviceId));
    }

    [Fact]
    public void A_reset_swap_that_lands_after_the_workers_failover_is_followed_by_a_swap_back_to_where_the_worker_put_the_queue()
    {
        var state = Served("q1", "q2");

        // q1's worker fails over to its standby: the device's first fault resets it at once, a fresh driver of it behind q2.
        (state, _, var first) = ComputeEffects.Decide(state, new NoteDriverFault("q1", 0, "threw", 1000, FailedOverTo: Software, NewGeneration: 1));
        Assert.Equal([Faulty], SwapsOf("q2", first));

        // q2's worker had failed over to its standby too, before that swap reached it: the swap lands after the switch.
        (state, _, var second) = ComputeEffects.Decide(state, new NoteDriverFault("q2", 0, "threw", 1001, FailedOverTo: Software, NewGeneration: 1));

        // The last driver the agent puts behind q2 is of the device the worker chose, as the state says.
        Assert.Equal([Faulty, Software], SwapsOf("q2", first, second));
        var q2 = state.Queues["q2"];
        Assert.Equal((Software, Faulty), (q2.DeviceId, q2.MovedFrom));
        // Generations: the failover (1), the late reset swap (2), the swap back (3); the late swap's driver's faults do not count.
        Assert.Equal(3u, q2.Generation);
        Assert.Empty(state.Decide(new NoteDriverFault("q2", 2, "threw", 1002)).Events);
        // The fault was of a driver the reset had already replaced: the device's budget counts it once.
        Assert.Single(state.Devices[Faulty].ResetsAtMs);
        Assert.Contains(second, e => e is RebindQueue { QueueId: "q2" });
    }

    [Fact]
    public void A_failover_of_the_driver_a_reset_put_there_needs_no_swap_back_and_counts_against_the_budget()
    {
        var state = Served("q1", "q2");
        (state, _, _) = ComputeEffects.Decide(state, new NoteDriverFault("q1", 0, "threw", 1000, FailedOverTo: Software, NewGeneration: 1));
        state = state.Apply(new DriverReplaced("q2", 1));

        // The reset's driver (generation 1) is the one that failed: no swap of this node's is in flight.
        (state, var decision, var effects) = ComputeEffects.Decide(state, new NoteDriverFault("q2", 1, "threw", 1001, FailedOverTo: Software, NewGeneration: 2));

        Assert.Empty(SwapsOf("q2", effects));
        Assert.Equal((Software, 2u), (state.Queues["q2"].DeviceId, state.Queues["q2"].Generation));
        Assert.IsType<DeviceResetScheduled>(decision.Events[1]);
        Assert.Contains(effects, e => e is ResetLater { DeviceId: Faulty });
    }

    [Fact]
    public void A_device_past_its_budget_moves_its_queues_is_probed_and_is_marked_failed_on_the_AML_after_its_queues_moved()
    {
        var state = Served("q1") with { Policy = Policy with { Budget = 0 } };

        var (after, _, effects) = ComputeEffects.Decide(state, new NoteDriverFault("q1", 0, "threw", 1000));

        Assert.Equal([Software], SwapsOf("q1", effects));
        Assert.Contains(effects, e => e is StartProbing p && p.Device.DeviceId == Faulty);
        Assert.Contains(effects, e => e is RebindQueue { QueueId: "q1", FromDevice: Faulty });
        var health = Assert.IsType<ReportHealth>(effects.Last(e => e is not ArmQueueStandby));
        Assert.Equal((Faulty, DeviceHealth.Failed), (health.DeviceId, health.Health));
        Assert.Equal(DeviceCondition.Failed, after.Devices[Faulty].Condition);

        // An injected fault on the failed device goes to its prober, not to queues; a passed probe reports it healthy.
        Assert.Contains(ComputeEffects.Decide(after, new SwitchFault(Faulty, null)).Effects, e => e is TellProber);
        var recovered = ComputeEffects.Settle(after, new DeviceRecovered(Faulty)).Effects;
        Assert.Contains(recovered, e => e is ReportHealth { DeviceId: Faulty, Health: DeviceHealth.Healthy });
        Assert.Contains(recovered, e => e is ProbingDone { DeviceId: Faulty });
    }

    [Fact]
    public void A_reset_of_a_device_none_of_whose_queues_is_left_is_checked_by_one_probe()
    {
        var (_, _, effects) = ComputeEffects.Decide(Served(), new NoteDeviceFault(Faulty, "probe op threw", 1000));

        var probe = Assert.IsType<ProbeOnce>(Assert.Single(effects, e => e is not Note));
        Assert.Equal(Faulty, probe.Device.DeviceId);
    }

    [Fact]
    public void A_faulted_channel_fails_its_attachment_and_the_AML_hears_a_served_device_is_healthy()
    {
        var state = Served("q1");

        Assert.Contains(ComputeEffects.ChannelFaulted(state, "q1", "bad index"), e => e is ReportQueueFailed { QueueId: "q1", Reason: "channel faulted: bad index" });
        Assert.Empty(ComputeEffects.ChannelFaulted(state, "gone", "bad index"));
        Assert.IsType<ReportHealth>(Assert.Single(ComputeEffects.ServedAgain(state, Software)));
        Assert.Empty(ComputeEffects.ServedAgain(state, "h/nope"));
    }

    [Fact]
    public void VFs_go_whole_to_one_attachment_each_an_attachment_gets_its_own_back_and_none_is_left_for_a_third()
    {
        var state = ComputeState.Of("h", Devices, Policy);
        (state, var a, _) = ComputeEffects.Decide(state, new TakeVf("a", "vm-a", Vfs, null, "r"));
        (state, var b, _) = ComputeEffects.Decide(state, new TakeVf("b", "vm-b", Vfs, "0000:01:00.1", "r"));

        Assert.Equal("0000:01:00.1", Assert.IsType<VfTaken>(Assert.Single(a.Events)).Vf);
        Assert.Equal("0000:01:00.2", Assert.IsType<VfTaken>(Assert.Single(b.Events)).Vf);
        Assert.Equal("0000:01:00.1", Assert.IsType<VfTaken>(Assert.Single(state.Decide(new TakeVf("a", "vm-a", Vfs, null, "r2")).Events)).Vf);
        Assert.Equal(RejectReason.NoCapacity, state.Decide(new TakeVf("c", "vm-c", Vfs, null, "r")).Refusal!.Reason);
        Assert.Equal(RejectReason.NoCapacity, state.Decide(new TakeVf("c", "vm-c", "h/nope", null, "r")).Refusal!.Reason);
    }

    [Fact]
    public void The_status_shows_each_device_s_condition_and_each_AC_queue_with_its_VM_and_device()
    {
        var state = Served("q1")
            .Apply(new VfTaken("v1", "vm-v", Vfs, "0000:01:00.1", new PciAttachHandle("h", "0000:01:00.1"), "r"))
            .Apply(new FaultSwitched(Faulty, FaultKind.Hang))
            .Apply(new DeviceFailed(Small, "spent"));
        var stats = new QueueStats("q1", "aes-256-gcm", 0, ChannelState.Active, 10, 100, 100, 1, 0, 1, 0, 0, 5, 9, 9, 1, null);

        var status = NodeStatusView.Of(state, [stats, stats with { QueueId = "stray" }], []);

        Assert.Equal([Faulty, Software, Small, Vfs], status.Devices.Select(d => d.DeviceId));
        Assert.Equal("running, fault 'Hang' injected", status.Devices[0].Supervision);
        Assert.Equal("failed: probing", status.Devices[2].Supervision);
        Assert.Equal("PCI passthrough (2 VFs, 1 held)", status.Devices[3].Backing);
        Assert.Equal(("vm-q1", Faulty, 10L), (status.Queues[0].VmId, status.Queues[0].DeviceId, status.Queues[0].Ops));
        Assert.Equal(("", ""), (status.Queues[1].VmId, status.Queues[1].DeviceId));
        Assert.Null(status.Vms);
    }
}
