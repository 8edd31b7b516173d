using System.Security.Cryptography;

namespace Fabric.Dataplane.Drivers;

/// <summary>AES-256-GCM software g-driver (OpenSSL through System.Security.Cryptography).</summary>
public sealed class AesGcmDriver : AeadDriver
{
    public override string Function => "aes-256-gcm";

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
