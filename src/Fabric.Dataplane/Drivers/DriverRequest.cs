using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// One validated op handed to an <see cref="IAsyncGDriver"/>: pointers into the channel arena (checked to lie in one
/// slot each and not to overlap), the session's driver state and the descriptor's parameters.
/// </summary>
public struct DriverRequest
{
    /// <summary>The AC's handle of the op, echoed in its completion.</summary>
    public ulong Token;
    /// <summary><see cref="OpCode.Forward"/> or <see cref="OpCode.Inverse"/>.</summary>
    public OpCode Code;
    public int AadLength;
    public object? Session;
    public nint Input;
    public int InputLength;
    public nint Output;
    public int OutputCapacity;
    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp after which the AC answers DeadlineExceeded.</summary>
    public long DeadlineTimestamp;
    /// <summary>The descriptor's param: the AEAD nonce in the first 12 bytes, hmac-sha256's tag length at byte 12.</summary>
    public Param16 Param;
}

/// <summary>What a driver reports for one finished op.</summary>
public struct DriverCompletion
{
    public ulong Token;
    public OpStatus Status;
    /// <summary>Bytes written to the output (meaningful when Status is Ok).</summary>
    public int Written;
}
