namespace Fabric.Dataplane.Dpdk;

/// <summary>One started DPDK crypto device (cryptodev): AES-GCM, ChaCha20-Poly1305, SHA-256, HMAC-SHA-256 as its PMD offers.</summary>
public sealed class Cryptodev : DpdkDevice
{
    private Cryptodev(CryptodevHandle handle, string name, int queuePairs, int depth)
        : base(handle, name, queuePairs, depth)
    {
    }

    public override bool IsCompress => false;

    /// <summary>
    /// Configures and starts the device <paramref name="name"/> with <paramref name="queuePairs"/> queue pairs of
    /// <paramref name="depth"/> descriptors. EAL must be running. Throws <see cref="DpdkException"/> saying why not.
    /// </summary>
    public static Cryptodev Open(string name, int queuePairs = 4, int depth = 32, int maxOpBytes = MaxSingleSegmentBytes) =>
        new(OpenHandle("cryptodev", name, queuePairs, depth, maxOpBytes, compress: false), name, queuePairs, depth);
}
