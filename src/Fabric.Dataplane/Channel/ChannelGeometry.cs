using System.Numerics;

namespace Fabric.Dataplane.Channel;

/// <summary>Sizes of one channel: ring entries (powers of two), slot count and slot size, session limit.</summary>
public readonly record struct ChannelGeometry(int SqEntries, int CqEntries, int SlotCount, int SlotSize, int MaxSessions = 64)
{
    /// <summary>1024-entry rings and 128 slots of 64 KiB: enough for 16 KiB payloads through a pipeline.</summary>
    public static ChannelGeometry Default => new(1024, 1024, 128, 64 * 1024);

    public long SqOffset => ChannelLayout.HeaderSize;

    public long CqOffset => ChannelLayout.AlignUp(SqOffset + (long)SqEntries * ChannelLayout.SubmissionEntrySize, ChannelLayout.PageSize);

    public long ArenaOffset => ChannelLayout.AlignUp(CqOffset + (long)CqEntries * ChannelLayout.CompletionEntrySize, ChannelLayout.PageSize);

    public long FileSize => ChannelLayout.AlignUp(ArenaOffset + (long)SlotCount * SlotSize, ChannelLayout.PageSize);

    /// <summary>Explains what is wrong with these sizes, or returns null when they are usable.</summary>
    public string? Validate()
    {
        if (SqEntries < 2 || SqEntries > ChannelLayout.MaxRingEntries || !BitOperations.IsPow2(SqEntries))
        {
            return $"SqEntries must be a power of two in [2, {ChannelLayout.MaxRingEntries}], was {SqEntries}";
        }
        if (CqEntries < 2 || CqEntries > ChannelLayout.MaxRingEntries || !BitOperations.IsPow2(CqEntries))
        {
            return $"CqEntries must be a power of two in [2, {ChannelLayout.MaxRingEntries}], was {CqEntries}";
        }
        if (SlotCount < 1 || SlotCount > ChannelLayout.MaxSlotCount)
        {
            return $"SlotCount must be in [1, {ChannelLayout.MaxSlotCount}], was {SlotCount}";
        }
        if (SlotSize < ChannelLayout.MinSlotSize || SlotSize > ChannelLayout.MaxSlotSize || SlotSize % 64 != 0)
        {
            return $"SlotSize must be a multiple of 64 in [{ChannelLayout.MinSlotSize}, {ChannelLayout.MaxSlotSize}], was {SlotSize}";
        }
        if (MaxSessions < 1 || MaxSessions > 4096)
        {
            return $"MaxSessions must be in [1, 4096], was {MaxSessions}";
        }
        return null;
    }
}
