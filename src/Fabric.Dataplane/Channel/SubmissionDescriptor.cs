using System.Runtime.InteropServices;

namespace Fabric.Dataplane.Channel;

/// <summary>
/// One submission ring entry (64 bytes, one cache line). Written by the guest, so every field is
/// untrusted: the AC copies the entry out of shared memory and validates the copy.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = ChannelLayout.SubmissionEntrySize)]
public struct SubmissionDescriptor
{
    /// <summary>Opaque to the AC; echoed in the completion.</summary>
    [FieldOffset(0)] public ulong Tag;
    [FieldOffset(8)] public OpCode Op;
    /// <summary>Reserved, must be zero.</summary>
    [FieldOffset(10)] public ushort Flags;
    /// <summary>Session id returned by <see cref="OpCode.OpenSession"/>; 0 for drivers without keys.</summary>
    [FieldOffset(12)] public uint Session;
    [FieldOffset(16)] public uint InSlot;
    [FieldOffset(20)] public uint InOffset;
    [FieldOffset(24)] public uint InLength;
    [FieldOffset(28)] public uint OutSlot;
    [FieldOffset(32)] public uint OutOffset;
    [FieldOffset(36)] public uint OutCapacity;
    /// <summary>AEAD: bytes of associated data at the start of the input.</summary>
    [FieldOffset(40)] public uint AadLength;
    [FieldOffset(44)] public uint Reserved;
    /// <summary>16 bytes of per-op parameters: the 12-byte AEAD nonce; byte 12 hmac-sha256's tag length.</summary>
    [FieldOffset(48)] public Param16 Param;

    public const int NonceSize = 12;

    /// <summary>Param byte holding hmac-sha256's tag length (RFC 4868 truncation); 0 = the whole digest.</summary>
    public const int TagLengthIndex = 12;
}

/// <summary>16 inline bytes (the nonce of an AEAD op, zero-padded).</summary>
[System.Runtime.CompilerServices.InlineArray(16)]
public struct Param16
{
    private byte _element0;
}
