using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine.Scheduling;
using Fabric.Dataplane.Vhost;

namespace Fabric.Dataplane.Engine;

/// <summary>vhost-user queues: a QEMU guest's virtio-crypto device served by the AC (docs/vhost.md).</summary>
public sealed partial class AccelerationEngine
{
    /// <summary>
    /// Listens on <paramref name="socketPath"/> (it must not exist; its folder must) for a QEMU guest's
    /// cryptodev-vhost-user and serves its requests with <paramref name="driver"/> like a channel queue: same workers,
    /// scheduling, counters, deadlines, fault signals and <see cref="SwapDriverAsync"/>. The function must be one
    /// virtio-crypto speaks (<see cref="CanServeVhost"/>); EAL must be running. Removing the queue closes the socket
    /// and deletes its file.
    /// </summary>
    public Task AddVhostQueue(string queueId, string socketPath, IGDriver driver, int worker = -1, QueueOptions? options = null, QueueServiceLevel? level = null)
    {
        ThrowIfStopped();
        ArgumentNullException.ThrowIfNull(driver);
        if (_queues.ContainsKey(queueId))
        {
            throw new InvalidOperationException($"queue '{queueId}' already exists; remove it first or pick another id");
        }
        var feed = AcVhostQueue.Start(queueId, socketPath, driver.Function);
        try
        {
            return AddQueue(queueId, feed.Channel, driver, worker, options, level, feed);
        }
        catch
        {
            feed.Dispose();
            feed.Channel.Dispose();
            throw;
        }
    }

    /// <summary>True when a vhost-user queue can serve <paramref name="function"/> (the AES-CBC ciphers and chains).</summary>
    public static bool CanServeVhost(string function) => AcVhostQueue.SessionsOf(function) is not null;

    /// <summary>The vhost-user side of a queue (requests fetched, answered, failed; sessions; guest connected), or null.</summary>
    public VhostCryptoStats? GetVhostStats(string queueId) =>
        _queues.TryGetValue(queueId, out var q) && q.Feed is AcVhostQueue v ? v.Stats() : null;
}
