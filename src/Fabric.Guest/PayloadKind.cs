namespace Fabric.Guest;

/// <summary>What the input bytes look like: compression ratios (and so throughput) depend on it.</summary>
public enum PayloadKind
{
    /// <summary>Random bytes: incompressible, the worst case for deflate and brotli.</summary>
    Random,

    /// <summary>Repeating ASCII text: compresses well.</summary>
    Text,

    /// <summary>All zero bytes.</summary>
    Zero,
}
