using Akka.Configuration;
using Fabric.Dataplane.Drivers;
using Fabric.Node.Compute;
using Xunit;

namespace Fabric.Node.Tests.Compute;

/// <summary>fabric.node.ac.deflate-slice-bytes: the software deflate driver's slice, checked when the node starts.</summary>
public sealed class DeflateSliceSettingTests
{
    [Fact]
    public void Without_the_setting_deflate_runs_in_slices_of_the_default_size()
    {
        var settings = ComputeSettings.From(ConfigurationFactory.ParseString("fabric.node {}"));

        Assert.Equal(DeflateDriver.DefaultSliceBytes, settings.DeflateSliceBytes);
    }

    [Theory]
    [InlineData("256", 256)]
    [InlineData("4096", 4096)]
    [InlineData("65536", 65536)]
    public void A_slice_in_range_reaches_the_deflate_drivers_the_node_makes(string value, int expected)
    {
        var settings = ComputeSettings.From(ConfigurationFactory.ParseString($"fabric.node.ac.deflate-slice-bytes = {value}"));
        Assert.Equal(expected, settings.DeflateSliceBytes);

        var device = new DeviceSpec("h1/sw-compression-0", "sw-compression-0", "sw-compression", ["deflate"], 4, FaultInjecting: false);
        using var driver = DriverFactory.Software(settings.DeflateSliceBytes).Create(device, "deflate", FaultKind.None);

        Assert.Equal(expected, Assert.IsType<DeflateDriver>(driver).SliceBytes);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("255")]
    [InlineData("-1024")]
    [InlineData("65537")]
    [InlineData("1k")]
    [InlineData("lots")]
    public void A_slice_that_cannot_be_one_is_refused_naming_the_setting_its_range_and_the_default(string value)
    {
        var refused = Assert.Throws<ArgumentException>(() => ComputeSettings.From(ConfigurationFactory.ParseString($"fabric.node.ac.deflate-slice-bytes = \"{value}\"")));

        Assert.StartsWith("fabric.node.ac.deflate-slice-bytes: ", refused.Message);
        Assert.Contains("256..65536 bytes", refused.Message);
        Assert.Contains($"default {DeflateDriver.DefaultSliceBytes}", refused.Message);
    }

    [Theory]
    [InlineData(255)]
    [InlineData(65537)]
    public void A_deflate_driver_refuses_a_slice_out_of_range(int slice)
    {
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => new DeflateDriver(sliceBytes: slice));

        Assert.Contains("256..65536", refused.Message);
    }
}
