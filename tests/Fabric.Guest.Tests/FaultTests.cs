using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;

namespace Fabric.Guest.Tests;

/// <summary>The workload against a queue whose driver misbehaves on command (the fault-injecting g-driver).</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task Driver_faults_are_counted_by_status_and_the_run_goes_on()
    {
        var driver = new FaultInjectingDriver(new AesGcmDriver());
        driver.Arm(FaultKind.Throw, 10);
        await using var rig = new GuestRig(driver);
        var r = new GuestWorkload(rig.Options(GuestOp.RoundTrip, count: 1000)).Run(CancellationToken.None);

        Assert.Equal(GuestExitCodes.Ok, r.ExitCode);
        Assert.Equal(10, r.ErrorsByStatus[OpStatus.DriverFault]);
        Assert.Equal(10, r.Errors);
        Assert.Equal(0, r.Lost);
        // A faulty device says nothing about the data: no integrity failure.
        Assert.Equal(0, r.IntegrityFailures);
        GuestRig.AssertAccounted(r);
    }

    [Fact]
    public async Task Data_corrupted_by_the_driver_is_reported_as_integrity_failures()
    {
        var driver = new FaultInjectingDriver(new AesGcmDriver());
        driver.Arm(FaultKind.Corrupt, 5);
        await using var rig = new GuestRig(driver);
        var r = new GuestWorkload(rig.Options(GuestOp.RoundTrip, count: 400)).Run(CancellationToken.None);

        Assert.Equal(GuestExitCodes.Failed, r.ExitCode);
        Assert.Equal(5, r.IntegrityFailures);
        Assert.Contains("did not give back", r.Message);
        GuestRig.AssertAccounted(r);
    }

    [Fact]
    public async Task An_AC_that_stops_answering_is_exit_4_with_the_unanswered_ops_lost()
    {
        // A hung device stalls its worker: from the guest's side the AC is gone, as after a kill -9 of the node.
        var driver = new FaultInjectingDriver(new AesGcmDriver(), hangBeyondDeadline: TimeSpan.Zero);
        await using var rig = new GuestRig(driver, queue: new QueueOptions { OpDeadline = TimeSpan.FromSeconds(2) });
        var probe = new ProgressProbe(p => p.Ok > 500);
        var options = rig.Options(GuestOp.RoundTrip) with { ProgressInterval = TimeSpan.FromMilliseconds(20), Timeout = TimeSpan.FromMilliseconds(500) };
        var run = new GuestWorkload(options, probe).RunAsync(CancellationToken.None);
        await probe.Reached.WaitAsync(GuestRig.Patience);

        driver.Arm(FaultKind.Hang, 1);
        var r = await run.WaitAsync(GuestRig.Patience);

        Assert.Equal(GuestExitCodes.ChannelLost, r.ExitCode);
        Assert.Equal(StopReason.NoAnswer, r.StoppedBy);
        Assert.True(r.Lost > 0, "the ops behind the hung one were never answered");
        Assert.Contains("no answer", r.Message);
        GuestRig.AssertAccounted(r);
    }
}
