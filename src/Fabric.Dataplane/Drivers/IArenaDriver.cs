using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// A driver that can hand the channel's buffers to its device without copying them (DPDK: the arena registered as
/// external memory). The AC tells it which channel it serves when it puts the driver behind a queue, before the first
/// op; ops whose buffers lie elsewhere (direct callers) still work, through a copy. Optional: other drivers ignore it.
/// </summary>
public interface IArenaDriver
{
    /// <summary>
    /// The channel this driver serves from now on. The driver owns <paramref name="lease"/> (it keeps the memory mapped
    /// while the device may touch it) and disposes it, at the latest in its own Dispose. Not on the hot path.
    /// </summary>
    void UseArena(ChannelArenaLease? lease);

    /// <summary>Lends <paramref name="driver"/> its channel's arena when it is an <see cref="IArenaDriver"/>.</summary>
    static void Offer(IGDriver driver, ChannelFile channel)
    {
        if (driver is IArenaDriver user)
        {
            user.UseArena(channel.LeaseArena());
        }
    }
}
