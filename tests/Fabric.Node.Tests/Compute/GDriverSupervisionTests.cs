using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Engine;
using Fabric.Node.Compute;
using Xunit;

namespace Fabric.Node.Tests.Compute;

/// <summary>The supervision decisions of a g-driver, against a stand-in Acceleration Core whose fault counters the test sets.</summary>
public sealed class GDriverSupervisionTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly ComputeSettings Settings = ComputeSettings.From(ConfigurationFactory.ParseString("""
        fabric.node.supervision {
          fault-check-interval = 10ms
          restart-min-backoff = 10ms
          restart-max-backoff = 50ms
          restart-budget = 3
        }
        """));

    private static readonly DeviceSpec Device = new("h/qat0", "qat0", "test", ["aes-256-gcm"], 4, FaultInjecting: false);
    private long _faults;
    private int _resets;

    public GDriverSupervisionTests()
        : base("akka.loglevel = OFF")
    {
    }

    private TestProbe CoreReportingFaults()
    {
        var core = CreateTestProbe();
        core.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            switch (message)
            {
                case GetQueueStats:
                    sender.Tell(new QueueStatsReport([Stats("q1", Interlocked.Read(ref _faults))]));
                    break;
                case SwapDriver swap:
                    Interlocked.Increment(ref _resets);
                    swap.Driver.Dispose();
                    sender.Tell(new DriverSwapped(swap.QueueId, Interlocked.Read(ref _faults)));
                    break;
            }

            return AutoPilot.KeepRunning;
        }));
        return core;
    }

    [Fact]
    public void A_fault_restarts_the_g_driver_which_resets_the_device_with_fresh_drivers_and_stays_up()
    {
        var core = CoreReportingFaults();
        var queues = new DeviceQueues();
        queues.Set("q1", Device.DeviceId, "aes-256-gcm");
        var supervisor = Sys.ActorOf(GDriverActor.Supervised(Device, core, queues, new DeviceFaultSwitch(), Settings));
        Watch(supervisor);
        // The first start takes the queue over with a fresh driver, then watches its counters.
        core.FishForMessage<SwapDriver>(_ => true, TimeSpan.FromSeconds(5));
        core.FishForMessage(m => m is GetQueueStats, TimeSpan.FromSeconds(5));

        Interlocked.Add(ref _faults, 5);

        var reset = core.FishForMessage<SwapDriver>(_ => true, TimeSpan.FromSeconds(5));
        Assert.Equal("q1", reset.QueueId);
        Assert.Equal("aes-256-gcm", reset.Driver.Function);
        // No more faults: after the reset the g-driver keeps watching and is not given up.
        core.FishForMessage(m => m is GetQueueStats, TimeSpan.FromSeconds(5));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Faults_that_persist_through_every_reset_spend_the_budget_and_the_supervisor_gives_up()
    {
        var core = CoreReportingFaults();
        var queues = new DeviceQueues();
        queues.Set("q1", Device.DeviceId, "aes-256-gcm");
        var supervisor = Sys.ActorOf(GDriverActor.Supervised(Device, core, queues, new DeviceFaultSwitch(), Settings));
        Watch(supervisor);

        using var broken = new Timer(_ => Interlocked.Increment(ref _faults), null, 0, 5);

        ExpectTerminated(supervisor, TimeSpan.FromSeconds(10));

        // The first start took the queue over with a fresh driver, and each restart reset the device once more
        // before the budget ran out.
        Assert.Equal(1 + Settings.RestartBudget, Volatile.Read(ref _resets));
    }

    private static QueueStats Stats(string queue, long faults) => new(queue, "aes-256-gcm", 0, ChannelState.Active,
        100, 0, 0, faults, 0, faults, 0, 0, 0, 0, 0, 1, faults > 0 ? "injected" : null);
}
