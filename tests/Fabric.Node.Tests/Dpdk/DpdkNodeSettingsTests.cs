using Akka.Configuration;
using Fabric.Control.Configuration;
using Fabric.Node.Dpdk;
using Xunit;

namespace Fabric.Node.Tests.Dpdk;

/// <summary><c>fabric.node.dpdk</c> parsed into EAL's options (pure: no EAL is started here).</summary>
public class DpdkNodeSettingsTests
{
    [Fact]
    public void The_shipped_node_conf_keeps_DPDK_off_with_EALs_safe_defaults()
    {
        var conf = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(FabricConfig.HoconDirectory, "node.conf")));
        var settings = DpdkNodeSettings.From(conf);
        Assert.False(settings.Enabled);
        Assert.Equal("0", settings.Eal.Lcores);
        Assert.True(settings.Eal.NoHuge);
        Assert.Equal(256, settings.Eal.MemoryMb);
        Assert.Empty(settings.Eal.Vdevs);
        Assert.Contains("--no-pci", settings.Eal.ToArguments());
        Assert.Equal((4, 32, 6), (settings.QueuePairs, settings.QueueDepth, settings.DeflateLevel));
    }

    [Fact]
    public void A_scheduler_becomes_a_vdev_after_its_workers_and_its_workers_are_not_devices()
    {
        var settings = DpdkNodeSettings.From(ConfigurationFactory.ParseString("""
            fabric.node.dpdk {
              enabled = on
              vdevs = ["crypto_aesni_gcm1", "crypto_aesni_mb1", "compress_isal0"]
              schedulers {
                crypto_scheduler0 { mode = fail-over, workers = ["crypto_aesni_gcm1", "crypto_aesni_mb1"] }
              }
            }
            """));
        var scheduler = Assert.Single(settings.Schedulers);
        Assert.Equal(new DpdkScheduler("crypto_scheduler0", "fail-over", ["crypto_aesni_gcm1", "crypto_aesni_mb1"]).Vdev, scheduler.Vdev);
        Assert.Equal(
            ["crypto_aesni_gcm1", "crypto_aesni_mb1", "compress_isal0", "crypto_scheduler,name=crypto_scheduler0,mode=fail-over,worker=crypto_aesni_gcm1,worker=crypto_aesni_mb1"],
            settings.Eal.Vdevs);
        Assert.Equal(["crypto_aesni_gcm1", "crypto_aesni_mb1"], settings.SchedulerWorkers.Order());
    }

    [Theory]
    [InlineData("mode = fastest, workers = [\"crypto_aesni_gcm1\"]", "fabric.node.dpdk.schedulers.crypto_scheduler0.mode: 'fastest' is not one of round-robin, fail-over, packet-size-distr")]
    [InlineData("mode = fail-over, workers = [\"crypto_aesni_gcm1\"]", "fabric.node.dpdk.schedulers.crypto_scheduler0.workers: 1 worker(s): give two (primary, secondary)")]
    [InlineData("workers = [\"crypto_openssl9\"]", "fabric.node.dpdk.schedulers.crypto_scheduler0.workers: 'crypto_openssl9' is not one of the vdevs (crypto_aesni_gcm1)")]
    [InlineData("workers = []", "fabric.node.dpdk.schedulers.crypto_scheduler0.workers: 0 worker(s)")]
    public void A_bad_scheduler_is_refused_naming_it(string body, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => DpdkNodeSettings.From(ConfigurationFactory.ParseString(
            $"fabric.node.dpdk {{ vdevs = [\"crypto_aesni_gcm1\"], schedulers {{ crypto_scheduler0 {{ {body} }} }} }}")));
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_setting_reaches_the_EAL_arguments()
    {
        var settings = DpdkNodeSettings.From(ConfigurationFactory.ParseString("""
            fabric.node.dpdk {
              enabled = on
              lcores = "1"
              no-huge = off
              memory-mb = 0
              vdevs = ["crypto_aesni_gcm0", "compress_isal0,socket_id=0"]
              allow-pci = ["0000:3D:01.0"]
              queue-pairs = 8
              queue-depth = 64
              deflate-level = 1
              log-level = debug
              file-prefix = "node-a"
            }
            """));
        Assert.True(settings.Enabled);
        Assert.Equal(
            ["fabric", "-l", "1", "--file-prefix", "node-a", "--log-level", "debug", "--no-telemetry", "--no-shconf",
                "-a", "0000:3d:01.0", "--vdev", "crypto_aesni_gcm0", "--vdev", "compress_isal0,socket_id=0"],
            settings.Eal.ToArguments());
        Assert.Equal((8, 64, 1), (settings.QueuePairs, settings.QueueDepth, settings.DeflateLevel));
    }

    [Theory]
    [InlineData("lcores = \"zero\"", "fabric.node.dpdk.lcores: 'zero' is not an EAL core list")]
    [InlineData("memory-mb = 0", "fabric.node.dpdk.memory-mb: 0 must be > 0 with no-huge = on")]
    [InlineData("vdevs = [\"crypto_openssl0 --no-huge\"]", "fabric.node.dpdk.vdevs: 'crypto_openssl0 --no-huge' is not a vdev")]
    [InlineData("allow-pci = [\"3d:01\"]", "fabric.node.dpdk.allow-pci: '3d:01' is not a PCI address")]
    [InlineData("queue-pairs = 0", "fabric.node.dpdk.queue-pairs: 0 is not in [1, 1024]")]
    [InlineData("queue-depth = 100000", "fabric.node.dpdk.queue-depth: 100000 is not in [1, 4096]")]
    [InlineData("deflate-level = 0", "fabric.node.dpdk.deflate-level: 0 is not in [1, 9]")]
    [InlineData("log-level = \"x; rm\"", "fabric.node.dpdk.log-level:")]
    public void A_bad_setting_is_refused_naming_it(string line, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => DpdkNodeSettings.From(ConfigurationFactory.ParseString($"fabric.node.dpdk {{ enabled = on\n{line} }}")));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Off_says_so_in_one_line_and_offers_no_device()
    {
        using var dpdk = DpdkDevices.Start(DpdkNodeSettings.Disabled);
        Assert.False(dpdk.Running);
        Assert.Empty(dpdk.Devices);
        Assert.Equal("DPDK is off (fabric.node.dpdk.enabled = off): software drivers only", dpdk.Status);
    }
}
