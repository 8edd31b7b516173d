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

    public static readonly DpdkEalOptions Options = new()
    {
        Vdevs = Devices,
        MemoryMb = 256,
        FilePrefix = "fabric-test-" + Environment.ProcessId,
    };

    private readonly Dictionary<string, Cryptodev> _devices = [];

    public DpdkFixture()
    {
        if (!DpdkEal.TryStart(Options, out var reason))
        {
            throw new DpdkException("the DPDK tests need DPDK (./test.sh installs it: apt-get install dpdk-dev pkg-config, then rebuild): " + reason);
        }
        foreach (var name in Devices)
        {
            _devices[name] = Cryptodev.Open(name, queuePairs: 4, depth: 32);
        }
    }

    public Cryptodev Device(string name) => _devices[name];

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
