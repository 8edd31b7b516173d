using System.Security.Cryptography;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// AES-CBC software g-driver (OpenSSL through System.Security.Cryptography), no padding: what virtio-crypto's
/// <c>cbc(aes)</c> does. Forward encrypts, Inverse decrypts; input and output have the same length, a multiple of 16.
/// The IV is the descriptor's whole 16-byte param. The function's name fixes the key size (aes-128-cbc: 16 bytes).
/// </summary>
public sealed class AesCbcDriver : IGDriver
{
    public const int BlockSize = 16;

    private readonly int _keySize;

    public AesCbcDriver(int keySize)
    {
        if (keySize is not (16 or 32))
        {
            throw new ArgumentOutOfRangeException(nameof(keySize), keySize, "AES-CBC functions use 16- or 32-byte keys");
        }
        _keySize = keySize;
        Function = keySize == 16 ? "aes-128-cbc" : "aes-256-cbc";
    }

    public string Function { get; }

    public DriverKind Kind => DriverKind.Transform;

    public int DigestSize => 0;

    public bool RequiresSession => true;

    public OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session)
    {
        if (key.Length != _keySize)
        {
            session = null;
            return OpStatus.BadKey;
        }
        var aes = Aes.Create();
        aes.Key = key.ToArray();
        session = aes;
        return OpStatus.Ok;
    }

    public void CloseSession(object? session) => (session as IDisposable)?.Dispose();

    public OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written) =>
        Run(op, op.Session as Aes, input, output, out written);

    /// <summary>One CBC pass with the checks every CBC user shares (the chain driver too).</summary>
    internal static OpStatus Run(in DriverOp op, Aes? aes, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        if (aes is null)
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
        var ok = op.Code == OpCode.Forward
            ? aes.TryEncryptCbc(input, op.Iv, output, out written, PaddingMode.None)
            : aes.TryDecryptCbc(input, op.Iv, output, out written, PaddingMode.None);
        return ok ? OpStatus.Ok : OpStatus.OutputTooSmall;
    }

    public void Dispose()
    {
    }
}
