using Akka.Actor;
using Akka.Event;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Handoff;

namespace Fabric.Node.Compute;

// A VHOST_USER realization (docs/vhost.md): the AC serves a QEMU guest's virtio-crypto device on a vhost-user socket.
public sealed partial class AccelerationCoreActor
{
    private void AddVhost(AddVhostQueue cmd)
    {
        try
        {
            if (_engine.GetStats(cmd.QueueId) is not null)
            {
                throw new InvalidOperationException($"queue '{cmd.QueueId}' is served already; remove it first");
            }

            // The folder is this node's alone (named by its cluster port, mode 0700): a socket found there is a stale one.
            ChannelDirectory.Ensure(Path.GetDirectoryName(cmd.SocketPath)!);
            File.Delete(cmd.SocketPath);
            var adding = _engine.AddVhostQueue(cmd.QueueId, cmd.SocketPath, cmd.Driver);
            var counters = _engine.GetCounters(cmd.QueueId)!;
            var replyTo = Sender;
            // The geometry is the AC's private channel's: the guest sees a virtio-crypto device, not a channel.
            adding.PipeTo(Self, success: () => new Added(new QueueAdded(cmd.QueueId, cmd.SocketPath, ChannelGeometry.Default, -1, counters), replyTo),
                failure: ex => new Added(new QueueNotAdded(cmd.QueueId, ex.Message), replyTo));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException
            or Fabric.Dataplane.Dpdk.DpdkException or PlatformNotSupportedException)
        {
            cmd.Driver.Dispose();
            _log.Warning("vhost-user queue {0} not added: {1}", cmd.QueueId, ex.Message);
            Sender.Tell(new QueueNotAdded(cmd.QueueId, ex.Message));
        }
    }
}
