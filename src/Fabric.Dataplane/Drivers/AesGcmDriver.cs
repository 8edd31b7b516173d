using System.Security.Cryptography;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// AES-GCM software g-driver (OpenSSL through System.Security.Cryptography). Named for its usual key, it takes
/// 16-, 24- and 32-byte keys (AES-128/192/256-GCM): the session's key decides. As "aes-128-gcm" it takes 16-byte keys only.
/// </summary>
public sealed class AesGcmDriver : AeadDriver
{
    private readonly bool _only128;

    public AesGcmDriver()
    {
    }

    /// <param name="only128">True: the aes-128-gcm function (16-byte keys only).</param>
    public AesGcmDriver(bool only128) => _only128 = only128;

    public override string Function => _only128 ? "aes-128-gcm" : "aes-256-gcm";

    protected override bool IsKeyLength(int bytes) => _only128 ? bytes == 16 : bytes is 16 or 24 or 32;

    protected override object CreateCipher(ReadOnlySpan<byte> key) => new AesGcm(key, TagSize);

    protected override void Seal(object cipher, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> aad) =>
        ((AesGcm)cipher).Encrypt(nonce, plaintext, ciphertext, tag, aad);

    protected override bool Open(object cipher, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        try
        {
            ((AesGcm)cipher).Decrypt(nonce, ciphertext, tag, plaintext, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // The BCL reports a bad tag only by exception; forged input is rare and already an error path.
            return false;
        }
    }
}
