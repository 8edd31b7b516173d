namespace Fabric.Dataplane.Engine;

/// <summary>Outcome of removing a queue.</summary>
/// <param name="QueueId">The queue.</param>
/// <param name="CompletedWhileDraining">Ops completed between the remove request and the close.</param>
/// <param name="LeftUnserved">Descriptors still in the submission ring at close (drain timed out, or the guest kept posting); -1 when the ring indices were corrupt.</param>
/// <param name="FaultReason">Why the queue had faulted, if it had.</param>
public sealed record QueueRemoval(string QueueId, long CompletedWhileDraining, long LeftUnserved, string? FaultReason);
