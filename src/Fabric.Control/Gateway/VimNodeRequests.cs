using Akka.Actor;
using Fabric.Control.Nodes;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Functions;
using Fabric.Messages.Node;
using Fabric.Messages.Vim;

namespace Fabric.Control.Gateway;

/// <summary>
/// The VIM gateway's requests that take several steps across node agents and entities: moving a VM, programming a
/// device. They run off the actor's thread and touch only their arguments.
/// </summary>
public static class VimNodeRequests
{
    public static async Task<object> Move(ActorSystem system, VmMoveRequested r, Address? from, Address to, TimeSpan timeout)
    {
        if (from is not null)
        {
            // The old host may be gone (that is often why a VM moves): then its queues went with it.
            var stopped = await system.ActorSelection(NodeAgentPath.Of(from))
                .Ask<object>(new StopVm(r.VmId, DeleteAttachments: false, $"{r.RequestId}:stop"), timeout);
            if (stopped is Rejected rejected)
            {
                return rejected;
            }
        }

        return await system.ActorSelection(NodeAgentPath.Of(to))
            .Ask<object>(new SpawnVm(r.VmId, r.Accelerators, $"{r.RequestId}:spawn"), timeout);
    }

    /// <summary>
    /// What the device can run comes from its node agent (the AML only knows what the device offers now); the device
    /// entity then takes the choice as a registration, refusing to withdraw a function an attachment holds.
    /// </summary>
    public static async Task<object> Program(ActorSystem system, IActorRef devices, IReadOnlyDictionary<string, Address> nodes, ProgramDevice cmd, TimeSpan timeout)
    {
        if (string.IsNullOrWhiteSpace(cmd.DeviceId) || string.IsNullOrWhiteSpace(cmd.RequestId))
        {
            return new Rejected(RejectReason.InvalidArgument, "programming a device needs a device id and a request id");
        }

        if (cmd.Function is not null && !AccelerationFunctions.All.Contains(cmd.Function))
        {
            return new Rejected(RejectReason.UnknownFunction,
                $"device {cmd.DeviceId}: unknown function '{cmd.Function}'; known: {string.Join(", ", AccelerationFunctions.All)}");
        }

        if (await devices.Ask<object>(new GetDevice(cmd.DeviceId), timeout) is not DeviceView device)
        {
            return new Rejected(RejectReason.NotFound, $"device {cmd.DeviceId} is not registered");
        }

        if (!nodes.TryGetValue(device.Node, out var address))
        {
            return new Rejected(RejectReason.DeviceUnavailable,
                $"device {device.DeviceId}: its node {device.Node} is not in the cluster, and a device is programmed through its node");
        }

        var status = await system.ActorSelection(NodeAgentPath.Of(address)).Ask<object>(GetNodeStatus.Instance, timeout);
        var served = (status as NodeStatus)?.Devices.FirstOrDefault(d => d.DeviceId == device.DeviceId);
        if (served is null)
        {
            return new Rejected(RejectReason.DeviceUnavailable, $"device {device.DeviceId} is not served by the node agent of {device.Node}");
        }

        if (cmd.Function is not null && !served.Functions.Contains(cmd.Function))
        {
            return new Rejected(RejectReason.FunctionNotSupported,
                $"device {device.DeviceId} cannot run {cmd.Function}; its g-driver runs {string.Join(", ", served.Functions)}");
        }

        string[] functions = cmd.Function is null ? served.Functions.ToArray() : [cmd.Function];
        return await devices.Ask<object>(
            new RegisterDevice(device.DeviceId, device.Node, device.Type, functions, device.CapacityQueuePairs, cmd.RequestId), timeout);
    }
}
