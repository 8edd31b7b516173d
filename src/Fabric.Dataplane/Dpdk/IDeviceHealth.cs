namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// What <see cref="DpdkQueueWatchdog"/> reads of a device driver, from another thread: whether the device holds ops
/// without handing any back (stalled), and how many it failed. Plain counters the worker writes; no lock.
/// </summary>
public interface IDeviceHealth
{
    /// <summary>Ops the device holds.</summary>
    int Pending { get; }

    /// <summary>Stopwatch timestamp of the device's last completion (or of the first op it took while idle).</summary>
    long LastProgressTimestamp { get; }

    /// <summary>Ops the device completed with an error.</summary>
    long Faults { get; }
}
