namespace Fabric.Dataplane.Channel;

/// <summary>
/// Where a channel's memory lies in this process, for a driver that hands guest buffers to a device itself (DPDK's
/// zero copy registers the mapping as external memory): the whole mapping (page-aligned, <paramref name="MapLength"/>
/// a multiple of <paramref name="PageSize"/>) and, inside it, the buffer arena, the only part ops may use.
/// Valid while the channel is mapped; the AC disposes a queue's driver before it unmaps the channel.
/// </summary>
public readonly record struct ChannelArena(nint MapBase, long MapLength, nint Arena, long ArenaLength, int PageSize)
{
    /// <summary>True when [<paramref name="pointer"/>, + <paramref name="length"/>) lies in the arena.</summary>
    public bool Holds(nint pointer, long length) =>
        pointer >= Arena && length >= 0 && length <= ArenaLength && pointer - Arena <= ArenaLength - length;
}
