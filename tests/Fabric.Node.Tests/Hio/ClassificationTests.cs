using Fabric.Messages.Functions;
using Fabric.Node.Hio;
using Xunit;

namespace Fabric.Node.Tests.Hio;

/// <summary>Which PCI functions the scan reports, and as what, one function a scratch tree.</summary>
public sealed class ClassificationTests
{
    [Theory]
    [InlineData("0x8086", "0x0435", "0x0b4000", "intel-qat", "0435 (QAT DH895xCC PF)", 32)]
    [InlineData("0x8086", "0x0443", "0x0b4000", "intel-qat", "0443 (QAT DH895xCC VF)", 1)]
    [InlineData("0x8086", "0x19e2", "0x0b4000", "intel-qat", "19e2 (QAT C3xxx PF)", 16)]
    [InlineData("0x8086", "0x4941", "0x0b4000", "intel-qat", "4941 (QAT 4xxx VF)", 4)]
    [InlineData("0x8086", "0x4946", "0x0b4000", "intel-qat", "4946 (QAT 420xx PF)", 64)]
    [InlineData("0x8086", "0x37c8", null, "intel-qat", "37c8 (QAT C62x PF)", 16)]
    [InlineData("0x8086", "0x09c4", "0x120000", "fpga", "09c4 (PAC Arria 10 GX PF)", 0)]
    [InlineData("0x8086", "0x0b30", "0x120000", "fpga", "0b30 (PAC N3000 PF)", 0)]
    [InlineData("0x10ee", "0x500c", "0x120000", "fpga", "500c", 0)]
    [InlineData("0x1d0f", "0xcd01", "0x120000", "processing-accelerator", "cd01", 0)]
    [InlineData("0x1002", "0x740f", "0x038000", null, null, 0)]
    [InlineData("0x1002", "0x740f", "0x030200", "gpu", "740f", 0)]
    [InlineData("0x8086", "0x56c0", "0x030000", "gpu", "56c0", 0)]
    [InlineData("0x1af4", "0x1050", "0x030000", null, null, 0)]
    [InlineData("0x14e4", "0x5e00", "0x0b4000", "crypto-coprocessor", "5e00", 0)]
    [InlineData("0x177d", "0xa018", "0x108000", "crypto-coprocessor", "a018", 0)]
    [InlineData("0x177d", "0xa018", "0x100000", "crypto-coprocessor", "a018", 0)]
    [InlineData("0x8086", "0x1593", "0x020000", null, null, 0)]
    public void Recognizes_known_accelerators_and_ignores_the_rest(
        string vendor, string device, string? pciClass, string? expectedType, string? expectedModel, int expectedQueuePairs)
    {
        using var sysfs = SysfsFixture.Scratch();
        sysfs.AddDevice("0000:01:00.0", vendor, device, pciClass);

        var report = new HioScanner(sysfs.Root).ScanPci();

        if (expectedType is null)
        {
            Assert.Empty(report.Devices);
            Assert.Equal(1, report.IgnoredPciEntries);
            return;
        }
        var found = Assert.Single(report.Devices);
        Assert.Equal(expectedType, found.Type);
        Assert.Equal(expectedModel, found.Model);
        Assert.Equal(expectedQueuePairs, found.QueuePairs);
        Assert.False(found.Usable);
        Assert.Empty(report.Skipped);
    }

    [Fact]
    public void Gen4_qat_adds_chacha20_poly1305()
    {
        using var sysfs = SysfsFixture.Scratch();
        sysfs.AddDevice("0000:6b:00.0", "0x8086", "0x4942", "0x0b4000", "0", "4xxx");

        var qat = Assert.Single(new HioScanner(sysfs.Root).ScanPci().Devices);

        Assert.Equal(
            [
                AccelerationFunctions.Aes256Gcm,
                AccelerationFunctions.ChaCha20Poly1305,
                AccelerationFunctions.Sha256,
                AccelerationFunctions.HmacSha256,
                AccelerationFunctions.Deflate,
            ],
            qat.Functions);
    }

    [Fact]
    public void Gen4_qat_configured_for_compression_lists_only_deflate()
    {
        using var sysfs = SysfsFixture.Materialize("sysfs-qat4xxx");

        var qat = Assert.Single(new HioScanner(sysfs.Root).ScanPci().Devices);

        Assert.Equal("qat-0000-6b-00-0", qat.Name);
        Assert.Equal("4940 (QAT 4xxx PF)", qat.Model);
        Assert.Equal([AccelerationFunctions.Deflate], qat.Functions);
        Assert.Equal(1, qat.NumaNode);
        Assert.Equal("kernel driver 4xxx; to drive it through DPDK's crypto_qat, compress_qat: modprobe vfio-pci && dpdk-devbind.py --bind=vfio-pci 0000:6b:00.0, then add 0000:6b:00.0 to fabric.node.dpdk.allow-pci", qat.Reason);
    }

    [Theory]
    [InlineData("0x", "vendor: not a hex id \"0x\"")]
    [InlineData("0x808612", "vendor: not a hex id \"0x808612\"")]
    [InlineData("", "vendor: not a hex id \"\"")]
    public void Malformed_vendor_is_skipped(string vendor, string reason)
    {
        using var sysfs = SysfsFixture.Scratch();
        sysfs.AddDevice("0000:01:00.0", vendor, "0x37c8", "0x0b4000");

        var report = new HioScanner(sysfs.Root).ScanPci();

        Assert.Empty(report.Devices);
        Assert.Equal(new HioSkippedEntry("0000:01:00.0", reason), Assert.Single(report.Skipped));
    }

    [Fact]
    public void Missing_vendor_is_skipped()
    {
        using var sysfs = SysfsFixture.Scratch();
        sysfs.AddDevice("0000:01:00.0", vendor: null, "0x37c8", "0x0b4000");

        var report = new HioScanner(sysfs.Root).ScanPci();

        Assert.Equal(new HioSkippedEntry("0000:01:00.0", "vendor: missing"), Assert.Single(report.Skipped));
    }

    [Theory]
    [InlineData("-1", -1)]
    [InlineData("3", 3)]
    [InlineData("banana", -1)]
    [InlineData(null, -1)]
    public void Numa_node_is_read_or_unknown(string? numaNode, int expected)
    {
        using var sysfs = SysfsFixture.Scratch();
        sysfs.AddDevice("0000:01:00.0", "0x8086", "0x37c8", "0x0b4000", numaNode);

        Assert.Equal(expected, Assert.Single(new HioScanner(sysfs.Root).ScanPci().Devices).NumaNode);
    }
}
