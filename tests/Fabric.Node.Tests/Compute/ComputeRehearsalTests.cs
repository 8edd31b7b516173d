using Fabric.Node.Compute;
using Xunit;

namespace Fabric.Node.Tests.Compute;

/// <summary>The rehearsal the agent plays when it starts: it must go through the decisions a node's first fault takes.</summary>
public sealed class ComputeRehearsalTests
{
    [Fact]
    public void The_rehearsal_takes_every_decision_a_first_fault_and_its_failover_take()
    {
        var (events, effects) = ComputeRehearsal.Run("h");

        // Recorded by the agent's own steps (a reset due at once, a standby re-armed) rather than decided: seen in the effects.
        var kinds = events.Select(e => e.GetType()).ToHashSet();
        Type[] expected =
        [
            typeof(QueueAttached), typeof(FaultSwitched), typeof(QueueFailedOver), typeof(DeviceResetScheduled),
            typeof(MoveConfirmed), typeof(DeviceFailed), typeof(DeviceRecovered), typeof(QueueMoved), typeof(QueueReleased),
        ];
        Assert.All(expected, kind => Assert.Contains(kind, kinds));
        Assert.Contains(events, e => e is QueueMoved { Undo: true });
        Assert.Contains(events, e => e is FaultSwitched { Kind: Fabric.Dataplane.Drivers.FaultKind.None });
        // The effects the agent's first fault leads to were made too: a swap to the broken driver, a re-bind, a standby.
        Assert.Contains(effects, e => e is SwapQueueDriver);
        Assert.Contains(effects, e => e is RebindQueue);
        Assert.Contains(effects, e => e is ArmQueueStandby { Device: not null });
    }

    [Fact]
    public void The_rehearsal_runs_on_made_up_devices_of_its_own_and_leaves_no_queue()
    {
        var (events, _) = ComputeRehearsal.Run("node-7");

        Assert.All(events.OfType<QueueMoved>(), m => Assert.StartsWith("node-7/rehearsal-", m.ToDevice));
        Assert.IsType<QueueReleased>(events[^1]);
    }
}
