using System.Numerics;
using System.Security.Cryptography;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// Shared shape of the AEAD drivers. Forward (seal): input = aad || plaintext, output = ciphertext || tag.
/// Inverse (open): input = aad || ciphertext || tag, output = plaintext. Nonce from the descriptor.
/// An open decrypts into a scratch buffer of the driver (AC memory, never the guest's) and copies the
/// plaintext out only once the tag verified: the BCL writes the would-be plaintext to its destination and
/// zeroes it on a bad tag, and a guest thread reading the output slot meanwhile would see it.
/// </summary>
public abstract class AeadDriver : IGDriver
{
    // Grows to the largest message opened (powers of two), never per op; touched by the queue's worker only.
    private byte[] _scratch = [];

    public const int TagSize = 16;
    public const int KeySize = 32;

    public abstract string Function { get; }

    public DriverKind Kind => DriverKind.Aead;

    public bool RequiresSession => true;

    public int DigestSize => 0;

    public OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session)
    {
        if (!IsKeyLength(key.Length))
        {
            session = null;
            return OpStatus.BadKey;
        }
        session = CreateCipher(key);
        return OpStatus.Ok;
    }

    public void CloseSession(object? session) => (session as IDisposable)?.Dispose();

    internal ReadOnlySpan<byte> ScratchForTests => _scratch;

    private Span<byte> Scratch(int length)
    {
        if (_scratch.Length < length)
        {
            // Rare: the first open of a larger message than any before on this queue.
            _scratch = GC.AllocateUninitializedArray<byte>((int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)Math.Max(length, 4096)), int.MaxValue), pinned: true);
        }
        return _scratch.AsSpan(0, length);
    }

    /// <summary>Key sizes this cipher takes; 32 bytes unless a driver says otherwise.</summary>
    protected virtual bool IsKeyLength(int bytes) => bytes == KeySize;

    protected abstract object CreateCipher(ReadOnlySpan<byte> key);

    protected abstract void Seal(object cipher, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> aad);

    /// <summary>False when the tag does not verify.</summary>
    protected abstract bool Open(object cipher, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> aad);

    public OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        if (op.Session is null)
        {
            return OpStatus.BadSession;
        }
        if ((uint)op.AadLength > (uint)input.Length || op.Nonce.Length != SubmissionDescriptor.NonceSize)
        {
            return OpStatus.BadInput;
        }
        var aad = input[..op.AadLength];
        var body = input[op.AadLength..];
        if (op.Code == OpCode.Forward)
        {
            if (output.Length < body.Length + TagSize)
            {
                return OpStatus.OutputTooSmall;
            }
            Seal(op.Session, op.Nonce, body, output[..body.Length], output.Slice(body.Length, TagSize), aad);
            written = body.Length + TagSize;
            return OpStatus.Ok;
        }
        if (op.Code == OpCode.Inverse)
        {
            if (body.Length < TagSize)
            {
                return OpStatus.BadInput;
            }
            var ctLength = body.Length - TagSize;
            if (output.Length < ctLength)
            {
                return OpStatus.OutputTooSmall;
            }
            var plaintext = Scratch(ctLength);
            if (!Open(op.Session, op.Nonce, body[..ctLength], body[ctLength..], plaintext, aad))
            {
                // The BCL zeroes a failed open's destination already; wiping again costs little on an error path.
                CryptographicOperations.ZeroMemory(plaintext);
                return OpStatus.AuthFailed;
            }
            plaintext.CopyTo(output);
            written = ctLength;
            return OpStatus.Ok;
        }
        return OpStatus.Unsupported;
    }

    public virtual void Dispose()
    {
    }
}
