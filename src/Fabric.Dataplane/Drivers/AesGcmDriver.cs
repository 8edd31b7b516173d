using System.Security.Cryptography;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// AES-GCM software g-driver (OpenSSL through System.Security.Cryptography). Named for its usual key, it takes
/// 16-, 24- and 32-byte keys (AES-128/192/256-GCM): the session's key decides.
/// </summary>
public sealed class AesGcmDriver : AeadDriver
{
    public override string Function => "aes-256-gcm";

    protected override bool IsKeyLength(int bytes) => bytes is 16 or 24 or 32;

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
