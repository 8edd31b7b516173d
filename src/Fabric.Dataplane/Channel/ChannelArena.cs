using System.Runtime.InteropServices;

namespace Fabric.Dataplane.Channel;

/// <summary>
/// Where a channel's memory lies in this process, for a driver that hands guest buffers to a device itself (DPDK's
/// zero copy registers the mapping as external memory): the whole mapping (page-aligned, <paramref name="MapLength"/>
/// a multiple of <paramref name="PageSize"/>) and, inside it, the buffer arena, the only part ops may use.
/// </summary>
public readonly record struct ChannelArena(nint MapBase, long MapLength, nint Arena, long ArenaLength, int PageSize)
{
    /// <summary>True when [<paramref name="pointer"/>, + <paramref name="length"/>) lies in the arena.</summary>
    public bool Holds(nint pointer, long length) =>
        pointer >= Arena && length >= 0 && length <= ArenaLength && pointer - Arena <= ArenaLength - length;
}

/// <summary>
/// A channel's <see cref="ChannelArena"/> kept mapped until disposed, even after the channel is disposed: a device may
/// still read or write guest buffers of ops it holds (a replaced driver is disposed after its queue may be gone), so
/// the memory must outlive them. It holds a reference on the mapping's SafeHandle; the unmap waits for the last one.
/// </summary>
public sealed class ChannelArenaLease : IDisposable
{
    private SafeHandle? _mapping;

    internal ChannelArenaLease(ChannelArena arena, SafeHandle mapping)
    {
        var added = false;
        mapping.DangerousAddRef(ref added);
        _mapping = mapping;
        Arena = arena;
    }

    public ChannelArena Arena { get; }

    /// <summary>Lets the mapping go (unmapped now if the channel was disposed meanwhile). Once.</summary>
    public void Dispose() => Interlocked.Exchange(ref _mapping, null)?.DangerousRelease();
}
