using System.Security.Cryptography;

namespace Fabric.Dataplane.Drivers;

/// <summary>ChaCha20-Poly1305 (RFC 8439) software g-driver.</summary>
public sealed class ChaCha20Poly1305Driver : AeadDriver
{
    public override string Function => "chacha20-poly1305";

    protected override object CreateCipher(ReadOnlySpan<byte> key) => new ChaCha20Poly1305(key);

    protected override void Seal(object cipher, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> aad) =>
        ((ChaCha20Poly1305)cipher).Encrypt(nonce, plaintext, ciphertext, tag, aad);

    protected override bool Open(object cipher, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        try
        {
            ((ChaCha20Poly1305)cipher).Decrypt(nonce, ciphertext, tag, plaintext, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }
}
