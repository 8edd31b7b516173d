using System.Security.Cryptography;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// Shared shape of digest and checksum drivers. Forward: output = digest of input.
/// Inverse (verify): input = data || digest; Ok when it matches (constant-time compare), no output.
/// </summary>
public abstract class DigestDriver : KeylessDriver
{
    public sealed override DriverKind Kind => DriverKind.Digest;

    public abstract override int DigestSize { get; }

    /// <summary>Bytes of the digest an op writes or verifies, or -1 when the op asks for a length this driver refuses.</summary>
    protected virtual int TagLength(in DriverOp op) => DigestSize;

    /// <summary>Writes exactly <see cref="DigestSize"/> bytes.</summary>
    protected abstract OpStatus Compute(object? session, ReadOnlySpan<byte> data, Span<byte> digest);

    public sealed override OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        if (RequiresSession && op.Session is null)
        {
            return OpStatus.BadSession;
        }
        var tag = TagLength(op);
        if (tag < 0)
        {
            return OpStatus.BadInput;
        }
        Span<byte> actual = stackalloc byte[64];
        actual = actual[..DigestSize];
        if (op.Code == OpCode.Forward)
        {
            if (output.Length < tag)
            {
                return OpStatus.OutputTooSmall;
            }
            var status = Compute(op.Session, input, actual);
            if (status == OpStatus.Ok)
            {
                actual[..tag].CopyTo(output);
                written = tag;
            }
            return status;
        }
        if (op.Code == OpCode.Inverse)
        {
            if (input.Length < tag)
            {
                return OpStatus.BadInput;
            }
            var dataLength = input.Length - tag;
            var status = Compute(op.Session, input[..dataLength], actual);
            if (status != OpStatus.Ok)
            {
                return status;
            }
            return CryptographicOperations.FixedTimeEquals(actual[..tag], input[dataLength..]) ? OpStatus.Ok : OpStatus.AuthFailed;
        }
        return OpStatus.Unsupported;
    }
}
