using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// CRC-32C (Castagnoli, iSCSI). System.IO.Hashing has only CRC-32/CRC-64, so this uses the SSE4.2 crc32
/// instruction 8 bytes at a time where present and BitOperations.Crc32C (portable) elsewhere.
/// </summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(~0u, data);

    /// <summary>Continues a raw (pre-inverted) CRC state.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        if (Sse42.X64.IsSupported)
        {
            ulong c = crc;
            foreach (var w in words)
            {
                c = Sse42.X64.Crc32(c, BitConverter.IsLittleEndian ? w : BinaryPrimitives.ReverseEndianness(w));
            }
            crc = (uint)c;
        }
        else
        {
            foreach (var w in words)
            {
                crc = BitOperations.Crc32C(crc, BitConverter.IsLittleEndian ? w : BinaryPrimitives.ReverseEndianness(w));
            }
        }
        foreach (var b in data[(words.Length * sizeof(ulong))..])
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return crc;
    }
}
