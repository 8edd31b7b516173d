using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Engine;

/// <summary>
/// A queue's driver failed an op (<see cref="OpStatus.DriverFault"/>) or missed its deadline
/// (<see cref="OpStatus.DeadlineExceeded"/>). Raised once per <paramref name="Generation"/> of the queue's driver.
/// </summary>
public sealed record DriverFaultSignal(string QueueId, uint Generation, OpStatus Status);
