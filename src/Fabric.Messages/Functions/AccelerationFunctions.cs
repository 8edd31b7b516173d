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
    public const string Aes128Cbc = "aes-128-cbc";
    public const string Aes256Cbc = "aes-256-cbc";
    public const string Aes128CbcHmacSha1 = "aes-128-cbc-hmac-sha1";
    public const string Aes256CbcHmacSha1 = "aes-256-cbc-hmac-sha1";
    public const string Aes128CbcHmacSha256 = "aes-128-cbc-hmac-sha256";
    public const string Aes256CbcHmacSha256 = "aes-256-cbc-hmac-sha256";
    /// <summary>AES-GCM with 16-byte keys only (aes-256-gcm's drivers also take 16-byte keys; this one refuses others).</summary>
    public const string Aes128Gcm = "aes-128-gcm";
    /// <summary>AES-CBC with any AES key size (16, 24 or 32 bytes): what a virtio-crypto guest's cbc(aes) needs.</summary>
    public const string AesCbc = "aes-cbc";

    public static IReadOnlyList<string> All { get; } =
        [Aes256Gcm, ChaCha20Poly1305, Sha256, HmacSha256, Crc32C, Deflate, Brotli,
         Aes128Cbc, Aes256Cbc, Aes128CbcHmacSha1, Aes256CbcHmacSha1, Aes128CbcHmacSha256, Aes256CbcHmacSha256, Aes128Gcm,
         AesCbc];
}
