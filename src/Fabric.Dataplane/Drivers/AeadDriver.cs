using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// Shared shape of the AEAD drivers. Forward (seal): input = aad || plaintext, output = ciphertext || tag.
/// Inverse (open): input = aad || ciphertext || tag, output = plaintext. Nonce from the descriptor.
/// </summary>
public abstract class AeadDriver : IGDriver
{
    public const int TagSize = 16;
    public const int KeySize = 32;

    public abstract string Function { get; }

    public DriverKind Kind => DriverKind.Aead;

    public bool RequiresSession => true;

    public int DigestSize => 0;

    public OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session)
    {
        if (key.Length != KeySize)
        {
            session = null;
            return OpStatus.BadKey;
        }
        session = CreateCipher(key);
        return OpStatus.Ok;
    }

    public void CloseSession(object? session) => (session as IDisposable)?.Dispose();

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
            if (!Open(op.Session, op.Nonce, body[..ctLength], body[ctLength..], output[..ctLength], aad))
            {
                return OpStatus.AuthFailed;
            }
            written = ctLength;
            return OpStatus.Ok;
        }
        return OpStatus.Unsupported;
    }

    public virtual void Dispose()
    {
    }
}
