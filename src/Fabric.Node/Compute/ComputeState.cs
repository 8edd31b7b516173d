using System.Collections.Immutable;
using Fabric.Dataplane.Drivers;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;

namespace Fabric.Node.Compute;

public enum DeviceCondition
{
    Running,
    /// <summary>A reset is scheduled: further faults of its current drivers are the same fault.</summary>
    Resetting,
    /// <summary>Past the reset budget: its queues moved away, it is probed until it works again.</summary>
    Failed,
}

/// <param name="ResetsAtMs">When the device was reset, within the budget window (oldest first).</param>
public sealed record DeviceEntry(DeviceSpec Spec, DeviceCondition Condition, FaultKind Injected, ImmutableList<long> ResetsAtMs)
{
    public string Id => Spec.DeviceId;
}

/// <param name="Chain">The stages its driver runs; empty for a VF.</param>
/// <param name="Handle">Null until the AC serves the queue.</param>
/// <param name="Generation">The driver generation faults must come from to count (older ones were replaced).</param>
/// <param name="MovedFrom">Set while a move waits for the AML's confirmation: where an undo puts the queue back.</param>
/// <param name="Standby">The device whose driver is armed in the AC as the queue's standby (null: none).</param>
public sealed record QueueEntry(
    string QueueId, string VmId, string DeviceId, string Chain, string RequestId, AttachHandle? Handle,
    uint Generation = 0, string? Vf = null, string? MovedFrom = null, string? Standby = null);

/// <summary>How device resets are budgeted: <see cref="Budget"/> resets within <see cref="Window"/>; the first at once, the next ones after a backoff doubling from min to max.</summary>
public sealed record ResetPolicy(int Budget, TimeSpan Window, TimeSpan MinBackoff, TimeSpan MaxBackoff)
{
    public static ResetPolicy From(ComputeSettings s) => new(s.RestartBudget, s.RestartWindow, s.RestartMinBackoff, s.RestartMaxBackoff);
}

/// <summary>
/// What the node agent knows of its devices and queues: which device runs which queue, each device's condition,
/// resets and injected fault. Immutable; <see cref="Decide"/> says what a fault, an AML answer or an operator's
/// command leads to, <see cref="Apply"/> records it. The agent alone owns it; nothing here is shared between actors.
/// </summary>
public sealed record ComputeState(
    string Node,
    ResetPolicy Policy,
    ImmutableDictionary<string, DeviceEntry> Devices,
    ImmutableDictionary<string, QueueEntry> Queues)
{
    public static ComputeState Of(string node, IEnumerable<DeviceSpec> devices, ResetPolicy policy) => new(
        node, policy,
        devices.ToImmutableDictionary(d => d.DeviceId, d => new DeviceEntry(d, DeviceCondition.Running, FaultKind.None, []), StringComparer.Ordinal),
        ImmutableDictionary.Create<string, QueueEntry>(StringComparer.Ordinal));

    /// <summary>The queues served by the AC on <paramref name="deviceId"/> (not VFs), in a stable order.</summary>
    public IReadOnlyList<QueueEntry> QueuesOn(string deviceId) =>
        Queues.Values.Where(q => q.DeviceId == deviceId && q.Vf is null).OrderBy(q => q.QueueId, StringComparer.Ordinal).ToArray();

    public ComputeDecision Decide(ComputeCommand command) => command switch
    {
        NoteDriverFault { FailedOverTo: not null } f => DecideFailover(f),
        NoteDriverFault f => DecideFault(f),
        NoteDeviceFault f => DecideDeviceFault(f.DeviceId, f.Reason, f.NowMs),
        ConfirmMove c => DecideConfirmation(c),
        SwitchFault s => DecideSwitch(s),
        TakeVf t => DecideVf(t),
        _ => ComputeDecision.None,
    };

    public ComputeState Apply(ComputeEvent e) => e switch
    {
        QueuePlaced p => this with { Queues = Queues.SetItem(p.QueueId, new QueueEntry(p.QueueId, p.VmId, p.DeviceId, p.Chain, p.RequestId, null)) },
        QueueAttached a => WithQueue(a.QueueId, q => q with { Handle = a.Handle }),
        VfTaken v => this with { Queues = Queues.SetItem(v.QueueId, new QueueEntry(v.QueueId, v.VmId, v.DeviceId, "", v.RequestId, v.Handle, Vf: v.Vf)) },
        QueueReleased r => this with { Queues = Queues.Remove(r.QueueId) },
        DriverReplaced d => WithQueue(d.QueueId, q => q with { Generation = Math.Max(q.Generation, d.Generation) }),
        DeviceResetScheduled s => WithDevice(s.DeviceId, d => d with
        {
            Condition = DeviceCondition.Resetting,
            ResetsAtMs = d.ResetsAtMs.RemoveAll(t => s.AtMs - t >= Policy.Window.TotalMilliseconds).Add(s.AtMs),
        }),
        // A swap makes the next generation: faults of the replaced drivers no longer count.
        DeviceReset r => WithDevice(r.DeviceId, d => d with { Condition = d.Condition == DeviceCondition.Resetting ? DeviceCondition.Running : d.Condition })
            .WithQueues(r.DeviceId, q => q with { Generation = q.Generation + 1 }),
        DeviceFailed f => WithDevice(f.DeviceId, d => d with { Condition = DeviceCondition.Failed }),
        StandbyArmed a => WithQueue(a.QueueId, q => q with { Standby = a.DeviceId }),
        QueueFailedOver o => WithQueue(o.QueueId, q => q with { DeviceId = o.ToDevice, Generation = Math.Max(q.Generation, o.Generation), MovedFrom = q.MovedFrom ?? o.FromDevice, Standby = null }),
        QueueRestored r => WithQueue(r.QueueId, q => q with { DeviceId = r.DeviceId, Generation = q.Generation + 1 }),
        QueueMoved m => WithQueue(m.QueueId, q => q with { DeviceId = m.ToDevice, Generation = q.Generation + 1, MovedFrom = m.Undo ? null : q.MovedFrom ?? m.FromDevice }),
        MoveConfirmed c => WithQueue(c.QueueId, q => q with { MovedFrom = null }),
        QueueStranded => this,
        FaultSwitched s => WithDevice(s.DeviceId, d => d with { Injected = s.Kind })
            .WithQueues(s.DeviceId, q => Devices.TryGetValue(s.DeviceId, out var d) && d.Condition != DeviceCondition.Failed ? q with { Generation = q.Generation + 1 } : q)
            .WithoutStandbysOn(s.DeviceId),
        DeviceRecovered r => WithDevice(r.DeviceId, d => d with { Condition = DeviceCondition.Running, ResetsAtMs = [] }),
        _ => this,
    };

    /// <summary>
    /// A driver fault: the same fault again while a reset is pending, or from a replaced driver, changes nothing; within
    /// the budget the device is reset after a backoff; past it the device fails and each of its queues moves to the
    /// device of this node with the most free queue pairs that runs its chain (or stays when there is none).
    /// </summary>
    private ComputeDecision DecideFault(NoteDriverFault f)
    {
        if (!Queues.TryGetValue(f.QueueId, out var queue) || queue.Vf is not null || f.Generation < queue.Generation)
        {
            return ComputeDecision.None;
        }

        return DecideDeviceFault(queue.DeviceId, $"queue {f.QueueId}: {f.Reason}", f.NowMs);
    }

    /// <summary>
    /// The AC worker already put the queue's standby behind it: recorded as it is (whatever the generations say, the
    /// queue runs there now), then the fault counts against the failed device's reset budget like any other; unless the
    /// agent had already swapped the failed driver out, a swap that then lands after the switch (<see cref="QueueRestored"/>).
    /// </summary>
    private ComputeDecision DecideFailover(NoteDriverFault f)
    {
        if (!Queues.TryGetValue(f.QueueId, out var queue) || queue.Vf is not null || f.FailedOverTo is not { } to || !Devices.ContainsKey(to))
        {
            return ComputeDecision.None;
        }

        if (f.Generation < queue.Generation)
        {
            // The failed driver was already being replaced: the agent's swaps (a reset, a move) sent before it heard of
            // the failover land after the worker's switch, each one generation on. A driver of the standby's device goes
            // behind the queue after them; the fault, of a driver the agent had replaced, does not count again.
            var landed = new QueueFailedOver(queue.QueueId, queue.DeviceId, to, queue.Generation + f.NewGeneration - f.Generation);
            return new([landed, new QueueRestored(queue.QueueId, to, queue.Chain)]);
        }

        var moved = new QueueFailedOver(queue.QueueId, queue.DeviceId, to, f.NewGeneration);
        var device = Apply(moved).DecideDeviceFault(queue.DeviceId, $"queue {f.QueueId}: {f.Reason}", f.NowMs);
        return new([moved, .. device.Events]);
    }

    /// <summary>A fault of the device (its driver's, or its reset's probe's), counted against its reset budget.</summary>
    private ComputeDecision DecideDeviceFault(string deviceId, string reason, long nowMs)
    {
        if (!Devices.TryGetValue(deviceId, out var device) || device.Condition != DeviceCondition.Running)
        {
            return ComputeDecision.None;
        }

        var f = (NowMs: nowMs, Reason: reason);
        var recent = device.ResetsAtMs.Count(t => f.NowMs - t < Policy.Window.TotalMilliseconds);
        if (recent < Policy.Budget)
        {
            // The first reset is at once (a transient fault costs the guest one burst); the next ones back off.
            var backoff = recent == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(Policy.MaxBackoff.Ticks, Policy.MinBackoff.Ticks << Math.Min(recent - 1, 30)));
            return new([new DeviceResetScheduled(device.Id, backoff, f.NowMs, f.Reason)]);
        }

        var events = new List<ComputeEvent> { new DeviceFailed(device.Id, $"reset budget spent ({Policy.Budget} within {Policy.Window.TotalSeconds:0}s): {f.Reason}") };
        var after = Apply(events[0]);
        foreach (var q in QueuesOn(device.Id))
        {
            ComputeEvent e = after.TargetFor(q.Chain, device.Id) is { } target
                ? new QueueMoved(q.QueueId, device.Id, target, q.Chain)
                : new QueueStranded(q.QueueId, device.Id, q.Chain);
            events.Add(e);
            after = after.Apply(e);
        }

        return new(events);
    }

    /// <summary>The AML's answer to a move: the same device confirms it, another device served here moves the queue there, anything else undoes it.</summary>
    private ComputeDecision DecideConfirmation(ConfirmMove c)
    {
        if (!Queues.TryGetValue(c.QueueId, out var queue) || queue.MovedFrom is not { } from)
        {
            return ComputeDecision.None;
        }

        if (c.BoundHost == Node && c.BoundDeviceId == queue.DeviceId)
        {
            return new([new MoveConfirmed(queue.QueueId, queue.DeviceId)]);
        }

        if (c.BoundHost == Node && c.BoundDeviceId is { } other && Devices.TryGetValue(other, out var d) && d.Condition != DeviceCondition.Failed
            && d.Spec.PciFunctions is null && Runs(d, queue.Chain))
        {
            return new([new QueueMoved(queue.QueueId, queue.DeviceId, other, queue.Chain), new MoveConfirmed(queue.QueueId, other)]);
        }

        return new([new QueueMoved(queue.QueueId, queue.DeviceId, from, queue.Chain, Undo: true)]);
    }

    private ComputeDecision DecideSwitch(SwitchFault s)
    {
        if (!Devices.TryGetValue(s.DeviceId, out var device))
        {
            return new([], new Rejected(RejectReason.NotFound, $"device {s.DeviceId} is not on node {Node}"));
        }

        if (!device.Spec.FaultInjecting)
        {
            return new([], new Rejected(RejectReason.InvalidArgument, $"device {s.DeviceId} has no fault injection"));
        }

        if (s.Fault is null)
        {
            return new([new FaultSwitched(device.Id, FaultKind.None)]);
        }

        return Enum.TryParse<FaultKind>(s.Fault, ignoreCase: true, out var kind) && kind != FaultKind.None && Enum.IsDefined(kind) && !int.TryParse(s.Fault, out _)
            ? new([new FaultSwitched(device.Id, kind)])
            : new([], new Rejected(RejectReason.InvalidArgument, $"fault '{s.Fault}' is not one of throw, hang, corrupt"));
    }

    /// <summary>A VF of the device no other attachment holds (<see cref="VfTaken"/>, its handle a <see cref="PciAttachHandle"/>): the one it held before when still free.</summary>
    private ComputeDecision DecideVf(TakeVf t)
    {
        var vfs = Devices.TryGetValue(t.DeviceId, out var device) ? device.Spec.PciFunctions ?? [] : [];
        var held = Queues.Values.Where(q => q.Vf is not null).ToDictionary(q => q.QueueId, q => q.Vf!, StringComparer.Ordinal);
        var taken = held.Where(kv => kv.Key != t.QueueId).Select(kv => kv.Value).ToHashSet(StringComparer.Ordinal);
        var before = t.Held is { } address && vfs.Contains(address) && !taken.Contains(address) ? address : null;
        var vf = before ?? (held.TryGetValue(t.QueueId, out var mine) ? mine : vfs.FirstOrDefault(a => !taken.Contains(a)));
        return vf is null
            ? new([], new Rejected(RejectReason.NoCapacity, $"device {t.DeviceId}: all {vfs.Count} VFs are held"))
            : new([new VfTaken(t.QueueId, t.VmId, t.DeviceId, vf, new PciAttachHandle(Node, vf), t.RequestId)]);
    }

    /// <summary>A running device of this node, other than <paramref name="except"/>, that runs every stage and has a free queue pair; the freest first.</summary>
    public string? TargetFor(string chain, string except) => Devices.Values
        .Where(d => d.Id != except && d.Condition == DeviceCondition.Running && d.Spec.PciFunctions is null && Runs(d, chain))
        .Select(d => (d.Id, Free: d.Spec.QueuePairs - QueuesOn(d.Id).Count))
        .Where(d => d.Free > 0)
        .OrderByDescending(d => d.Free).ThenBy(d => d.Id, StringComparer.Ordinal)
        .Select(d => d.Id)
        .FirstOrDefault();

    /// <summary>
    /// The standby a queue should have: the one it has while that device can still take it (no churn when another
    /// device gets freer), else the freest running device of this node that runs its chain, or none.
    /// </summary>
    public string? StandbyFor(QueueEntry q) =>
        q.Standby is { } s && s != q.DeviceId && Devices.TryGetValue(s, out var d) && d.Condition == DeviceCondition.Running
            && d.Spec.PciFunctions is null && Runs(d, q.Chain) && d.Spec.QueuePairs > QueuesOn(s).Count
            ? s
            : TargetFor(q.Chain, q.DeviceId);

    /// <summary>The served AC queues whose armed standby is not the one they should have, with the one they should.</summary>
    public IReadOnlyList<(QueueEntry Queue, string? Standby)> StandbyChanges() => Queues.Values
        .Where(q => q.Vf is null && q.Handle is not null)
        .Select(q => (Queue: q, Standby: StandbyFor(q)))
        .Where(c => c.Standby != c.Queue.Standby)
        .OrderBy(c => c.Queue.QueueId, StringComparer.Ordinal)
        .ToArray();

    private ComputeState WithoutStandbysOn(string deviceId) =>
        this with { Queues = Queues.SetItems(Queues.Values.Where(q => q.Standby == deviceId).Select(q => KeyValuePair.Create(q.QueueId, q with { Standby = null }))) };

    private static bool Runs(DeviceEntry device, string chain) =>
        chain.Split("->", StringSplitOptions.TrimEntries).All(device.Spec.Functions.Contains);

    private ComputeState WithQueue(string id, Func<QueueEntry, QueueEntry> change) =>
        Queues.TryGetValue(id, out var q) ? this with { Queues = Queues.SetItem(id, change(q)) } : this;

    private ComputeState WithQueues(string deviceId, Func<QueueEntry, QueueEntry> change) =>
        this with { Queues = Queues.SetItems(QueuesOn(deviceId).Select(q => KeyValuePair.Create(q.QueueId, change(q)))) };

    private ComputeState WithDevice(string id, Func<DeviceEntry, DeviceEntry> change) =>
        Devices.TryGetValue(id, out var d) ? this with { Devices = Devices.SetItem(id, change(d)) } : this;
}
