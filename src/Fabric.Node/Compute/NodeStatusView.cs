using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Messages.Node;
using Fabric.Node.Scheduling;

namespace Fabric.Node.Compute;

/// <summary>What <c>fabric-cmd dataplane status</c> shows of a host: its <see cref="ComputeState"/> with the AC's counters and the VMs' machines. Pure.</summary>
public static class NodeStatusView
{
    /// <param name="stats">The AC's queues (empty when it did not answer).</param>
    /// <param name="machines">The VMs' machines (null when none, or their owner did not answer).</param>
    public static NodeStatus Of(ComputeState state, IReadOnlyList<QueueStats> stats, IReadOnlyList<VmMachineView>? machines) => new(
        state.Node,
        state.Devices.Values.OrderBy(d => d.Id, StringComparer.Ordinal).Select(d => Device(state, d)).ToArray(),
        stats.Select(s => Queue(state, s)).ToArray(),
        machines is { Count: > 0 } ? machines.ToArray() : null);

    /// <summary>A device as the operator sees it: its backing (a PCI device's VFs held), what it runs, and its condition.</summary>
    public static NodeDevice Device(ComputeState state, DeviceEntry device) => new(
        device.Id, device.Spec.Type,
        device.Spec.PciFunctions is { } vfs ? $"PCI passthrough ({vfs.Count} VFs, {state.Queues.Values.Count(q => q.DeviceId == device.Id && q.Vf is not null)} held)"
        : device.Spec.FaultInjecting ? $"{device.Spec.Backing} (fault-injecting)" : device.Spec.Backing, true, null,
        device.Spec.Functions.ToArray(), device.Spec.QueuePairs,
        device.Condition == DeviceCondition.Failed ? "failed: probing" : device.Injected == FaultKind.None ? "running" : $"running, fault '{device.Injected}' injected");

    private static NodeQueue Queue(ComputeState state, QueueStats s)
    {
        var q = state.Queues.GetValueOrDefault(s.QueueId);
        return new(s.QueueId, q?.VmId ?? "", q?.DeviceId ?? "", s.Function, s.Ops, s.Errors, s.DriverFaults, s.LatencyP50Nanos, s.LatencyP99Nanos,
            s.BytesIn, s.BytesOut, s.State.ToString(), s.FaultReason, ServiceLevelMapping.ToView(s.Service));
    }
}
