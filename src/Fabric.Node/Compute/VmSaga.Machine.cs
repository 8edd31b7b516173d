using Akka.Actor;
using Akka.Event;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Node.Vm;

namespace Fabric.Node.Compute;

// The VM machine's part of a VM command (docs/vhost.md, "VMs the node starts"): QEMU starts after the attachments are
// realized and stops before their queues drain; a machine that died has its attachments detached, reservations kept.
public sealed partial class VmSaga
{
    // QEMU's monitor answers well within the node's start timeout; a clean stop takes the grace plus a quit.
    private static readonly TimeSpan s_machineAsk = TimeSpan.FromSeconds(90);

    /// <summary>After the realization: start the machine on it, or take the realization back.</summary>
    private async Task<object> StartMachine(SpawnVm spawn, VmMachine machine, object realization)
    {
        if (realization is not VmRealized realized)
        {
            return realization;
        }

        try
        {
            var view = await Ask<VmMachineView>(Context.Parent, new StartMachine(spawn.VmId, machine, realized.Attachments), "the VM's machine", s_machineAsk);
            _log.Info("VM {0}: machine {1} (pid {2}, {3}), console {4}", spawn.VmId, view.State, view.Pid, view.Accelerator, view.ConsoleLog);
            return realized with { Attachments = realized.Attachments.ToArray(), Machine = view };
        }
        catch (SagaException ex)
        {
            var made = await Ask<RequestQueues>(Context.Parent, new QueuesOfRequest(spawn.RequestId), "the node agent");
            foreach (var id in made.QueueIds)
            {
                await Unrealize(id, delete: false, spawn.RequestId);
            }

            return ex.Rejected;
        }
    }

    private async Task<MachineStopped> StopMachine(string vmId, bool forget) =>
        await Ask<MachineStopped>(Context.Parent, new StopMachine(vmId, forget), "the VM's machine", s_machineAsk);

    /// <summary>The machine died: its queues drain and its attachments are detached (their reservations kept).</summary>
    private async Task<object> Release(ReleaseDeadVm dead)
    {
        await StopMachine(dead.VmId, forget: false);
        var drained = 0L;
        var ids = _state.Queues.Values.Where(q => q.VmId == dead.VmId).Select(q => q.QueueId).Order(StringComparer.Ordinal).ToArray();
        foreach (var id in ids)
        {
            drained += await Unrealize(id, delete: false, dead.RequestId);
        }

        return new VmStopped(dead.VmId, _node, ids, drained);
    }

    /// <summary>
    /// A deleted VM whose machine had died: its attachments were released already (no queue here any more), so they
    /// are only deleted now. Answers the ids it deleted.
    /// </summary>
    private async Task<IReadOnlyList<string>> ForgetReleased(MachineStopped machine, IReadOnlyList<string> drained, StopVm cmd)
    {
        if (!cmd.DeleteAttachments)
        {
            return [];
        }

        var released = machine.Attachments.Except(drained, StringComparer.Ordinal).ToArray();
        foreach (var id in released)
        {
            try
            {
                await Ask<AttachmentView>(_control.Attachments, new DetachAttachment(id, $"{cmd.RequestId}:detach:{id}"), "the AML");
                await Ask<AttachmentView>(_control.Attachments, new DeleteAttachment(id, $"{cmd.RequestId}:delete:{id}"), "the AML");
            }
            catch (SagaException ex)
            {
                _log.Warning("attachment {0} of deleted VM {1}: the AML refused its deletion: {2}", id, cmd.VmId, ex.Rejected);
            }
        }

        return released;
    }
}
