namespace Fabric.Dataplane.Channel;

/// <summary>
/// Fixed byte offsets of the channel ABI (version 2; version 1 lacks the function and deadline fields). Every field is little-endian.
/// docs/channel-abi.md is the human-readable form of this file; change both together.
/// </summary>
public static class ChannelLayout
{
    /// <summary>"FABRICCH" read as a little-endian 64-bit integer.</summary>
    public const ulong Magic = 0x4843434952424146UL;

    /// <summary>What the AC writes. Version 2 fills fields version 1 left reserved (zero): the function and the deadline.</summary>
    public const uint AbiVersion = 2;

    /// <summary>Oldest version the guest library still reads (a v1 channel has no function or deadline to tell).</summary>
    public const uint MinAbiVersion = 1;

    /// <summary>The header is one page; the rings and the arena start page-aligned after it.</summary>
    public const int HeaderSize = 4096;

    public const int SubmissionEntrySize = 64;
    public const int CompletionEntrySize = 32;

    /// <summary>
    /// Indices sit 128 bytes apart: one cache line each plus the adjacent line the spatial prefetcher
    /// pulls in, so producer and consumer never false-share.
    /// </summary>
    public const int IndexStride = 128;

    // Header fields (written once by the AC when it creates the file, except State and DriverGeneration).
    public const int MagicOffset = 0;
    public const int AbiVersionOffset = 8;
    public const int HeaderSizeOffset = 12;
    public const int SqEntriesOffset = 16;
    public const int CqEntriesOffset = 20;
    public const int SqEntrySizeOffset = 24;
    public const int CqEntrySizeOffset = 28;
    public const int SlotCountOffset = 32;
    public const int SlotSizeOffset = 36;
    public const int SqOffsetOffset = 40;
    public const int CqOffsetOffset = 48;
    public const int ArenaOffsetOffset = 56;
    public const int FileSizeOffset = 64;
    public const int EpochOffset = 72;
    public const int StateOffset = 80;
    public const int MaxSessionsOffset = 84;
    public const int DriverGenerationOffset = 88;

    // ABI v2: what serves the channel, written by the AC when it realizes the queue, before the state becomes Active.
    /// <summary>u32: bytes of the function name at <see cref="FunctionOffset"/> (1..<see cref="MaxFunctionBytes"/>).</summary>
    public const int FunctionLengthOffset = 92;
    /// <summary>u64: the queue's op deadline in nanoseconds (an op past it completes DeadlineExceeded).</summary>
    public const int DeadlineNanosOffset = 96;
    /// <summary>ASCII function name, e.g. "aes-256-gcm" or "deflate->aes-256-gcm->sha256", zero-padded.</summary>
    public const int FunctionOffset = 1024;
    public const int MaxFunctionBytes = 256;

    // Ring indices: free-running 64-bit counters; the entry is index & (entries - 1).
    /// <summary>Submission producer index, written by the guest only.</summary>
    public const int SqTailOffset = 128;
    /// <summary>Submission consumer index, written by the AC only.</summary>
    public const int SqHeadOffset = SqTailOffset + IndexStride;
    /// <summary>Completion producer index, written by the AC only.</summary>
    public const int CqTailOffset = SqHeadOffset + IndexStride;
    /// <summary>Completion consumer index, written by the guest only.</summary>
    public const int CqHeadOffset = CqTailOffset + IndexStride;
    /// <summary>AC heartbeat: incremented by the worker each time it finds the queue idle or busy (liveness).</summary>
    public const int HeartbeatOffset = CqHeadOffset + IndexStride;

    public const int PageSize = 4096;

    public const int MaxRingEntries = 1 << 16;
    public const int MaxSlotCount = 1 << 16;
    public const int MaxSlotSize = 1 << 24;
    public const int MinSlotSize = 64;

    internal static long AlignUp(long value, long alignment) => (value + alignment - 1) & ~(alignment - 1);
}
