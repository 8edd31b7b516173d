using Fabric.Dataplane.Dpdk;

namespace Fabric.Dataplane.Tests.Dpdk;

/// <summary>
/// EAL for the whole test process (rte_eal_init runs once per process) with the software PMDs as vdevs, and one
/// started device per PMD. Without DPDK the constructor throws, so every DPDK test fails saying why: ./test.sh
/// installs DPDK, and a silent skip would hide a g-driver family that no longer works.
/// </summary>
public sealed class DpdkFixture : IDisposable
{
    /// <summary>The software PMDs Debian's DPDK 22.11 ships that do AES-256-GCM (ipsec-mb's two and OpenSSL's).</summary>
    public static readonly string[] Devices = ["crypto_openssl0", "crypto_aesni_gcm0", "crypto_aesni_mb0"];

    /// <summary>Every software PMD Debian 12 ships for Fabric's functions: the three above, ChaCha20-Poly1305's and both deflates.</summary>
    public static readonly string[] AllDevices = [.. Devices, "crypto_chacha20_poly1305_0", "compress_isal0", "compress_zlib0"];

    /// <summary>A crypto_scheduler over two ipsec-mb GCM devices (round-robin; mixed workers make it report functions one of them lacks): one device to the tests, its workers none.</summary>
    public const string Scheduler = "crypto_scheduler0";

    public static readonly string[] SchedulerWorkers = ["crypto_aesni_gcm1", "crypto_aesni_gcm2"];

    public static readonly DpdkEalOptions Options = new()
    {
        // The workers first: EAL creates vdevs in order, and the scheduler takes existing devices.
        Vdevs = [.. AllDevices, .. SchedulerWorkers, $"crypto_scheduler,name={Scheduler},mode=round-robin," + string.Join(",", SchedulerWorkers.Select(w => "worker=" + w))],
        MemoryMb = 256,
        FilePrefix = "fabric-test-" + Environment.ProcessId,
    };

    private readonly Dictionary<string, DpdkDevice> _devices = [];

    public DpdkFixture()
    {
        if (!DpdkEal.TryStart(Options, out var reason))
        {
            throw new DpdkException("the DPDK tests need DPDK (./test.sh installs it: apt-get install dpdk-dev pkg-config, then rebuild): " + reason);
        }
        // The scheduler configures, starts and feeds its workers: they are not devices of their own.
        Discovered = DpdkDiscovery.List().Where(d => !SchedulerWorkers.Contains(d.Name)).ToList();
        foreach (var info in Discovered)
        {
            _devices[info.Name] = DpdkDiscovery.Open(info, queuePairs: 4, depth: 32);
        }
    }

    /// <summary>What discovery found after EAL started (every vdev of <see cref="AllDevices"/>).</summary>
    public IReadOnlyList<DpdkDeviceInfo> Discovered { get; }

    public Cryptodev Device(string name) => (Cryptodev)_devices[name];

    public DpdkDevice Any(string name) => _devices[name];

    public void Dispose()
    {
        foreach (var device in _devices.Values)
        {
            device.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DpdkCollection : ICollectionFixture<DpdkFixture>
{
    public const string Name = "dpdk";
}
