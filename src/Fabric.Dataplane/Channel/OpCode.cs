namespace Fabric.Dataplane.Channel;

/// <summary>Operation named by a descriptor. What Forward and Inverse mean depends on the queue's driver.</summary>
public enum OpCode : ushort
{
    /// <summary>Round trip through the AC doing nothing: measures the channel itself.</summary>
    Nop = 0,
    /// <summary>Input bytes are the key; the completion's Value is the new session id.</summary>
    OpenSession = 1,
    /// <summary>Closes the descriptor's session and wipes its key.</summary>
    CloseSession = 2,
    /// <summary>Seal, hash, compress, or run the pipeline forwards.</summary>
    Forward = 3,
    /// <summary>Open, verify, decompress, or run the pipeline backwards.</summary>
    Inverse = 4,
}
