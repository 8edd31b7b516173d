namespace Fabric.Messages.Functions;

/// <summary>The acceleration functions Fabric's g-drivers implement, by their wire names.</summary>
public static class AccelerationFunctions
{
    public const string Aes256Gcm = "aes-256-gcm";
    public const string ChaCha20Poly1305 = "chacha20-poly1305";
    public const string Sha256 = "sha256";
    public const string HmacSha256 = "hmac-sha256";
    public const string Crc32C = "crc32c";
    public const string Deflate = "deflate";
    public const string Brotli = "brotli";

    public static IReadOnlyList<string> All { get; } =
        [Aes256Gcm, ChaCha20Poly1305, Sha256, HmacSha256, Crc32C, Deflate, Brotli];
}
