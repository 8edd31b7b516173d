using System.Security.Cryptography;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// AES-CBC software g-driver (OpenSSL through System.Security.Cryptography), no padding: what virtio-crypto's
/// <c>cbc(aes)</c> does. Forward encrypts, Inverse decrypts; input and output have the same length, a multiple of 16.
/// The IV is the descriptor's whole 16-byte param. aes-128-cbc and aes-256-cbc fix the key size; aes-cbc takes every
/// AES key size (16, 24 or 32 bytes), each session its own: a Linux guest self-tests cbc(aes) with all three.
/// </summary>
public sealed class AesCbcDriver : IGDriver
{
    public const int BlockSize = 16;

    /// <summary>The key size of <c>aes-cbc</c>: any AES key (16, 24 or 32 bytes).</summary>
    public const int AnyKeySize = 0;

    private readonly int _keySize;

    /// <summary><c>aes-cbc</c>: every AES key size.</summary>
    public AesCbcDriver()
        : this(AnyKeySize)
    {
    }

    public AesCbcDriver(int keySize)
    {
        if (keySize is not (AnyKeySize or 16 or 32))
        {
            throw new ArgumentOutOfRangeException(nameof(keySize), keySize, "AES-CBC functions use 16- or 32-byte keys, or any AES key size (0: aes-cbc)");
        }
        _keySize = keySize;
        Function = keySize switch
        {
            16 => "aes-128-cbc",
            32 => "aes-256-cbc",
            _ => "aes-cbc",
        };
    }

    public string Function { get; }

    public DriverKind Kind => DriverKind.Transform;

    public int DigestSize => 0;

    public bool RequiresSession => true;

    public OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session)
    {
        if (_keySize == AnyKeySize ? key.Length is not (16 or 24 or 32) : key.Length != _keySize)
        {
            session = null;
            return OpStatus.BadKey;
        }
        session = new CbcSession(key);
        return OpStatus.Ok;
    }

    public void CloseSession(object? session) => (session as IDisposable)?.Dispose();

    public OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written) =>
        Run(op, op.Session as CbcSession, input, output, out written);

    /// <summary>One CBC pass with the checks every CBC user shares (the chain driver too).</summary>
    internal static OpStatus Run(in DriverOp op, CbcSession? session, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        if (session is null)
        {
            return OpStatus.BadSession;
        }
        if (op.Code is not (OpCode.Forward or OpCode.Inverse))
        {
            return OpStatus.Unsupported;
        }
        if (op.Iv.Length != BlockSize || op.AadLength != 0 || input.Length % BlockSize != 0)
        {
            return OpStatus.BadInput;
        }
        if (output.Length < input.Length)
        {
            return OpStatus.OutputTooSmall;
        }
        if (op.Code == OpCode.Forward)
        {
            session.Encrypt(op.Iv, input, output);
        }
        else
        {
            session.Decrypt(op.Iv, input, output);
        }
        written = input.Length;
        return OpStatus.Ok;
    }

    /// <summary>
    /// CBC over one native context per direction, kept for the session: the BCL's one-shot CBC (TryEncryptCbc) makes a
    /// native context per call, an allocation per op. Encryption runs a CBC transform over up to 4 KiB per call: the
    /// transform chains from the last ciphertext block it produced (S), so a request with its own IV feeds its first
    /// block as P0 ^ IV ^ S, which the transform turns into E(P0 ^ IV). (One TransformBlock per 16-byte block, the
    /// earlier way, cost about 40 µs per 4 KiB: one native call per block.) Decryption runs ECB over up to 4 KiB at a
    /// time and XORs each block with the ciphertext before it. Touched by the queue's worker only.
    /// </summary>
    internal sealed class CbcSession : IDisposable
    {
        private const int Chunk = 4096;
        private readonly Aes _aes;
        private readonly Aes _ecb;
        private readonly ICryptoTransform _encryptor;
        private readonly ICryptoTransform _decryptor;
        private readonly byte[] _chain = new byte[BlockSize];
        private readonly byte[] _previous = new byte[BlockSize];
        private readonly byte[] _in = new byte[Chunk];
        private readonly byte[] _out = new byte[Chunk];

        public CbcSession(ReadOnlySpan<byte> key)
        {
            var k = key.ToArray();
            _aes = Aes.Create();
            _aes.Key = k;
            _aes.Mode = CipherMode.CBC;
            _aes.Padding = PaddingMode.None;
            _encryptor = _aes.CreateEncryptor(k, _chain); // chains from S = 0 until its first block
            _ecb = Aes.Create();
            _ecb.Key = k;
            _ecb.Mode = CipherMode.ECB;
            _ecb.Padding = PaddingMode.None;
            _decryptor = _ecb.CreateDecryptor();
            CryptographicOperations.ZeroMemory(k);
        }

        public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
        {
            for (var at = 0; at < input.Length; at += Chunk)
            {
                var n = Math.Min(Chunk, input.Length - at);
                input.Slice(at, n).CopyTo(_in);
                if (at == 0)
                {
                    for (var j = 0; j < BlockSize; j++)
                    {
                        _in[j] ^= (byte)(iv[j] ^ _chain[j]);
                    }
                }
                _encryptor.TransformBlock(_in, 0, n, _out, 0);
                _out.AsSpan(0, n).CopyTo(output.Slice(at, n));
                _out.AsSpan(n - BlockSize, BlockSize).CopyTo(_chain);
            }
        }

        public void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
        {
            iv.CopyTo(_previous);
            for (var at = 0; at < input.Length; at += Chunk)
            {
                var n = Math.Min(Chunk, input.Length - at);
                input.Slice(at, n).CopyTo(_in);
                _decryptor.TransformBlock(_in, 0, n, _out, 0);
                for (var b = 0; b < n; b += BlockSize)
                {
                    ReadOnlySpan<byte> before = b == 0 ? _previous : _in.AsSpan(b - BlockSize, BlockSize);
                    for (var j = 0; j < BlockSize; j++)
                    {
                        output[at + b + j] = (byte)(_out[b + j] ^ before[j]);
                    }
                }
                _in.AsSpan(n - BlockSize, BlockSize).CopyTo(_previous);
            }
        }

        public void Dispose()
        {
            _encryptor.Dispose();
            _decryptor.Dispose();
            _aes.Dispose();
            _ecb.Dispose();
            CryptographicOperations.ZeroMemory(_in);
            CryptographicOperations.ZeroMemory(_out);
            CryptographicOperations.ZeroMemory(_chain);
        }
    }

    public void Dispose()
    {
    }
}
