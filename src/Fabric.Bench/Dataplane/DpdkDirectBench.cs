using System.Text.Json.Nodes;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// AES-256-GCM seal called in-process on one pinned core: the .NET driver against the DPDK g-driver on software
/// PMDs, same sizes, same run. The DPDK driver is still synchronous (one op in flight), so this measures the cost
/// of the shim, the copies and the PMD, not what a device with many ops in flight would give.
/// </summary>
internal static class DpdkDirectBench
{
    private static readonly string[] s_devices = ["crypto_openssl0", "crypto_aesni_gcm0"];
    private static readonly int[] s_sizes = [64, 1024, 16 * 1024];

    public static JsonObject Run(int core, TimeSpan perCase, TextWriter log)
    {
        var options = new DpdkEalOptions { Vdevs = s_devices, FilePrefix = "fabric-bench-" + Environment.ProcessId };
        if (!DpdkEal.TryStart(options, out var reason))
        {
            log.WriteLine($"dpdk     skipped: {reason}");
            return new JsonObject { ["available"] = false, ["reason"] = reason };
        }
        var devices = s_devices.Select(name => Cryptodev.Open(name, queuePairs: 1)).ToArray();
        try
        {
            var sizes = new JsonArray();
            foreach (var size in s_sizes)
            {
                var c = new BenchCase($"aes-256-gcm/{size}B", "aes-256-gcm", size, 1);
                var net = Pinned.Run(core, () => DirectRunner.Run(c, perCase, () => new AesGcmDriver()), out _);
                log.WriteLine($"direct   {c.Name,-24} {"dotnet",-18} {net.OpsPerSec,12:N0} ops/s  p50 {net.P50Nanos,8:N0} ns");
                var entry = new JsonObject
                {
                    ["size"] = size,
                    ["dotnet"] = WithBytes(net, size),
                };
                foreach (var device in devices)
                {
                    var dpdk = Pinned.Run(core, () => DirectRunner.Run(c, perCase, () => new CryptodevAesGcmDriver(device)), out _);
                    log.WriteLine($"direct   {c.Name,-24} {device.DriverName,-18} {dpdk.OpsPerSec,12:N0} ops/s  p50 {dpdk.P50Nanos,8:N0} ns");
                    entry[device.DriverName] = WithBytes(dpdk, size);
                    entry[device.DriverName + "_vs_dotnet"] = Math.Round(dpdk.OpsPerSec / net.OpsPerSec, 3);
                }
                sizes.Add(entry);
            }
            return new JsonObject
            {
                ["available"] = true,
                ["eal"] = string.Join(' ', options.ToArguments().Skip(1)),
                ["mode"] = "synchronous: one op in flight, input and output copied through one mbuf",
                ["sizes"] = sizes,
            };
        }
        finally
        {
            foreach (var device in devices)
            {
                device.Dispose();
            }
        }
    }

    private static JsonObject WithBytes(Figures f, int size)
    {
        var json = f.ToJson();
        json["gb_per_sec"] = Math.Round(f.OpsPerSec * size / 1e9, 3);
        return json;
    }
}
