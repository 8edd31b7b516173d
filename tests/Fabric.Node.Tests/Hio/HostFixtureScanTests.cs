using Fabric.Messages.Functions;
using Fabric.Node.Hio;
using Xunit;

namespace Fabric.Node.Tests.Hio;

/// <summary>The scan of Fixtures/sysfs-host: a QAT C62x PF with two VFs, a GPU, an FPGA, and the usual noise.</summary>
public sealed class HostFixtureScanTests : IDisposable
{
    private readonly SysfsFixture _sysfs = SysfsFixture.Materialize("sysfs-host");

    public void Dispose() => _sysfs.Dispose();

    [Fact]
    public void Finds_exactly_the_accelerators_in_pci_address_order()
    {
        var report = new HioScanner(_sysfs.Root).ScanPci();

        Assert.Equal(
            [
                ("qat-0000-3d-00-0", HostDeviceTypes.IntelQat, "0000:3d:00.0"),
                ("qat-0000-3d-01-0", HostDeviceTypes.IntelQat, "0000:3d:01.0"),
                ("qat-0000-3d-01-1", HostDeviceTypes.IntelQat, "0000:3d:01.1"),
                ("gpu-0000-65-00-0", HostDeviceTypes.Gpu, "0000:65:00.0"),
                ("fpga-0000-af-00-0", HostDeviceTypes.Fpga, "0000:af:00.0"),
            ],
            report.Devices.Select(d => (d.Name, d.Type, d.PciAddress)));
        Assert.All(report.Devices, d => Assert.Equal(DeviceBacking.Hardware, d.Backing));
        Assert.Empty(report.Diagnostics);
    }

    [Fact]
    public void Qat_pf_bound_to_its_kernel_driver_is_present_but_not_usable()
    {
        var qat = Device("qat-0000-3d-00-0");

        Assert.Equal("8086 (Intel)", qat.Vendor);
        Assert.Equal("37c8 (QAT C62x PF)", qat.Model);
        Assert.Equal(
            [AccelerationFunctions.Aes256Gcm, AccelerationFunctions.Sha256, AccelerationFunctions.HmacSha256, AccelerationFunctions.Deflate],
            qat.Functions);
        Assert.Equal(16, qat.QueuePairs);
        Assert.Equal(0, qat.NumaNode);
        Assert.Equal("qat_c62x", qat.KernelDriver);
        Assert.False(qat.Usable);
        Assert.Equal("kernel driver qat_c62x; to drive it through DPDK's crypto_qat, compress_qat: modprobe vfio-pci && dpdk-devbind.py --bind=vfio-pci 0000:3d:00.0, then add 0000:3d:00.0 to fabric.node.dpdk.allow-pci", qat.Reason);
    }

    [Fact]
    public void Qat_vfs_bound_to_vfio_say_so()
    {
        foreach (var name in new[] { "qat-0000-3d-01-0", "qat-0000-3d-01-1" })
        {
            var vf = Device(name);

            Assert.Equal("37c9 (QAT C62x VF)", vf.Model);
            Assert.Equal(1, vf.QueuePairs);
            Assert.Equal(0, vf.NumaNode);
            Assert.Equal("vfio-pci", vf.KernelDriver);
            Assert.False(vf.Usable);
            Assert.Equal($"bound to vfio-pci for passthrough; to drive it through DPDK's crypto_qat, compress_qat instead, add {vf.PciAddress} to fabric.node.dpdk.allow-pci", vf.Reason);
            Assert.Null(vf.RebindCommand);
            Assert.Contains(AccelerationFunctions.Aes256Gcm, vf.Functions);
        }
    }

    [Fact]
    public void Gpu_is_listed_without_functions()
    {
        var gpu = Device("gpu-0000-65-00-0");

        Assert.Equal("10de (NVIDIA)", gpu.Vendor);
        Assert.Equal("20b0", gpu.Model);
        Assert.Empty(gpu.Functions);
        Assert.Equal(0, gpu.QueuePairs);
        Assert.Equal(1, gpu.NumaNode);
        Assert.Equal("nvidia", gpu.KernelDriver);
        Assert.False(gpu.Usable);
        Assert.Equal("no Fabric g-driver frontend for gpu (kernel driver nvidia)", gpu.Reason);
    }

    [Fact]
    public void Fpga_without_driver_or_numa_node_says_so()
    {
        var fpga = Device("fpga-0000-af-00-0");

        Assert.Equal("10ee (Xilinx)", fpga.Vendor);
        Assert.Empty(fpga.Functions);
        Assert.Equal(-1, fpga.NumaNode);
        Assert.Null(fpga.KernelDriver);
        Assert.False(fpga.Usable);
        Assert.Equal("no Fabric g-driver frontend for fpga (no kernel driver bound)", fpga.Reason);
    }

    [Fact]
    public void Nic_and_sata_controller_are_ignored_and_counted()
    {
        var report = new HioScanner(_sysfs.Root).ScanPci();

        Assert.Equal(10, report.PciEntries);
        Assert.Equal(2, report.IgnoredPciEntries);
        Assert.DoesNotContain(report.Devices, d => d.PciAddress is "0000:18:00.0" or "0000:00:17.0");
    }

    [Fact]
    public void Bad_entries_are_skipped_with_their_reason()
    {
        var report = new HioScanner(_sysfs.Root).ScanPci();

        Assert.Equal(
            [
                new HioSkippedEntry("0000:00:1f.4", "cannot classify: class: missing"),
                new HioSkippedEntry("0000:00:1f.5", "vendor: not a hex id \"0xzz86\""),
                new HioSkippedEntry("0000:00:1f.6", "device: unreadable (UnauthorizedAccessException)"),
            ],
            report.Skipped);
    }

    [Fact]
    public void Discover_adds_the_software_devices_after_the_hardware()
    {
        var report = new HioScanner(_sysfs.Root).Discover(softwareQueuePairs: 8);

        Assert.Equal(
            ["qat-0000-3d-00-0", "qat-0000-3d-01-0", "qat-0000-3d-01-1", "gpu-0000-65-00-0", "fpga-0000-af-00-0", "sw-crypto-0", "sw-compression-0"],
            report.Devices.Select(d => d.Name));
        Assert.Equal(7, report.Found);
        Assert.Equal(5, report.HardwareFound);
        Assert.Equal(2, report.Usable);
        Assert.All(report.Devices.Where(d => d.Usable), d => Assert.Equal(8, d.QueuePairs));
    }

    [Fact]
    public void Report_lines_give_the_counts_and_every_device_and_skipped_entry()
    {
        var lines = new HioScanner(_sysfs.Root).Discover().ToLines();

        Assert.Equal(
            $"hio ({_sysfs.Root}): 7 devices found, 2 usable; PCI: 10 entries, 5 accelerators, 2 ignored, 3 skipped",
            lines[0]);
        Assert.Equal(
            "  qat-0000-3d-00-0 [intel-qat] 0000:3d:00.0 8086 (Intel) 37c8 (QAT C62x PF) numa 0 driver qat_c62x; 16 queue pairs; "
            + "aes-256-gcm,sha256,hmac-sha256,deflate; not usable: kernel driver qat_c62x; to drive it through DPDK's crypto_qat, compress_qat: modprobe vfio-pci && dpdk-devbind.py --bind=vfio-pci 0000:3d:00.0, then add 0000:3d:00.0 to fabric.node.dpdk.allow-pci",
            lines[1]);
        Assert.Equal(
            "  sw-crypto-0 [sw-crypto] software; 16 queue pairs; aes-256-gcm,chacha20-poly1305,sha256,hmac-sha256,crc32c,aes-128-cbc,aes-256-cbc,aes-128-cbc-hmac-sha1,aes-256-cbc-hmac-sha1,aes-128-cbc-hmac-sha256,aes-256-cbc-hmac-sha256,aes-128-gcm,aes-cbc; usable",
            lines[6]);
        Assert.Equal("  skipped 0000:00:1f.5: vendor: not a hex id \"0xzz86\"", lines[9]);
        Assert.Equal(11, lines.Count);
    }

    [Fact]
    public void Rescanning_gives_the_same_names()
    {
        var scanner = new HioScanner(_sysfs.Root);

        Assert.Equal(
            scanner.Discover().Devices.Select(d => d.Name),
            scanner.Discover().Devices.Select(d => d.Name));
    }

    private HostDevice Device(string name) =>
        Assert.Single(new HioScanner(_sysfs.Root).ScanPci().Devices, d => d.Name == name);
}
