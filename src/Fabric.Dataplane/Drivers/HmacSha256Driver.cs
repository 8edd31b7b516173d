using System.Security.Cryptography;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>HMAC-SHA256 software g-driver; the session holds a keyed incremental hash (reset after each use).</summary>
public sealed class HmacSha256Driver : DigestDriver
{
    public override string Function => "hmac-sha256";

    public override int DigestSize => 32;

    public override bool RequiresSession => true;

    public override OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session)
    {
        if (key.IsEmpty)
        {
            session = null;
            return OpStatus.BadKey;
        }
        session = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        return OpStatus.Ok;
    }

    public override void CloseSession(object? session) => (session as IDisposable)?.Dispose();

    /// <summary>Shortest tag accepted: HMAC-SHA-256-128 (RFC 4868), half the digest as RFC 2104 advises.</summary>
    public const int MinTagLength = 16;

    // RFC 4868 truncation: param byte 12 asks for the first N bytes of the HMAC, 16 <= N <= 32; 0 = all 32.
    protected override int TagLength(in DriverOp op) =>
        op.TagLength == 0 ? DigestSize : op.TagLength is >= MinTagLength and <= 32 ? op.TagLength : -1;

    protected override OpStatus Compute(object? session, ReadOnlySpan<byte> data, Span<byte> digest)
    {
        var hmac = (IncrementalHash)session!;
        hmac.AppendData(data);
        hmac.GetHashAndReset(digest);
        return OpStatus.Ok;
    }
}
