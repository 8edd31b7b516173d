using Akka.Actor;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Placement;

namespace Fabric.Control.Nodes;

/// <summary>What carrying out a node's loss asks of the entities; idempotent (request ids per device and attachment).</summary>
public static class NodeLossWork
{
    /// <summary>
    /// Marks the node's devices lost and fails their attachments; stops early if the node is a member again. Silence
    /// (a timeout) or an unexpected answer throws: the watcher retries.
    /// </summary>
    public static async Task MarkLost(ControlPlane control, LostNode lost, Func<string, bool> isMember, TimeSpan timeout)
    {
        var snapshot = await control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, timeout);
        foreach (var device in snapshot.Devices.Where(d => d.Node == lost.Node))
        {
            if (isMember(lost.Node))
            {
                return;
            }

            var reply = await control.Devices.Ask<object>(
                new SetDeviceHealth(device.DeviceId, DeviceHealth.Lost, $"node {lost.Node} {lost.How}", $"{lost.RequestPrefix}:{device.DeviceId}"), timeout);
            if (reply is not DeviceView view)
            {
                throw new InvalidOperationException($"device {device.DeviceId} answered {reply}");
            }

            foreach (var attachment in view.Holders.Keys)
            {
                // A refusal (deleted meanwhile, already failed) is an answer: only silence is retried.
                await control.Attachments.Ask<object>(
                    new FailAttachment(attachment, $"NodeLost: node {lost.Node} {lost.How}", $"{lost.RequestPrefix}:{attachment}"), timeout);
            }
        }
    }
}
