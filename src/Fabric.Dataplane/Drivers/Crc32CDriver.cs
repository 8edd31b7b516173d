using System.Buffers.Binary;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>CRC32C checksum g-driver; the 4-byte result is little-endian.</summary>
public sealed class Crc32CDriver : DigestDriver
{
    public override string Function => "crc32c";

    public override int DigestSize => 4;

    protected override OpStatus Compute(object? session, ReadOnlySpan<byte> data, Span<byte> digest)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(digest, Crc32C.Compute(data));
        return OpStatus.Ok;
    }
}
