namespace Fabric.Dataplane.Dpdk;

/// <summary>One started DPDK compression device (compressdev): raw deflate, stateless, e.g. compress_isal, compress_zlib.</summary>
public sealed class Compressdev : DpdkDevice
{
    private Compressdev(CryptodevHandle handle, string name, int queuePairs, int depth)
        : base(handle, name, queuePairs, depth)
    {
    }

    public override bool IsCompress => true;

    /// <summary>Configures and starts compressdev <paramref name="name"/>; throws <see cref="DpdkException"/> saying why not.</summary>
    public static Compressdev Open(string name, int queuePairs = 4, int depth = 32, int maxOpBytes = MaxSingleSegmentBytes) =>
        new(OpenHandle("compressdev", name, queuePairs, depth, maxOpBytes, compress: true), name, queuePairs, depth);
}
