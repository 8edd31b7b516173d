using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Engine;

/// <summary>
/// A queue's driver failed an op (<see cref="OpStatus.DriverFault"/>) or missed its deadline
/// (<see cref="OpStatus.DeadlineExceeded"/>). Raised once per <paramref name="Generation"/> of the queue's driver.
/// </summary>
/// <param name="Failover">Set when the worker already switched the queue to its armed standby driver.</param>
/// <param name="Cause">The first exception the driver threw in this generation (type, message, stack), or null
/// when it failed without one (a fault status, a missed deadline).</param>
public sealed record DriverFaultSignal(string QueueId, uint Generation, OpStatus Status, Exception? Cause = null, DriverFailover? Failover = null);

/// <summary>
/// The worker put the queue's standby (a driver of <paramref name="DeviceId"/>) behind it the moment its driver faulted:
/// it now runs driver generation <paramref name="Generation"/>. <paramref name="Replaced"/> is the failed driver, which
/// the receiver disposes (the worker no longer touches it).
/// </summary>
public sealed record DriverFailover(string DeviceId, uint Generation, Drivers.IGDriver Replaced);
