using Fabric.Messages.Functions;
using Fabric.Node.Hio;
using Xunit;

namespace Fabric.Node.Tests.Hio;

public sealed class SoftwareDevicesTests
{
    [Fact]
    public void Every_host_has_software_crypto_and_compression()
    {
        var devices = HioScanner.SoftwareDevices();

        Assert.Equal(2, devices.Count);
        var crypto = devices[0];
        Assert.Equal("sw-crypto-0", crypto.Name);
        Assert.Equal(HostDeviceTypes.SoftwareCrypto, crypto.Type);
        Assert.Equal(
            [
                AccelerationFunctions.Aes256Gcm,
                AccelerationFunctions.ChaCha20Poly1305,
                AccelerationFunctions.Sha256,
                AccelerationFunctions.HmacSha256,
                AccelerationFunctions.Crc32C,
                AccelerationFunctions.Aes128Cbc,
                AccelerationFunctions.Aes256Cbc,
                AccelerationFunctions.Aes128CbcHmacSha1,
                AccelerationFunctions.Aes256CbcHmacSha1,
                AccelerationFunctions.Aes128CbcHmacSha256,
                AccelerationFunctions.Aes256CbcHmacSha256,
                AccelerationFunctions.Aes128Gcm,
                AccelerationFunctions.AesCbc,
            ],
            crypto.Functions);
        var compression = devices[1];
        Assert.Equal("sw-compression-0", compression.Name);
        Assert.Equal(HostDeviceTypes.SoftwareCompression, compression.Type);
        Assert.Equal([AccelerationFunctions.Deflate, AccelerationFunctions.Brotli, AccelerationFunctions.Crc32C], compression.Functions);
        Assert.All(devices, d =>
        {
            Assert.True(d.Usable);
            Assert.Null(d.Reason);
            Assert.Equal(DeviceBacking.Software, d.Backing);
            Assert.Equal("", d.PciAddress);
            Assert.Null(d.KernelDriver);
            Assert.Equal(-1, d.NumaNode);
            Assert.Equal(16, d.QueuePairs);
        });
    }

    [Fact]
    public void Together_they_cover_every_fabric_function()
    {
        var covered = HioScanner.SoftwareDevices().SelectMany(d => d.Functions).ToHashSet();

        Assert.Subset(covered, AccelerationFunctions.All.ToHashSet());
    }

    [Fact]
    public void Queue_pairs_are_configurable()
    {
        Assert.All(HioScanner.SoftwareDevices(queuePairs: 4), d => Assert.Equal(4, d.QueuePairs));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Queue_pairs_must_be_positive(int queuePairs)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HioScanner.SoftwareDevices(queuePairs));
    }
}
