using Akka.Event;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Node;

namespace Fabric.Node.Compute;

// What an event recorded in the ComputeState means outside it: the AC, the AML, the probers, the metrics and the log.
// ComputeEffects.Of decides them (pure, tested without actors); ComputeEffectsActor carries them out.

public abstract record ComputeEffect;

/// <summary>A fresh driver of <paramref name="Device"/> (with its injected fault) behind the queue, between two bursts.</summary>
public sealed record SwapQueueDriver(string QueueId, string Chain, DeviceSpec Device, FaultKind Injected) : ComputeEffect;

/// <summary>A driver of <paramref name="Device"/> held ready behind the queue (null: none).</summary>
public sealed record ArmQueueStandby(string QueueId, string Chain, DeviceSpec? Device, FaultKind Injected) : ComputeEffect;

/// <summary>The agent records <paramref name="Event"/> next (a reset due at once).</summary>
public sealed record RecordNext(ComputeEvent Event) : ComputeEffect;

/// <summary>After <paramref name="Delay"/>, the agent is told <see cref="ResetDue"/>.</summary>
public sealed record ResetLater(string DeviceId, TimeSpan Delay) : ComputeEffect;

/// <summary>One probe op on a fresh driver of a reset device none of whose queues is left to tell whether it works.</summary>
public sealed record ProbeOnce(DeviceSpec Device, FaultKind Injected) : ComputeEffect;

public sealed record StartProbing(DeviceSpec Device, FaultKind Injected) : ComputeEffect;

/// <summary>The failed device's injected fault changed: its prober probes with the new one.</summary>
public sealed record TellProber(FaultSwitched Switched) : ComputeEffect;

public sealed record ProbingDone(string DeviceId) : ComputeEffect;

/// <summary>The attachment is bound again on this host, on the queue's device (the agent hears <see cref="ConfirmMove"/>).</summary>
public sealed record RebindQueue(string QueueId, string FromDevice) : ComputeEffect;

public sealed record ReportHealth(string DeviceId, DeviceHealth Health, string Reason) : ComputeEffect;

/// <summary>The AML marks the attachment attached (a confirmed move keeps its handle).</summary>
public sealed record ReportAttached(string QueueId, AttachHandle Handle) : ComputeEffect;

public sealed record ReportQueueFailed(string QueueId, string Reason) : ComputeEffect;

public sealed record TrackMove(string QueueId, string DeviceId) : ComputeEffect;

/// <param name="Cause">What a driver threw: its stack goes to the log file, the console gets one line.</param>
public sealed record Note(LogLevel Level, string Text, Exception? Cause = null) : ComputeEffect;

/// <summary>The AC schedules the queue at its attachment's new service level.</summary>
public sealed record SetServiceLevel(SetQueueServiceLevel Change) : ComputeEffect;

/// <summary>The node leaves: the queues drain and go; whoever asked hears <see cref="NodeDrained"/>.</summary>
public sealed record DrainQueues(IReadOnlyList<string> QueueIds) : ComputeEffect;

public static class ComputeEffects
{
    /// <summary>What <paramref name="e"/>, just applied to <paramref name="state"/>, means outside the state.</summary>
    public static IReadOnlyList<ComputeEffect> Of(ComputeState state, ComputeEvent e) => e switch
    {
        DeviceResetScheduled r => [
            new Note(LogLevel.WarningLevel, $"device {r.DeviceId}: {r.Reason}; reset in {r.Delay.TotalMilliseconds:0.#} ms"),
            // Not a timer: the scheduler's 10 ms tick would dwarf a 1 ms backoff.
            r.Delay <= TimeSpan.Zero ? new RecordNext(new DeviceReset(r.DeviceId)) : new ResetLater(r.DeviceId, r.Delay)],
        // Its queues failed over: no guest tells whether the reset helped, a probe does.
        DeviceReset r => state.QueuesOn(r.DeviceId) is { Count: > 0 } left
            ? left.Select(q => Swap(state, q.QueueId, q.Chain, r.DeviceId)).ToArray()
            : [new ProbeOnce(state.Devices[r.DeviceId].Spec, state.Devices[r.DeviceId].Injected)],
        QueueFailedOver o => [
            new TrackMove(o.QueueId, o.ToDevice),
            new Note(LogLevel.WarningLevel, $"queue {o.QueueId} failed over from {o.FromDevice} to {o.ToDevice} by its AC worker"),
            new RebindQueue(o.QueueId, o.FromDevice)],
        QueueRestored r => [
            new Note(LogLevel.WarningLevel, $"queue {r.QueueId}: a swap sent before its failover was heard of lands after it; back on {r.DeviceId}"),
            Swap(state, r.QueueId, r.Chain, r.DeviceId)],
        DeviceFailed f => [
            new Note(LogLevel.WarningLevel, $"device {f.DeviceId} failed: {f.Reason}; moving its queues"),
            new StartProbing(state.Devices[f.DeviceId].Spec, state.Devices[f.DeviceId].Injected)],
        QueueMoved { Undo: true } m => [
            Swap(state, m.QueueId, m.Chain, m.ToDevice), new TrackMove(m.QueueId, m.ToDevice),
            new Note(LogLevel.ErrorLevel, $"queue {m.QueueId}: the AML refused its move; back on {m.ToDevice}, the guest gets errors until a device can take it")],
        QueueMoved m => [
            Swap(state, m.QueueId, m.Chain, m.ToDevice), new TrackMove(m.QueueId, m.ToDevice),
            new Note(LogLevel.WarningLevel, $"queue {m.QueueId} moved from {m.FromDevice} to {m.ToDevice}"),
            new RebindQueue(m.QueueId, m.FromDevice)],
        QueueStranded s => [new Note(LogLevel.ErrorLevel, $"queue {s.QueueId}: no other device on {state.Node} runs {s.Chain}; the guest gets errors until one can")],
        MoveConfirmed c when state.Queues.TryGetValue(c.QueueId, out var q) && q.Handle is { } handle => [new ReportAttached(q.QueueId, handle)],
        FaultSwitched s => [
            new Note(LogLevel.WarningLevel, $"device {s.DeviceId}: fault '{s.Kind}' {(s.Kind == FaultKind.None ? "repaired" : "injected")}"),
            // A failed device runs no queue: its prober is the one that uses the fault.
            .. state.Devices.TryGetValue(s.DeviceId, out var d) && d.Condition == DeviceCondition.Failed
                ? new ComputeEffect[] { new TellProber(s) }
                : state.QueuesOn(s.DeviceId).Select(q => (ComputeEffect)Swap(state, q.QueueId, q.Chain, s.DeviceId))],
        DeviceRecovered r => [
            new ProbingDone(r.DeviceId),
            new Note(LogLevel.InfoLevel, $"device {r.DeviceId}: probe passed; healthy again"),
            new ReportHealth(r.DeviceId, DeviceHealth.Healthy, "probe passed")],
        _ => [],
    };

    /// <summary>A driver fault the AC pushed (once per driver generation): the command to decide, and its log line.</summary>
    public static (NoteDriverFault Fault, Note Note) DriverFaulted(ComputeState state, DriverFaultSignal signal, long nowMs)
    {
        var what = signal.Status == OpStatus.DeadlineExceeded ? "an operation missed its deadline" : "the driver failed an operation";
        var device = state.Queues.TryGetValue(signal.QueueId, out var queue) ? queue.DeviceId : "no device";
        return (new NoteDriverFault(signal.QueueId, signal.Generation, what, nowMs, signal.Failover?.DeviceId, signal.Failover?.Generation ?? 0),
            new Note(LogLevel.WarningLevel, $"queue {signal.QueueId} on {device}: {what} (driver generation {signal.Generation})", signal.Cause));
    }

    /// <summary>
    /// A guest corrupted its channel and the AC stopped serving it: its attachment fails in the AML (the VIM hears of it)
    /// rather than stay Attached to a channel nobody serves. Deleting the VM removes the queue.
    /// </summary>
    public static IReadOnlyList<ComputeEffect> ChannelFaulted(ComputeState state, string queueId, string reason) =>
        state.Queues.TryGetValue(queueId, out var queue)
            ? [new Note(LogLevel.WarningLevel, $"VM {queue.VmId}: attachment {queueId} failed: its channel faulted ({reason})"),
                new ReportQueueFailed(queueId, $"channel faulted: {reason}")]
            : [];

    /// <summary>The AML remembers a failure from before this agent started: a device this agent serves (not failed here) is healthy.</summary>
    public static IReadOnlyList<ComputeEffect> ServedAgain(ComputeState state, string deviceId) =>
        state.Devices.TryGetValue(deviceId, out var device) && device.Condition != DeviceCondition.Failed
            ? [new ReportHealth(deviceId, DeviceHealth.Healthy, $"served again by node agent of {state.Node}")]
            : [];

    /// <summary>A service level changed on the control plane (issue 19): a queue served here (its id is its attachment's) gets it in the AC.</summary>
    public static IReadOnlyList<ComputeEffect> ServiceLevelChanged(ComputeState state, ApplyServiceLevel change) =>
        state.Queues.ContainsKey(change.AttachmentId) ? [new SetServiceLevel(new SetQueueServiceLevel(change.AttachmentId, change.Level))] : [];

    /// <summary>
    /// The agent's whole step for a command: the decision, its events recorded in order (with what each leads to, a reset
    /// due at once recorded next), then the device marked on the AML (the guests wait on the queues, the books can wait on
    /// the guests: after its queues moved), then the standbys re-armed.
    /// </summary>
    public static (ComputeState State, ComputeDecision Decision, IReadOnlyList<ComputeEffect> Effects) Decide(ComputeState state, ComputeCommand command)
    {
        var decision = state.Decide(command);
        var effects = new List<ComputeEffect>();
        foreach (var e in decision.Events)
        {
            state = Record(state, e, effects);
        }

        effects.AddRange(decision.Events.OfType<DeviceFailed>().Take(1).Select(f => new ReportHealth(f.DeviceId, DeviceHealth.Failed, f.Reason)));
        return (Rearm(state, effects), decision, effects);
    }

    /// <summary>An event recorded, then the standbys it changed re-armed.</summary>
    public static (ComputeState State, IReadOnlyList<ComputeEffect> Effects) Settle(ComputeState state, ComputeEvent e)
    {
        var effects = new List<ComputeEffect>();
        state = Rearm(Record(state, e, effects), effects);
        return (state, effects);
    }

    /// <summary>An event recorded, with what it leads to; no standby re-armed (the queue is not served yet, or the caller re-arms).</summary>
    public static ComputeState Record(ComputeState state, ComputeEvent e, List<ComputeEffect> effects)
    {
        state = state.Apply(e);
        foreach (var effect in Of(state, e))
        {
            if (effect is RecordNext next)
            {
                state = Record(state, next.Event, effects);
            }
            else
            {
                effects.Add(effect);
            }
        }

        return state;
    }

    /// <summary>
    /// Every served queue holds a standby driver of the device it should fail over to (<see cref="ComputeState.StandbyFor"/>),
    /// so its AC worker can switch at once: armed when the queue opens and whenever the devices' conditions change.
    /// </summary>
    public static ComputeState Rearm(ComputeState state, List<ComputeEffect> effects)
    {
        foreach (var (queue, deviceId) in state.StandbyChanges())
        {
            var device = deviceId is null ? null : state.Devices[deviceId];
            effects.Add(new ArmQueueStandby(queue.QueueId, queue.Chain, device?.Spec, device?.Injected ?? FaultKind.None));
            state = state.Apply(new StandbyArmed(queue.QueueId, deviceId));
        }

        return state;
    }

    private static SwapQueueDriver Swap(ComputeState state, string queueId, string chain, string deviceId) =>
        new(queueId, chain, state.Devices[deviceId].Spec, state.Devices[deviceId].Injected);
}

// What the effects' outcomes tell the agent (besides the commands it decides on: NoteDeviceFault, ConfirmMove).

/// <summary>A scheduled reset's backoff passed.</summary>
public sealed record ResetDue(string DeviceId);
