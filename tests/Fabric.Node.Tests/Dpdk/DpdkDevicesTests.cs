using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Dpdk;
using Fabric.Node.Dpdk;
using Xunit;
using Xunit.Abstractions;

namespace Fabric.Node.Tests.Dpdk;

/// <summary>
/// The node's DPDK: EAL started from settings with Debian's software PMDs, the devices it found with their PMD, NUMA
/// node, queue pairs and functions, and the g-driver factory. EAL runs once per process, so one test does it all
/// (its second start is the "EAL cannot start" case).
/// </summary>
public class DpdkDevicesTests(ITestOutputHelper output)
{
    private static readonly DpdkScheduler Scheduler = new("crypto_scheduler0", "round-robin", ["crypto_aesni_gcm1", "crypto_aesni_gcm2"]);

    [Fact]
    public void Starts_EAL_from_settings_lists_devices_by_capability_and_creates_their_drivers()
    {
        var settings = DpdkNodeSettings.Disabled with
        {
            Enabled = true,
            QueuePairs = 2,
            Eal = new DpdkEalOptions
            {
                Vdevs = ["crypto_aesni_mb0", "compress_isal0", "crypto_aesni_gcm1", "crypto_aesni_gcm2", Scheduler.Vdev],
                FilePrefix = "fabric-node-test-" + Environment.ProcessId,
            },
            Schedulers = [Scheduler],
        };
        using var dpdk = DpdkDevices.Start(settings);
        output.WriteLine(dpdk.Status);
        Assert.True(dpdk.Running, dpdk.Status);

        var mb = dpdk.Devices.Single(d => d.Pmd == "crypto_aesni_mb");
        Assert.Equal("dpdk-crypto-aesni-mb0", mb.Name);
        Assert.Equal(DpdkDevices.CryptoType, mb.Type);
        Assert.Equal(["aes-256-gcm", "chacha20-poly1305", "sha256", "hmac-sha256", "aes-128-gcm"], mb.Functions);
        Assert.Equal(2, mb.QueuePairs);
        Assert.Equal("", mb.PciAddress);
        Assert.Contains("CUSTOM_FABRIC_DPDK_PMD_CRYPTO_AESNI_MB", mb.Traits);
        var isal = dpdk.Devices.Single(d => d.Pmd == "compress_isal");
        Assert.Equal((DpdkDevices.CompressionType, "dpdk-compress-isal0"), (isal.Type, isal.Name));
        Assert.Equal(["deflate"], isal.Functions);
        Assert.StartsWith("DPDK: dpdk-crypto-aesni-mb0 (crypto_aesni_mb, numa ", dpdk.Status, StringComparison.Ordinal);

        // The crypto_scheduler: one device over its two workers (which are not devices of their own), its functions
        // what both offer; ops spread round-robin over the workers, each answer the .NET driver's.
        var scheduler = dpdk.Devices.Single(d => d.Pmd == "crypto_scheduler");
        Assert.Equal("dpdk-crypto-scheduler0", scheduler.Name);
        Assert.Equal(["aes-256-gcm", "aes-128-gcm"], scheduler.Functions);
        Assert.DoesNotContain(dpdk.Devices, d => d.EalName.StartsWith("crypto_aesni_gcm", StringComparison.Ordinal));
        using (var spread = dpdk.CreateDriver(scheduler.Name, "aes-256-gcm"))
        using (var reference = new AesGcmDriver())
        {
            var key = Convert.FromHexString("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
            Assert.Equal(OpStatus.Ok, spread.OpenSession(key, out var session));
            Assert.Equal(OpStatus.Ok, reference.OpenSession(key, out var referenceSession));
            for (var i = 0; i < 16; i++)
            {
                var input = new byte[100 + i];
                Random.Shared.NextBytes(input);
                var nonce = new byte[12];
                nonce[0] = (byte)i;
                var expected = new byte[input.Length + 16];
                var actual = new byte[input.Length + 16];
                Assert.Equal(OpStatus.Ok, reference.Execute(new DriverOp(OpCode.Forward, referenceSession, nonce, 0, long.MaxValue), input, expected, out _));
                Assert.Equal(OpStatus.Ok, spread.Execute(new DriverOp(OpCode.Forward, session, nonce, 0, long.MaxValue), input, actual, out var written));
                Assert.Equal(expected, actual.AsSpan(0, written).ToArray());
            }
            spread.CloseSession(session);
            reference.CloseSession(referenceSession);
        }

        // The factory: one queue pair per driver, the capacity the device advertises, plus the spare a reset uses.
        using (var first = dpdk.Factory(mb.Name, "sha256"))
        using (var second = dpdk.CreateDriver(mb.Name, "aes-256-gcm"))
        using (var spare = dpdk.CreateDriver(mb.Name, "aes-256-gcm"))
        {
            Assert.Equal(0, dpdk.FreeQueuePairs(mb.Name));
            Assert.Contains("no free queue pair", Assert.Throws<ArgumentException>(() => dpdk.CreateDriver(mb.Name, "hmac-sha256")).Message, StringComparison.Ordinal);
            var digest = new byte[32];
            var op = new DriverOp(OpCode.Forward, null, new byte[12], 0, long.MaxValue);
            Assert.Equal(OpStatus.Ok, first.Execute(op, "abc"u8, digest, out var written));
            Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(digest.AsSpan(0, written)));
        }
        Assert.Equal(3, dpdk.FreeQueuePairs(mb.Name));
        using (var deflate = dpdk.CreateDriver(isal.Name, "deflate"))
        {
            var output = new byte[64];
            var op = new DriverOp(OpCode.Inverse, null, new byte[12], 0, long.MaxValue);
            Assert.Equal(OpStatus.Ok, deflate.Execute(op, Convert.FromHexString("cb48cdc9c90700"), output, out var n));
            Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(output, 0, n));
        }
        Assert.Contains("does not offer deflate", Assert.Throws<ArgumentException>(() => dpdk.CreateDriver(mb.Name, "deflate")).Message, StringComparison.Ordinal);
        Assert.Contains("no DPDK device dpdk-nothing", Assert.Throws<ArgumentException>(() => dpdk.CreateDriver("dpdk-nothing", "sha256")).Message, StringComparison.Ordinal);

        // EAL cannot start a second time in a process: the node says why in one line and serves software only.
        using var again = DpdkDevices.Start(settings);
        Assert.False(again.Running);
        Assert.Empty(again.Devices);
        Assert.DoesNotContain('\n', again.Status);
        Assert.Contains("EAL is already running in this process", again.Status, StringComparison.Ordinal);
        Assert.EndsWith("running with the software drivers only", again.Status, StringComparison.Ordinal);
    }
}
