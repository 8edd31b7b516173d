using Fabric.Dataplane.Drivers;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;

namespace Fabric.Node.Compute;

// What the node agent decides about its devices and queues (ComputeState.Decide) and what changes its state
// (ComputeState.Apply). Each event is also the agent's cue for its effect (a driver swap, a message to the AML).

public abstract record ComputeEvent;

/// <summary>A queue of <paramref name="VmId"/> runs <paramref name="Chain"/> on <paramref name="DeviceId"/> (its driver is being opened).</summary>
public sealed record QueuePlaced(string QueueId, string VmId, string DeviceId, string Chain, string RequestId) : ComputeEvent;

/// <summary>The AC serves the queue; the guest reaches it through <paramref name="Handle"/>.</summary>
public sealed record QueueAttached(string QueueId, AttachHandle Handle) : ComputeEvent;

/// <summary>A PCI device's VF <paramref name="Vf"/> is given to the attachment whole.</summary>
public sealed record VfTaken(string QueueId, string VmId, string DeviceId, string Vf, AttachHandle Handle, string RequestId) : ComputeEvent;

/// <summary>The queue (or VF) is gone from this node.</summary>
public sealed record QueueReleased(string QueueId) : ComputeEvent;

/// <summary>The AC put a driver of generation <paramref name="Generation"/> behind the queue.</summary>
public sealed record DriverReplaced(string QueueId, uint Generation) : ComputeEvent;

/// <summary>The device's driver failed: it is reset (fresh drivers behind its queues) after <paramref name="Delay"/>.</summary>
public sealed record DeviceResetScheduled(string DeviceId, TimeSpan Delay, long AtMs, string Reason) : ComputeEvent;

/// <summary>The reset is done: fresh drivers go behind every queue of the device.</summary>
public sealed record DeviceReset(string DeviceId) : ComputeEvent;

/// <summary>The device failed past its reset budget: its queues move (<see cref="QueueMoved"/>), it is probed.</summary>
public sealed record DeviceFailed(string DeviceId, string Reason) : ComputeEvent;

/// <summary>A queue's driver is swapped to one of <paramref name="ToDevice"/>, decided here and confirmed to the AML after.</summary>
/// <param name="Undo">The AML refused an earlier move: the queue goes back, nothing is confirmed.</param>
public sealed record QueueMoved(string QueueId, string FromDevice, string ToDevice, string Chain, bool Undo = false) : ComputeEvent;

/// <summary>The AC holds a driver of <paramref name="DeviceId"/> (null: none) ready to take the queue the moment its driver faults.</summary>
public sealed record StandbyArmed(string QueueId, string? DeviceId) : ComputeEvent;

/// <summary>The AC worker switched the queue to its standby on <paramref name="ToDevice"/> by itself (driver generation <paramref name="Generation"/>); the AML is told after.</summary>
public sealed record QueueFailedOver(string QueueId, string FromDevice, string ToDevice, uint Generation) : ComputeEvent;

/// <summary>
/// A swap the agent sent before it heard of the worker's failover lands after it and would put the queue back on the
/// device it left: a fresh driver of <paramref name="DeviceId"/>, where the worker put it, goes behind it after that swap.
/// </summary>
public sealed record QueueRestored(string QueueId, string DeviceId, string Chain) : ComputeEvent;

/// <summary>No other device of this node can take the queue: it stays (its guest gets errors) until one can.</summary>
public sealed record QueueStranded(string QueueId, string DeviceId, string Chain) : ComputeEvent;

/// <summary>The AML recorded the move: the attachment is bound to the queue's device again.</summary>
public sealed record MoveConfirmed(string QueueId, string DeviceId) : ComputeEvent;

/// <summary>A device's injected fault changed (demo, drills); <see cref="FaultKind.None"/> repairs it.</summary>
public sealed record FaultSwitched(string DeviceId, FaultKind Kind) : ComputeEvent;

/// <summary>A failed device passed its probe: it takes work again.</summary>
public sealed record DeviceRecovered(string DeviceId) : ComputeEvent;

/// <summary>The outcome of <see cref="ComputeState.Decide"/>: what happens, or why nothing does.</summary>
public sealed record ComputeDecision(IReadOnlyList<ComputeEvent> Events, Rejected? Refusal = null)
{
    public static ComputeDecision None { get; } = new([]);
}

// What the agent asks ComputeState to decide.

public abstract record ComputeCommand;

/// <summary>The AC signalled that a queue's driver (of <paramref name="Generation"/>) failed an op.</summary>
/// <param name="FailedOverTo">Set when the AC worker already switched the queue to its standby on this device, now running <paramref name="NewGeneration"/>.</param>
public sealed record NoteDriverFault(string QueueId, uint Generation, string Reason, long NowMs, string? FailedOverTo = null, uint NewGeneration = 0) : ComputeCommand;

/// <summary>A device failed by itself (the probe run by its reset failed): counted against its reset budget.</summary>
public sealed record NoteDeviceFault(string DeviceId, string Reason, long NowMs) : ComputeCommand;

/// <summary>The AML answered a move's re-bind: the attachment is bound to <paramref name="BoundDeviceId"/> on <paramref name="BoundHost"/>, or not at all (null).</summary>
public sealed record ConfirmMove(string QueueId, string? BoundHost, string? BoundDeviceId) : ComputeCommand;

/// <summary>An operator breaks a device on purpose (<paramref name="Fault"/>: throw, hang, corrupt) or repairs it (null).</summary>
public sealed record SwitchFault(string DeviceId, string? Fault) : ComputeCommand;

/// <summary>A VM's attachment takes a free VF of the PCI device: <paramref name="Held"/>, the one it had, when still free.</summary>
public sealed record TakeVf(string QueueId, string VmId, string DeviceId, string? Held, string RequestId) : ComputeCommand;
