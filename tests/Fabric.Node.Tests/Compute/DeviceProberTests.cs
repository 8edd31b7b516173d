using Akka.Actor;
using Fabric.Dataplane.Drivers;
using Fabric.Node.Compute;
using Xunit;

namespace Fabric.Node.Tests.Compute;

/// <summary>A device prober runs real probe ops on fresh drivers of the device: on a timer until one passes, or once after a reset.</summary>
public sealed class DeviceProberTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly DeviceSpec Device = new("t/fi0", "fi0", "crypto", ["aes-256-gcm"], 4, FaultInjecting: true);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public void A_probe_after_a_reset_of_a_broken_device_tells_its_parent_of_the_failure_and_stops()
    {
        var prober = Watch(ChildActorOf(DeviceProber.Props(Device, FaultKind.Throw, DriverFactory.Default, Interval, Timeout, once: true)));

        var failed = ExpectMsg<ProbeFailed>(TimeSpan.FromSeconds(10));
        Assert.Equal(Device.DeviceId, failed.DeviceId);
        Assert.Contains("probe op", failed.Problem);
        ExpectTerminated(prober, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_probe_after_a_reset_that_worked_stops_without_a_word()
    {
        var prober = Watch(ChildActorOf(DeviceProber.Props(Device, FaultKind.None, DriverFactory.Default, Interval, Timeout, once: true)));

        // Only its end: a passed reset probe is no news (a ProbePassed would refresh a running device's budget).
        ExpectTerminated(prober, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_failed_device_is_probed_until_it_is_repaired_then_its_parent_hears_it_passed()
    {
        var prober = Watch(ChildActorOf(DeviceProber.Props(Device, FaultKind.Throw, DriverFactory.Default, Interval, Timeout)));

        // Broken: its probes fail, nothing is told; repaired: the next probe passes.
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        prober.Tell(new FaultSwitched(Device.DeviceId, FaultKind.None));

        Assert.Equal(Device.DeviceId, ExpectMsg<ProbePassed>(TimeSpan.FromSeconds(10)).DeviceId);
        ExpectTerminated(prober, TimeSpan.FromSeconds(10));
    }
}
