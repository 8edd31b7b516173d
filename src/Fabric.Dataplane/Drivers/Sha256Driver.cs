using System.Security.Cryptography;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>SHA-256 software g-driver.</summary>
public sealed class Sha256Driver : DigestDriver
{
    public override string Function => "sha256";

    public override int DigestSize => 32;

    protected override OpStatus Compute(object? session, ReadOnlySpan<byte> data, Span<byte> digest)
    {
        SHA256.HashData(data, digest);
        return OpStatus.Ok;
    }
}
