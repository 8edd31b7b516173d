using Fabric.Control.Configuration;

namespace Fabric.Control.Store;

/// <summary>
/// Why an embedded store was refused at start, and fabric-node's exit code for it (README: start-up refusals), so
/// scripts and service managers can tell a full disk from a damaged file without reading the message.
/// </summary>
public enum StoreRefusal
{
    /// <summary>Another fabric-node holds the store, or another process holds SQLite's write lock on it.</summary>
    InUse = 10,

    /// <summary>The file or its folder cannot be written: a read-only file system or an immutable file.</summary>
    ReadOnly = 11,

    /// <summary>This user may not read or write the file, or create files in its folder.</summary>
    Permission = 12,

    /// <summary>The file system has no room for the store to grow.</summary>
    DiskFull = 13,

    /// <summary>The file is damaged: not a database, or its pages fail SQLite's check.</summary>
    Corrupt = 14,

    /// <summary>The file is not this fabric's store: emptied, truncated, of another store, or its partner file is missing.</summary>
    Identity = 15,

    /// <summary>Any other failure of the file (an I/O error the operating system reported).</summary>
    Unusable = 16,
}

public static class StoreRefusals
{
    public static FabricConfigurationException Refuse(StoreRefusal why, string message, Exception? inner = null) =>
        new(message, inner, (int)why);
}
