using System.Security.Cryptography;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// AES-CBC then HMAC (encrypt-then-MAC), the cipher+hash chain virtio-crypto and DPDK's vhost-crypto offer.
/// Key = AES key (16 or 32 bytes, by the function's name) || HMAC key (1..128 bytes). IV = the param's 16 bytes.
/// Forward: input aad || plaintext -> output ciphertext || HMAC(aad || ciphertext). Inverse: input aad || ciphertext
/// || tag -> plaintext; the tag is checked (constant time) before anything is decrypted, so a forged input writes
/// nothing (AuthFailed). A guest that wants its IV authenticated puts it in the AAD.
/// </summary>
public sealed class AesCbcHmacDriver : IGDriver
{
    public const int MaxMacKeyBytes = 128;

    private readonly int _keySize;
    private readonly HashAlgorithmName _hash;

    public AesCbcHmacDriver(int keySize, HashAlgorithmName hash)
    {
        if (keySize is not (16 or 32))
        {
            throw new ArgumentOutOfRangeException(nameof(keySize), keySize, "AES-CBC functions use 16- or 32-byte keys");
        }
        (TagSize, var hashName) = hash.Name switch
        {
            "SHA1" => (20, "sha1"),
            "SHA256" => (32, "sha256"),
            _ => throw new ArgumentOutOfRangeException(nameof(hash), hash.Name, "HMAC-SHA1 or HMAC-SHA256"),
        };
        _keySize = keySize;
        _hash = hash;
        Function = $"aes-{keySize * 8}-cbc-hmac-{hashName}";
    }

    public string Function { get; }

    /// <summary>Bytes of the HMAC appended by Forward (20 for SHA-1, 32 for SHA-256).</summary>
    public int TagSize { get; }

    public DriverKind Kind => DriverKind.Transform;

    public int DigestSize => 0;

    public bool RequiresSession => true;

    private sealed class Session(AesCbcDriver.CbcSession aes, IncrementalHash mac) : IDisposable
    {
        public AesCbcDriver.CbcSession Aes { get; } = aes;
        public IncrementalHash Mac { get; } = mac;

        public void Dispose()
        {
            Aes.Dispose();
            Mac.Dispose();
        }
    }

    public OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session)
    {
        session = null;
        var macKey = key.Length > _keySize ? key[_keySize..] : default;
        if (macKey.IsEmpty || macKey.Length > MaxMacKeyBytes)
        {
            return OpStatus.BadKey;
        }
        session = new Session(new AesCbcDriver.CbcSession(key[.._keySize]), IncrementalHash.CreateHMAC(_hash, macKey));
        return OpStatus.Ok;
    }

    public void CloseSession(object? session) => (session as IDisposable)?.Dispose();

    public OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        if (op.Session is not Session s)
        {
            return OpStatus.BadSession;
        }
        if ((uint)op.AadLength > (uint)input.Length)
        {
            return OpStatus.BadInput;
        }
        var aad = input[..op.AadLength];
        var body = input[op.AadLength..];
        var cbcOp = op.WithAad(0);
        Span<byte> tag = stackalloc byte[32];
        tag = tag[..TagSize];
        if (op.Code == OpCode.Forward)
        {
            if (output.Length < body.Length + TagSize)
            {
                return OpStatus.OutputTooSmall;
            }
            var status = AesCbcDriver.Run(cbcOp, s.Aes, body, output[..body.Length], out var n);
            if (status != OpStatus.Ok)
            {
                return status;
            }
            s.Mac.AppendData(aad);
            s.Mac.AppendData(output[..n]);
            s.Mac.GetHashAndReset(output.Slice(n, TagSize));
            written = n + TagSize;
            return OpStatus.Ok;
        }
        if (op.Code == OpCode.Inverse)
        {
            if (body.Length < TagSize)
            {
                return OpStatus.BadInput;
            }
            var ciphertext = body[..^TagSize];
            s.Mac.AppendData(aad);
            s.Mac.AppendData(ciphertext);
            s.Mac.GetHashAndReset(tag);
            if (!CryptographicOperations.FixedTimeEquals(tag, body[^TagSize..]))
            {
                return OpStatus.AuthFailed;
            }
            return AesCbcDriver.Run(cbcOp, s.Aes, ciphertext, output, out written);
        }
        return OpStatus.Unsupported;
    }

    public void Dispose()
    {
    }
}
