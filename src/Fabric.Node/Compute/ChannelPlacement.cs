using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Handoff;

namespace Fabric.Node.Compute;

/// <summary>
/// Where and how the AC makes channels: <paramref name="Folder"/> is this node's own channel folder
/// (<see cref="ChannelDirectory.ForNode"/>); <paramref name="PathMode"/> makes plain channel files instead of
/// sealed memfds (debugging only: a guest could truncate the file and crash the node).
/// </summary>
public sealed record ChannelPlacement(string Folder, bool PathMode)
{
    /// <summary>
    /// Makes the queue's channel and, by default, the socket of its own that hands the sealed memfd to guests
    /// (<see cref="ChannelServer"/>). Returns what the guest opens; on a failure nothing is left behind.
    /// </summary>
    /// <param name="problem">Told what went wrong with a guest that connected to the socket.</param>
    public (string HandlePath, ChannelFile Channel, ChannelServer? Server) Open(string queueId, ChannelGeometry geometry, Action<string> problem)
    {
        ChannelDirectory.Ensure(Folder);
        if (PathMode)
        {
            var file = ChannelDirectory.FilePath(Folder, queueId);
            return (file, ChannelFile.Create(file, geometry), null);
        }

        var socket = ChannelDirectory.SocketPath(Folder, queueId);
        var channel = ChannelFile.CreateSealed(queueId, geometry);
        try
        {
            return (socket, channel, ChannelServer.Start(socket, channel, problem));
        }
        catch
        {
            channel.DisposeAndDelete();
            throw;
        }
    }
}
