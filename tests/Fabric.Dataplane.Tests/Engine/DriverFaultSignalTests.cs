using System.Collections.Concurrent;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Engine;

/// <summary>The AC pushes a driver's failure the moment it happens, once per driver generation.</summary>
public class DriverFaultSignalTests
{
    private static readonly byte[] Key = new byte[32];

    [Fact]
    public async Task A_throwing_driver_is_signalled_once_and_a_swapped_in_driver_that_throws_is_signalled_again()
    {
        var signals = new BlockingCollection<DriverFaultSignal>();
        var faulty = new FaultInjectingDriver(new Sha256Driver());
        using var rig = new Rig(faulty, options: QuickOptions() with { DriverFaulted = signals.Add });
        var g = rig.Guest;
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Data(1, OpCode.Forward, 0, 0, 100, 1, 32), Patience).Status);
        Assert.Empty(signals);

        faulty.Arm(FaultKind.Throw, count: -1);
        var batch = Enumerable.Range(2, 10).Select(i => Data((ulong)i, OpCode.Forward, 0, 0, 100, 1, 32)).ToArray();
        Assert.Equal(10, g.SubmitBatch(batch));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(OpStatus.DriverFault, Next(g).Status);
        }

        Assert.True(signals.TryTake(out var first, Patience));
        Assert.Equal(("q", 0u, OpStatus.DriverFault), (first!.QueueId, first.Generation, first.Status));
        Assert.False(signals.TryTake(out _, TimeSpan.FromMilliseconds(50)), "ten failures of one driver are one signal");

        var broken = new FaultInjectingDriver(new Sha256Driver());
        broken.Arm(FaultKind.Throw, count: -1);
        (await rig.Engine.SwapDriverAsync("q", broken).WaitAsync(Patience)).Dispose();
        Assert.Equal(OpStatus.DriverFault, g.SubmitAndWait(Data(20, OpCode.Forward, 0, 0, 100, 1, 32), Patience).Status);
        Assert.True(signals.TryTake(out var second, Patience));
        Assert.Equal(("q", 1u, OpStatus.DriverFault), (second!.QueueId, second.Generation, second.Status));
    }

    [Fact]
    public async Task The_signal_carries_what_the_driver_threw_with_its_stack_and_each_generation_its_own()
    {
        var signals = new BlockingCollection<DriverFaultSignal>();
        var faulty = new FaultInjectingDriver(new Sha256Driver());
        using var rig = new Rig(faulty, options: QuickOptions() with { DriverFaulted = signals.Add });
        var g = rig.Guest;
        faulty.Arm(FaultKind.Throw, count: -1);

        Assert.Equal(OpStatus.DriverFault, g.SubmitAndWait(Data(1, OpCode.Forward, 0, 0, 100, 1, 32), Patience).Status);

        Assert.True(signals.TryTake(out var signal, Patience));
        var cause = Assert.IsType<InvalidOperationException>(signal!.Cause);
        Assert.Equal("injected driver fault", cause.Message);
        Assert.Contains(nameof(FaultInjectingDriver), cause.StackTrace);

        // The next generation's signal carries its own driver's exception, not the first one's.
        var broken = new FaultInjectingDriver(new Sha256Driver());
        broken.Arm(FaultKind.Throw, count: -1);
        (await rig.Engine.SwapDriverAsync("q", broken).WaitAsync(Patience)).Dispose();
        Assert.Equal(OpStatus.DriverFault, g.SubmitAndWait(Data(2, OpCode.Forward, 0, 0, 100, 1, 32), Patience).Status);
        Assert.True(signals.TryTake(out var next, Patience));
        Assert.Equal(1u, next!.Generation);
        Assert.IsType<InvalidOperationException>(next.Cause);
        Assert.NotSame(cause, next.Cause);
    }

    [Fact]
    public async Task A_queue_with_a_standby_is_switched_by_its_worker_at_the_first_fault_and_loses_nothing()
    {
        var signals = new BlockingCollection<DriverFaultSignal>();
        var faulty = new FaultInjectingDriver(new Sha256Driver());
        using var rig = new Rig(faulty, options: QuickOptions() with { DriverFaulted = signals.Add });
        var g = rig.Guest;
        var standby = new Sha256Driver();
        Assert.Null(await rig.Engine.ArmStandbyAsync("q", standby, "h/sw0").WaitAsync(Patience));

        faulty.Arm(FaultKind.Throw, count: -1);
        var batch = Enumerable.Range(1, 10).Select(i => Data((ulong)i, OpCode.Forward, 0, 0, 100, 1, 32)).ToArray();
        Assert.Equal(10, g.SubmitBatch(batch));
        var statuses = Enumerable.Range(0, 10).Select(_ => Next(g)).ToArray();

        // The op that hit the fault is answered as an error; every op after it runs on the standby.
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (ulong)i), statuses.Select(c => c.Tag));
        Assert.Equal(OpStatus.DriverFault, statuses[0].Status);
        Assert.All(statuses[1..], c => Assert.Equal(OpStatus.Ok, c.Status));
        Assert.True(signals.TryTake(out var signal, Patience));
        Assert.Equal(0u, signal!.Generation);
        Assert.IsType<InvalidOperationException>(signal.Cause);
        var failover = Assert.IsType<DriverFailover>(signal.Failover);
        Assert.Equal(("h/sw0", 1u), (failover.DeviceId, failover.Generation));
        Assert.Same(faulty, failover.Replaced);
        Assert.Equal(1u, rig.Engine.GetStats("q")!.DriverGeneration);
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Data(11, OpCode.Forward, 0, 0, 100, 1, 32), Patience).Status);

        // Used once: a fault of the standby is signalled for the node to decide (nothing armed any more).
        Assert.Null(await rig.Engine.ArmStandbyAsync("q", null, null).WaitAsync(Patience));
    }

    [Fact]
    public void A_hung_driver_is_signalled_as_a_missed_deadline()
    {
        var signals = new BlockingCollection<DriverFaultSignal>();
        var faulty = new FaultInjectingDriver(new AesGcmDriver(), hangBeyondDeadline: TimeSpan.FromMilliseconds(5));
        using var rig = new Rig(faulty, options: QuickOptions() with { DriverFaulted = signals.Add }, queue: new QueueOptions { OpDeadline = TimeSpan.FromMilliseconds(20) });
        var g = rig.Guest;
        var s = g.OpenSession(Key, 0, Patience);
        faulty.Arm(FaultKind.Hang);

        Assert.Equal(OpStatus.DeadlineExceeded, g.SubmitAndWait(Data(1, OpCode.Forward, s, 1, 64, 2, 128), Patience).Status);

        Assert.True(signals.TryTake(out var signal, Patience));
        Assert.Equal(OpStatus.DeadlineExceeded, signal.Status);
    }

    [Fact]
    public void An_observer_that_throws_does_not_stop_the_worker()
    {
        var faulty = new FaultInjectingDriver(new Sha256Driver());
        using var rig = new Rig(faulty, options: QuickOptions() with { DriverFaulted = _ => throw new InvalidOperationException("observer broke") });
        var g = rig.Guest;
        faulty.Arm(FaultKind.Throw, count: 1);

        Assert.Equal(OpStatus.DriverFault, g.SubmitAndWait(Data(1, OpCode.Forward, 0, 0, 100, 1, 32), Patience).Status);
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Data(2, OpCode.Forward, 0, 0, 100, 1, 32), Patience).Status);
        Assert.True(rig.Engine.Workers[0].Running);
    }
}
