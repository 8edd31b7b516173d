using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// A general driver (g-driver) for one function: a software implementation or the frontend of a device.
/// One instance serves one queue and is called from that queue's worker thread only, so instances may
/// keep scratch state without locks. <see cref="Execute"/> must not allocate.
/// </summary>
public interface IGDriver : IDisposable
{
    /// <summary>Function name as the control plane spells it, e.g. "aes-256-gcm".</summary>
    string Function { get; }

    DriverKind Kind { get; }

    /// <summary>Digest drivers: bytes of the digest (a pipeline appends it); 0 for every other kind.</summary>
    int DigestSize { get; }

    /// <summary>True when data ops need a session (a key).</summary>
    bool RequiresSession { get; }

    /// <summary>Builds per-session state from key bytes (called on OpenSession and again after a driver swap).</summary>
    OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session);

    /// <summary>Releases per-session state.</summary>
    void CloseSession(object? session);

    /// <summary>Runs one operation. <paramref name="input"/> and <paramref name="output"/> never overlap.</summary>
    OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written);
}

/// <summary>What a driver does to bytes; the pipeline executor plans buffers by it.</summary>
public enum DriverKind
{
    /// <summary>Seal/open: output = ciphertext || tag, and back.</summary>
    Aead,
    /// <summary>Digest or checksum: Forward writes the digest; Inverse verifies input = data || digest.</summary>
    Digest,
    /// <summary>Compress/decompress.</summary>
    Compression,
    /// <summary>Anything else (copy, test drivers).</summary>
    Transform,
}

/// <summary>The validated, per-op arguments a driver sees.</summary>
public readonly ref struct DriverOp
{
    public DriverOp(OpCode code, object? session, ReadOnlySpan<byte> nonce, int aadLength, long deadlineTimestamp, int tagLength = 0, ReadOnlySpan<byte> iv = default)
    {
        Iv = iv;
        Code = code;
        Session = session;
        Nonce = nonce;
        AadLength = aadLength;
        DeadlineTimestamp = deadlineTimestamp;
        TagLength = tagLength;
    }

    /// <summary><see cref="OpCode.Forward"/> or <see cref="OpCode.Inverse"/>.</summary>
    public OpCode Code { get; }

    public object? Session { get; }

    /// <summary>12-byte AEAD nonce.</summary>
    public ReadOnlySpan<byte> Nonce { get; }

    /// <summary>AEAD: associated data at the start of the input.</summary>
    public int AadLength { get; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp after which the op counts as hung.</summary>
    public long DeadlineTimestamp { get; }

    /// <summary>hmac-sha256: bytes of the tag to write or verify (param byte 12; 0 = the whole digest).</summary>
    public int TagLength { get; }

    /// <summary>The descriptor's whole 16-byte param: the AES-CBC functions' IV (empty when the caller has none).</summary>
    public ReadOnlySpan<byte> Iv { get; }

    public DriverOp WithCode(OpCode code) => new(code, Session, Nonce, AadLength, DeadlineTimestamp, TagLength, Iv);

    public DriverOp WithAad(int aadLength) => new(Code, Session, Nonce, aadLength, DeadlineTimestamp, TagLength, Iv);
}
