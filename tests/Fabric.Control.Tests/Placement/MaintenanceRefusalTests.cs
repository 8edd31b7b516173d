using Fabric.Control.Placement;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Placement;
using Xunit;

namespace Fabric.Control.Tests.Placement;

/// <summary>
/// A device disabled for maintenance refuses a reservation the read model proposed before it read the disable; once the
/// device is enabled again the read model must propose it again (found through fabric-api's devices disable/enable).
/// </summary>
public sealed class MaintenanceRefusalTests
{
    private static readonly FindCandidates Query = new(["deflate"], 1, "host-1", []);

    private static CapacityIndex Registered()
    {
        var index = new CapacityIndex();
        index.Apply(new DeviceRegistered("host-1/zip", "host-1", "software-compression", ["deflate"], 4, "r1"), 1);
        return index;
    }

    [Fact]
    public void A_device_that_refused_while_disabled_is_proposed_again_once_enabled()
    {
        var index = Registered();
        index.Refused("host-1/zip", RejectReason.DeviceUnavailable);
        Assert.Empty(index.Candidates(Query, new Random(1)));

        index.Apply(new DeviceEnabledChanged("host-1/zip", false, "maintenance", "r2"), 2);
        index.Apply(new DeviceEnabledChanged("host-1/zip", true, "", "r3"), 3);

        Assert.Equal(["host-1/zip"], index.Candidates(Query, new Random(1)));
    }

    [Fact]
    public void A_device_that_refused_as_unavailable_stays_out_until_a_newer_fact_about_it_arrives()
    {
        var index = Registered();
        index.Apply(new DeviceHealthChanged("host-1/zip", DeviceHealth.Failed, "driver gave up", "r2"), 2);
        index.Refused("host-1/zip", RejectReason.DeviceUnavailable);
        index.Apply(new DeviceEnabledChanged("host-1/zip", true, "", "r3"), 3);

        // Enabling does not heal a device that failed.
        Assert.Empty(index.Candidates(Query, new Random(1)));
        index.Apply(new DeviceHealthChanged("host-1/zip", DeviceHealth.Healthy, "probe passed", "r4"), 4);
        Assert.Equal(["host-1/zip"], index.Candidates(Query, new Random(1)));
    }
}
