using Fabric.Node.Hio;
using Xunit;

namespace Fabric.Node.Tests.Hio;

public sealed class EmptyAndMissingRootTests
{
    [Fact]
    public void Empty_host_has_only_the_software_devices()
    {
        using var sysfs = SysfsFixture.Materialize("sysfs-empty");

        var report = new HioScanner(sysfs.Root).Discover();

        Assert.Equal(["sw-crypto-0", "sw-compression-0"], report.Devices.Select(d => d.Name));
        Assert.Equal(0, report.PciEntries);
        Assert.Equal(0, report.HardwareFound);
        Assert.Empty(report.Skipped);
        Assert.Empty(report.Diagnostics);
    }

    [Fact]
    public void Missing_root_gives_no_pci_devices_and_a_diagnostic()
    {
        var root = Path.Combine(Path.GetTempPath(), "fabric-hio-missing-" + Guid.NewGuid().ToString("N"));

        var report = new HioScanner(root).ScanPci();

        Assert.Empty(report.Devices);
        Assert.Equal(0, report.PciEntries);
        var diagnostic = Assert.Single(report.Diagnostics);
        Assert.Equal(
            $"no PCI device directory at {Path.Combine(root, "bus", "pci", "devices")}: sysfs missing or not mounted, no hardware accelerators discovered",
            diagnostic);
    }

    [Fact]
    public void Missing_root_still_discovers_the_software_devices()
    {
        var root = Path.Combine(Path.GetTempPath(), "fabric-hio-missing-" + Guid.NewGuid().ToString("N"));

        var report = new HioScanner(root).Discover();

        Assert.Equal(["sw-crypto-0", "sw-compression-0"], report.Devices.Select(d => d.Name));
        Assert.Single(report.Diagnostics);
        Assert.EndsWith("no hardware accelerators discovered", report.ToLines()[^1]);
    }

    [Fact]
    public void A_stray_file_among_the_pci_entries_is_skipped()
    {
        using var sysfs = SysfsFixture.Scratch();
        File.WriteAllText(Path.Combine(sysfs.DevicesDirectory, "stray"), "");
        sysfs.AddDevice("0000:3d:00.0", "0x8086", "0x37c8", "0x0b4000", "0", "qat_c62x");

        var report = new HioScanner(sysfs.Root).ScanPci();

        Assert.Equal("qat-0000-3d-00-0", Assert.Single(report.Devices).Name);
        Assert.Equal(new HioSkippedEntry("stray", "not a directory, so not a PCI function"), Assert.Single(report.Skipped));
    }

    [Fact]
    public void Default_root_is_sys()
    {
        Assert.Equal("/sys", new HioScanner().SysfsRoot);
    }
}
