using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// A driver that can hand the channel's buffers to its device without copying them (DPDK: the arena registered as
/// external memory). The AC tells it which channel it serves when it puts the driver behind a queue, before the first
/// op; ops whose buffers lie elsewhere (direct callers) still work, through a copy. Optional: other drivers ignore it.
/// </summary>
public interface IArenaDriver
{
    /// <summary>The channel this driver serves from now on (null: none). Not on the hot path; may register memory.</summary>
    void UseArena(ChannelArena? arena);

    /// <summary>Tells <paramref name="driver"/> its channel's arena when it is an <see cref="IArenaDriver"/>.</summary>
    static void Offer(IGDriver driver, ChannelFile channel)
    {
        if (driver is IArenaDriver user)
        {
            user.UseArena(channel.Arena);
        }
    }
}
