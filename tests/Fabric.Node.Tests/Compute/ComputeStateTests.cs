using Fabric.Dataplane.Drivers;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Node.Compute;
using Xunit;

namespace Fabric.Node.Tests.Compute;

/// <summary>The node agent's decisions about faults, resets, moves and injected faults, without actors.</summary>
public sealed class ComputeStateTests
{
    private const string Faulty = "h/fi0";
    private const string Software = "h/sw0";
    private const string Small = "h/sw1";
    private static readonly AttachHandle Handle = new("h", "/run/fabric/q1.sock", 2, 256, 256, 64, 16384);
    private static readonly ResetPolicy Policy = new(3, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(3));

    private static readonly DeviceSpec[] Devices =
    [
        new(Faulty, "fi0", "crypto", ["aes-256-gcm", "sha256"], 32, FaultInjecting: true),
        new(Software, "sw0", "crypto", ["aes-256-gcm", "sha256"], 16, FaultInjecting: false),
        new(Small, "sw1", "crypto", ["aes-256-gcm"], 2, FaultInjecting: false),
        new("h/vf0", "vf0", "pci", ["aes-256-gcm"], 2, FaultInjecting: false, PciFunctions: ["0000:01:00.1", "0000:01:00.2"]),
    ];

    private static ComputeState With(params ComputeEvent[] events) =>
        events.Aggregate(ComputeState.Of("h", Devices, Policy), (s, e) => s.Apply(e));

    private static ComputeState Realized(string queue = "q1", string device = Faulty, string chain = "aes-256-gcm") =>
        With(new QueuePlaced(queue, "vm-1", device, chain, "r"), new QueueAttached(queue, Handle));

    private static (ComputeState State, ComputeDecision Decision) Run(ComputeState state, ComputeCommand command)
    {
        var decision = state.Decide(command);
        return (decision.Events.Aggregate(state, (s, e) => s.Apply(e)), decision);
    }

    [Fact]
    public void A_fault_within_the_budget_resets_the_device_and_the_same_fault_again_while_it_waits_changes_nothing()
    {
        var (state, decision) = Run(Realized(), new NoteDriverFault("q1", 0, "threw", 1000));

        var reset = Assert.IsType<DeviceResetScheduled>(Assert.Single(decision.Events));
        Assert.Equal(Faulty, reset.DeviceId);
        Assert.Equal(TimeSpan.Zero, reset.Delay);
        Assert.Equal(DeviceCondition.Resetting, state.Devices[Faulty].Condition);
        Assert.Empty(state.Decide(new NoteDriverFault("q1", 0, "threw", 1001)).Events);
    }

    [Fact]
    public void After_a_reset_the_replaced_drivers_faults_no_longer_count_but_the_fresh_drivers_do()
    {
        var (state, _) = Run(Realized(), new NoteDriverFault("q1", 0, "threw", 1000));
        state = state.Apply(new DeviceReset(Faulty));

        Assert.Equal(DeviceCondition.Running, state.Devices[Faulty].Condition);
        Assert.Equal(1u, state.Queues["q1"].Generation);
        Assert.Empty(state.Decide(new NoteDriverFault("q1", 0, "late fault of the old driver", 1002)).Events);
        var again = Assert.IsType<DeviceResetScheduled>(Assert.Single(state.Decide(new NoteDriverFault("q1", 1, "threw", 1003)).Events));
        Assert.Equal(TimeSpan.FromMilliseconds(1), again.Delay);
    }

    [Fact]
    public void Faults_that_persist_through_every_reset_spend_the_budget_then_the_device_fails_and_its_queues_move_to_the_freest_device()
    {
        var state = Realized("q1").Apply(new QueuePlaced("q2", "vm-2", Faulty, "aes-256-gcm->sha256", "r2"));
        var resets = new List<TimeSpan>();
        ComputeDecision decision;
        var now = 1000L;
        while (true)
        {
            (state, decision) = Run(state, new NoteDriverFault("q1", state.Queues["q1"].Generation, "threw", now++));
            if (decision.Events[0] is not DeviceResetScheduled reset)
            {
                break;
            }

            resets.Add(reset.Delay);
            state = state.Apply(new DeviceReset(Faulty));
        }

        // The first reset is at once, then the backoff doubles from min and stops at max; the budget is spent once, here.
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2)], resets);
        Assert.IsType<DeviceFailed>(decision.Events[0]);
        Assert.Equal(DeviceCondition.Failed, state.Devices[Faulty].Condition);
        var moves = decision.Events.OfType<QueueMoved>().ToArray();
        Assert.Equal([("q1", Software), ("q2", Software)], moves.Select(m => (m.QueueId, m.ToDevice)));
        Assert.All(moves, m => Assert.Equal(Faulty, m.FromDevice));
        Assert.Equal(Software, state.Queues["q1"].DeviceId);
        Assert.Equal(Faulty, state.Queues["q1"].MovedFrom);
        // A failed device is not reset again by late faults.
        Assert.Empty(state.Decide(new NoteDriverFault("q1", 0, "threw", now)).Events);
    }

    [Fact]
    public void A_served_queue_wants_a_standby_on_the_freest_other_device_and_keeps_it_while_that_device_can_take_it()
    {
        var state = Realized();
        var change = Assert.Single(state.StandbyChanges());
        Assert.Equal(("q1", Software), (change.Queue.QueueId, change.Standby));
        state = state.Apply(new StandbyArmed("q1", Software));
        Assert.Empty(state.StandbyChanges());

        // A device that stops running is no standby: the queue is re-armed elsewhere, or disarmed when nothing is left.
        state = state.Apply(new DeviceResetScheduled(Software, TimeSpan.Zero, 1000, "test"));
        Assert.Equal(Small, Assert.Single(state.StandbyChanges()).Standby);
        state = state.Apply(new StandbyArmed("q1", Small)).Apply(new DeviceFailed(Small, "test"));
        Assert.Null(Assert.Single(state.StandbyChanges()).Standby);

        // An injected fault on the standby's device makes its armed driver stale: armed again.
        state = Realized().Apply(new StandbyArmed("q1", Software)).Apply(new FaultSwitched(Software, FaultKind.Throw));
        Assert.Null(state.Queues["q1"].Standby);
        Assert.Equal(Software, Assert.Single(state.StandbyChanges()).Standby);
    }

    [Fact]
    public void A_failover_done_by_the_worker_is_recorded_as_it_is_and_the_fault_counts_against_the_failed_devices_budget()
    {
        var state = Realized().Apply(new StandbyArmed("q1", Software));

        var (after, decision) = Run(state, new NoteDriverFault("q1", 0, "threw", 1000, FailedOverTo: Software, NewGeneration: 1));

        var over = Assert.IsType<QueueFailedOver>(decision.Events[0]);
        Assert.Equal(("q1", Faulty, Software, 1u), (over.QueueId, over.FromDevice, over.ToDevice, over.Generation));
        Assert.IsType<DeviceResetScheduled>(decision.Events[1]);
        var q = after.Queues["q1"];
        Assert.Equal((Software, Faulty, (string?)null, 1u), (q.DeviceId, q.MovedFrom, q.Standby, q.Generation));
        Assert.Empty(after.QueuesOn(Faulty));
        // Its next standby is on neither the device it runs on nor the one resetting.
        Assert.Equal(Small, Assert.Single(after.StandbyChanges()).Standby);

        // The failed device's probes keep failing: the budget is spent on them and the device fails.
        after = after.Apply(new DeviceReset(Faulty));
        var now = 1001L;
        while (true)
        {
            (after, decision) = Run(after, new NoteDeviceFault(Faulty, "probe op threw", now++));
            if (decision.Events[0] is not DeviceResetScheduled)
            {
                break;
            }

            after = after.Apply(new DeviceReset(Faulty));
        }

        Assert.IsType<DeviceFailed>(Assert.Single(decision.Events));
        Assert.Equal(3, after.Devices[Faulty].ResetsAtMs.Count);
    }

    [Fact]
    public void Resets_older_than_the_window_do_not_count_against_the_budget()
    {
        var state = Realized();
        for (var i = 0; i < 3; i++)
        {
            (state, _) = Run(state, new NoteDriverFault("q1", state.Queues["q1"].Generation, "threw", 1000 + i));
            state = state.Apply(new DeviceReset(Faulty));
        }

        var later = 1000 + (long)Policy.Window.TotalMilliseconds + 10;
        var decision = state.Decide(new NoteDriverFault("q1", state.Queues["q1"].Generation, "threw", later));

        Assert.IsType<DeviceResetScheduled>(Assert.Single(decision.Events));
    }

    [Fact]
    public void A_queue_no_other_device_can_run_stays_stranded_and_a_full_device_is_not_a_target()
    {
        var state = With(
            new QueuePlaced("q1", "vm-1", Software, "sha256", "r"),
            new QueuePlaced("a", "vm-a", Small, "aes-256-gcm", "r"),
            new QueuePlaced("b", "vm-b", Small, "aes-256-gcm", "r"),
            new FaultSwitched(Faulty, FaultKind.Throw),
            new DeviceResetScheduled(Faulty, TimeSpan.Zero, 0, "x"),
            new DeviceFailed(Faulty, "x"));
        Assert.Null(state.TargetFor("aes-256-gcm", Software));
        state = state with { Policy = Policy with { Budget = 0 } };

        var decision = state.Decide(new NoteDriverFault("q1", 0, "threw", 1));

        Assert.IsType<DeviceFailed>(decision.Events[0]);
        var stranded = Assert.IsType<QueueStranded>(decision.Events[1]);
        Assert.Equal("q1", stranded.QueueId);
    }

    [Fact]
    public void The_AML_confirms_a_move_moves_it_to_the_device_it_chose_or_refuses_and_the_move_is_undone()
    {
        var moved = Realized().Apply(new QueueMoved("q1", Faulty, Software, "aes-256-gcm"));

        Assert.IsType<MoveConfirmed>(Assert.Single(moved.Decide(new ConfirmMove("q1", "h", Software)).Events));
        Assert.Null(Run(moved, new ConfirmMove("q1", "h", Software)).State.Queues["q1"].MovedFrom);

        var (elsewhere, decision) = Run(moved, new ConfirmMove("q1", "h", Small));
        Assert.Equal(Small, Assert.IsType<QueueMoved>(decision.Events[0]).ToDevice);
        Assert.Equal(Small, elsewhere.Queues["q1"].DeviceId);

        foreach (var refusal in new[] { new ConfirmMove("q1", null, null), new ConfirmMove("q1", "other-host", "other-host/sw0"), new ConfirmMove("q1", "h", "h/vf0") })
        {
            var (undone, d) = Run(moved, refusal);
            var back = Assert.IsType<QueueMoved>(Assert.Single(d.Events));
            Assert.True(back.Undo);
            Assert.Equal(Faulty, undone.Queues["q1"].DeviceId);
            Assert.Null(undone.Queues["q1"].MovedFrom);
        }

        // An answer for a queue that is not moving (gone, or already confirmed) changes nothing.
        Assert.Empty(Realized().Decide(new ConfirmMove("q1", "h", Small)).Events);
        Assert.Empty(moved.Decide(new ConfirmMove("nope", "h", Small)).Events);
    }

    [Theory]
    [InlineData("h/nope", "throw", RejectReason.NotFound)]
    [InlineData(Software, "throw", RejectReason.InvalidArgument)]
    [InlineData(Faulty, "melt", RejectReason.InvalidArgument)]
    [InlineData(Faulty, "none", RejectReason.InvalidArgument)]
    [InlineData(Faulty, "2", RejectReason.InvalidArgument)]
    [InlineData(Faulty, "", RejectReason.InvalidArgument)]
    public void Injecting_an_unknown_fault_or_into_a_device_without_injection_is_refused(string device, string fault, RejectReason reason)
    {
        var decision = Realized().Decide(new SwitchFault(device, fault));

        Assert.Empty(decision.Events);
        Assert.Equal(reason, decision.Refusal!.Reason);
    }

    [Fact]
    public void An_injected_fault_outlives_resets_and_a_repair_clears_it_each_swapping_fresh_drivers()
    {
        var (state, decision) = Run(Realized(), new SwitchFault(Faulty, "HANG"));
        Assert.Equal(FaultKind.Hang, Assert.IsType<FaultSwitched>(Assert.Single(decision.Events)).Kind);
        Assert.Equal(1u, state.Queues["q1"].Generation);

        state = state.Apply(new DeviceResetScheduled(Faulty, TimeSpan.Zero, 1, "x")).Apply(new DeviceReset(Faulty));
        Assert.Equal(FaultKind.Hang, state.Devices[Faulty].Injected);

        (state, _) = Run(state, new SwitchFault(Faulty, null));
        Assert.Equal(FaultKind.None, state.Devices[Faulty].Injected);
    }

    [Fact]
    public void A_VF_given_whole_to_a_VM_is_not_an_AC_queue_and_never_moves()
    {
        var state = With(new VfTaken("v1", "vm-1", "h/vf0", "0000:01:00.1", new PciAttachHandle("h", "0000:01:00.1"), "r"));

        Assert.Empty(state.QueuesOn("h/vf0"));
        Assert.Empty(state.Decide(new NoteDriverFault("v1", 0, "threw", 1)).Events);
        Assert.Empty(state.Apply(new QueueReleased("v1")).Queues);
    }

    [Fact]
    public void A_failed_device_whose_probe_passed_runs_again_with_a_fresh_budget()
    {
        var state = With(new DeviceResetScheduled(Faulty, TimeSpan.Zero, 1, "x"), new DeviceReset(Faulty), new DeviceFailed(Faulty, "spent"));
        Assert.Null(state.TargetFor("aes-256-gcm", Software) == Faulty ? Faulty : null);

        state = state.Apply(new DeviceRecovered(Faulty));

        Assert.Equal(DeviceCondition.Running, state.Devices[Faulty].Condition);
        Assert.Empty(state.Devices[Faulty].ResetsAtMs);
        Assert.Equal(Faulty, state.TargetFor("aes-256-gcm", Software));
    }
}
