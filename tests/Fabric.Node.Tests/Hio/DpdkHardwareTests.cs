using Fabric.Messages.Functions;
using Fabric.Node.Hio;
using Xunit;

namespace Fabric.Node.Tests.Hio;

/// <summary>
/// Hardware a DPDK PMD drives (QAT, AMD CCP): usable when bound to vfio-pci and allowed to the node's EAL, listed with
/// the exact rebind command while a kernel driver holds it, and never both driven and handed to VMs.
/// </summary>
public sealed class DpdkHardwareTests : IDisposable
{
    private readonly SysfsFixture _sysfs = SysfsFixture.Materialize("sysfs-host");

    public DpdkHardwareTests()
    {
        // Two AMD CCPs beside the fixture host's QAT: one held by the kernel's ccp driver, one bound to vfio-pci.
        _sysfs.AddDevice("0000:05:00.2", "0x1022", "0x1456", "0x108000", "0", "ccp");
        _sysfs.AddDevice("0000:06:00.2", "0x1022", "0x1468", "0x108000", "1", "vfio-pci");
    }

    public void Dispose() => _sysfs.Dispose();

    [Fact]
    public void A_vfio_bound_function_allowed_to_EAL_is_usable_through_its_PMD()
    {
        var report = new HioScanner(_sysfs.Root, dpdkPci: ["0000:3d:01.0", "0000:06:00.2"]).ScanPci();
        var vf = report.Devices.Single(d => d.PciAddress == "0000:3d:01.0");
        Assert.True(vf.Usable);
        Assert.Null(vf.Reason);
        Assert.Equal(DeviceBacking.Hardware, vf.Backing);
        Assert.Equal("crypto_qat, compress_qat", vf.DpdkPmd);

        var ccp = report.Devices.Single(d => d.PciAddress == "0000:06:00.2");
        Assert.True(ccp.Usable);
        Assert.Equal(HostDeviceTypes.CryptoCoprocessor, ccp.Type);
        Assert.Equal("crypto_ccp", ccp.DpdkPmd);
        Assert.Equal("1468 (CCP v5b)", ccp.Model);
        Assert.Equal("1022 (AMD)", ccp.Vendor);
        Assert.Equal([AccelerationFunctions.Aes256Gcm, AccelerationFunctions.Sha256, AccelerationFunctions.HmacSha256], ccp.Functions);
        Assert.Equal(1, ccp.NumaNode);
        Assert.Contains(report.ToLines(), l => l.Contains("ccp-0000-06-00-2", StringComparison.Ordinal) && l.EndsWith("usable through DPDK (crypto_ccp)", StringComparison.Ordinal));

        // The other VF of the same QAT stays a passthrough unit; the DPDK one is not handed to VMs as well.
        var pool = Assert.Single(PciPassthrough.Pools(report));
        Assert.Equal(["0000:3d:01.1"], pool.Functions);
    }

    [Fact]
    public void A_function_held_by_a_kernel_driver_says_the_exact_command_that_rebinds_it()
    {
        // Allowed to EAL, but the kernel's ccp driver holds it: EAL could not probe it, so it is not usable.
        var report = new HioScanner(_sysfs.Root, dpdkPci: ["0000:05:00.2"]).ScanPci();
        var ccp = report.Devices.Single(d => d.PciAddress == "0000:05:00.2");
        Assert.False(ccp.Usable);
        Assert.Equal("modprobe vfio-pci && dpdk-devbind.py --bind=vfio-pci 0000:05:00.2", ccp.RebindCommand);
        Assert.Equal(
            "kernel driver ccp; to drive it through DPDK's crypto_ccp: modprobe vfio-pci && dpdk-devbind.py --bind=vfio-pci 0000:05:00.2, then add 0000:05:00.2 to fabric.node.dpdk.allow-pci",
            ccp.Reason);
        var pf = report.Devices.Single(d => d.PciAddress == "0000:3d:00.0");
        Assert.Equal("modprobe vfio-pci && dpdk-devbind.py --bind=vfio-pci 0000:3d:00.0", pf.RebindCommand);
    }

    [Fact]
    public void Hardware_without_a_PMD_and_a_scan_without_allowed_functions_are_unchanged()
    {
        var report = new HioScanner(_sysfs.Root).ScanPci();
        Assert.DoesNotContain(report.Devices, d => d.Usable);
        var gpu = report.Devices.Single(d => d.Type == HostDeviceTypes.Gpu);
        Assert.Null(gpu.DpdkPmd);
        Assert.Null(gpu.RebindCommand);
        Assert.Equal("no Fabric g-driver frontend for gpu (kernel driver nvidia)", gpu.Reason);
        // Both QAT VFs are passthrough units when the node's EAL may not probe them.
        Assert.Equal(["0000:06:00.2", "0000:3d:01.0", "0000:3d:01.1"], PciPassthrough.Pools(report).SelectMany(p => p.Functions).Order(StringComparer.Ordinal));
    }
}
