namespace Fabric.Dataplane.Dpdk;

/// <summary>Lists the cryptodevs and compressdevs EAL probed, with the Fabric functions their capabilities offer.</summary>
public static class DpdkDiscovery
{
    /// <summary>Every device EAL found (empty when EAL is not running).</summary>
    public static unsafe IReadOnlyList<DpdkDeviceInfo> List()
    {
        if (!DpdkEal.IsRunning)
        {
            return [];
        }
        var count = DpdkNative.DeviceList(null, 0);
        if (count <= 0)
        {
            return [];
        }
        var descriptions = new DpdkNative.DeviceDescription[count];
        fixed (DpdkNative.DeviceDescription* d = descriptions)
        {
            count = Math.Min(count, DpdkNative.DeviceList(d, (uint)count));
        }
        var result = new List<DpdkDeviceInfo>(count);
        for (var i = 0; i < count; i++)
        {
            result.Add(Describe(ref descriptions[i]));
        }
        return result;
    }

    /// <summary>Fabric's function names for the shim's capability bits, in <see cref="DpdkGDriver.Functions"/>'s order.</summary>
    public static IReadOnlyList<string> FunctionsOf(uint capabilities)
    {
        var functions = new List<string>(5);
        if ((capabilities & DpdkNative.CapAes256Gcm) != 0)
        {
            functions.Add("aes-256-gcm");
        }
        if ((capabilities & DpdkNative.CapChaCha20Poly1305) != 0)
        {
            functions.Add("chacha20-poly1305");
        }
        if ((capabilities & DpdkNative.CapSha256) != 0)
        {
            functions.Add("sha256");
        }
        if ((capabilities & DpdkNative.CapHmacSha256) != 0)
        {
            functions.Add("hmac-sha256");
        }
        if ((capabilities & DpdkNative.CapDeflate) != 0)
        {
            functions.Add("deflate");
        }
        if ((capabilities & DpdkNative.CapAes128Gcm) != 0)
        {
            functions.Add("aes-128-gcm");
        }
        return functions;
    }

    private static unsafe DpdkDeviceInfo Describe(ref DpdkNative.DeviceDescription d)
    {
        fixed (byte* name = d.Name)
        fixed (byte* driver = d.Driver)
        {
            return new DpdkDeviceInfo(
                DpdkNative.Text(name),
                DpdkNative.Text(driver),
                d.Kind == 1,
                d.SocketId,
                (int)d.MaxQueuePairs,
                FunctionsOf(d.Capabilities),
                (d.Capabilities & DpdkNative.CapAes128Gcm) != 0);
        }
    }

    /// <summary>Opens a discovered device with <paramref name="queuePairs"/> queue pairs (capped by the PMD's limit).</summary>
    public static DpdkDevice Open(DpdkDeviceInfo info, int queuePairs, int depth = 32)
    {
        ArgumentNullException.ThrowIfNull(info);
        var pairs = info.MaxQueuePairs > 0 ? Math.Min(queuePairs, info.MaxQueuePairs) : queuePairs;
        return info.IsCompress ? Compressdev.Open(info.Name, pairs, depth) : Cryptodev.Open(info.Name, pairs, depth);
    }
}
