using System.Collections.Concurrent;

namespace Fabric.Node.Compute;

/// <summary>
/// Which queues run on which device, and with what chain. Written by the node agent, read by a g-driver actor
/// when it (re)starts and must put fresh driver instances behind its queues.
/// </summary>
public sealed class DeviceQueues
{
    private readonly ConcurrentDictionary<string, (string DeviceId, string Chain)> _queues = new(StringComparer.Ordinal);

    public void Set(string queueId, string deviceId, string chain) => _queues[queueId] = (deviceId, chain);

    public void Remove(string queueId) => _queues.TryRemove(queueId, out _);

    public string? DeviceOf(string queueId) => _queues.TryGetValue(queueId, out var q) ? q.DeviceId : null;

    public string? ChainOf(string queueId) => _queues.TryGetValue(queueId, out var q) ? q.Chain : null;

    public IReadOnlyList<(string QueueId, string Chain)> On(string deviceId) =>
        _queues.Where(q => q.Value.DeviceId == deviceId).Select(q => (q.Key, q.Value.Chain)).ToArray();
}
