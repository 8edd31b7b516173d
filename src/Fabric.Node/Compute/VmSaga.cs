using Akka.Actor;
using Akka.Event;
using Fabric.Control;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Node.Vm;

namespace Fabric.Node.Compute;

/// <summary>
/// One VM command (spawn, hot-add, stop) carried out to its end, then stopped: it talks to the AML, asks its node
/// agent for the host's part (<see cref="OpenQueue"/>, <see cref="ClaimVf"/>, <see cref="CloseQueue"/>) and answers the
/// requester. It may wait on the AML for seconds; the agent meanwhile answers everything else.
/// </summary>
public sealed partial class VmSaga : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _node;
    private readonly ControlPlane _control;
    private readonly ComputeSettings _settings;
    private readonly ComputeState _state;
    private readonly IActorRef _replyTo;

    /// <param name="state">The agent's state when the command started: its devices, and this VM's queues (the agent runs one saga per VM at a time).</param>
    public VmSaga(string node, ControlPlane control, ComputeSettings settings, ComputeState state, object command, IActorRef replyTo)
    {
        _node = node;
        _control = control;
        _settings = settings;
        _state = state;
        _replyTo = replyTo;
        ReceiveAsync<Go>(async _ =>
        {
            _replyTo.Tell(await Run(command));
            Context.Stop(Self);
        });
    }

    public static Props Props(string node, ControlPlane control, ComputeSettings settings, ComputeState state, object command, IActorRef replyTo) =>
        Akka.Actor.Props.Create(() => new VmSaga(node, control, settings, state, command, replyTo));

    protected override void PreStart() => Self.Tell(Go.Instance);

    private async Task<object> Run(object command)
    {
        try
        {
            return command switch
            {
                SpawnVm { Machine: { } machine } spawn => await StartMachine(spawn, machine, await Realize(spawn.VmId, spawn.Accelerators, spawn.RequestId)),
                SpawnVm spawn => await Realize(spawn.VmId, spawn.Accelerators, spawn.RequestId),
                ReleaseDeadVm dead => await Release(dead),
                AddVmAccelerator add => await Realize(add.VmId, [add.Accelerator], add.RequestId),
                StopVm stop => await Stop(stop),
                _ => new Rejected(RejectReason.InvalidArgument, $"not a VM command: {command.GetType().Name}"),
            };
        }
        catch (SagaException ex)
        {
            return ex.Rejected;
        }
    }

    /// <summary>All or nothing: every queue this request made (also one whose attach report failed) is taken back on a failure.</summary>
    private async Task<object> Realize(string vmId, IReadOnlyList<VmAccelerator> accelerators, string requestId)
    {
        var done = new List<AttachmentView>();
        try
        {
            foreach (var accelerator in accelerators)
            {
                done.Add(await Realize(vmId, accelerator, requestId));
            }

            return new VmRealized(vmId, _node, done);
        }
        catch (SagaException ex)
        {
            var made = await Ask<RequestQueues>(Context.Parent, new QueuesOfRequest(requestId), "the node agent");
            foreach (var id in made.QueueIds)
            {
                await Unrealize(id, delete: false, requestId);
            }

            return ex.Rejected;
        }
    }

    /// <summary>The VM's machine (if the node runs one) stops first, then its queues drain.</summary>
    private async Task<object> Stop(StopVm cmd)
    {
        var machine = await StopMachine(cmd.VmId, forget: true);
        var drained = 0L;
        var ids = _state.Queues.Values.Where(q => q.VmId == cmd.VmId).Select(q => q.QueueId).Order(StringComparer.Ordinal).ToArray();
        foreach (var id in ids)
        {
            drained += await Unrealize(id, cmd.DeleteAttachments, cmd.RequestId);
        }

        // An array: a collection expression's list type exists only in this assembly, and the VIM could not read it.
        return new VmStopped(cmd.VmId, _node, ids.Concat(await ForgetReleased(machine, ids, cmd)).ToArray(), drained);
    }

    /// <summary>Bind (or re-bind here), have the agent serve a queue on the bound device, report the handle (<see cref="AttachmentRealization"/> decides).</summary>
    private async Task<AttachmentView> Realize(string vmId, VmAccelerator accelerator, string requestId)
    {
        var id = accelerator.AttachmentId;
        var view = await Ask<AttachmentView>(_control.Attachments, new GetAttachment(id), "the AML");
        if (view.VmId != vmId)
        {
            throw Refuse(RejectReason.IllegalState, $"attachment {id} belongs to VM {view.VmId}, not {vmId}");
        }

        if (AttachmentRealization.ServedHandle(view, _state) is { } served)
        {
            return view with { Handle = served };
        }

        if (AttachmentRealization.BindCommand(view, vmId, _node, _state, requestId) is { } bind)
        {
            view = await Ask<AttachmentView>(_control.Attachments, bind, "the AML");
        }

        var (device, refusal) = AttachmentRealization.BoundDevice(view, _node, _state);
        var handle = device is null ? throw new SagaException(refusal!) : device.Spec.PciFunctions is not null
            ? await ClaimVf(view, device, requestId)
            : await OpenQueue(view, device, accelerator, requestId);
        return await Ask<AttachmentView>(_control.Attachments, new MarkAttached(id, handle, $"{requestId}:attach:{id}"), "the AML");
    }

    /// <summary>Drain and remove the queue, detach the attachment (and delete it when the VM is deleted).</summary>
    private async Task<long> Unrealize(string attachmentId, bool delete, string requestId)
    {
        var closed = await Ask<QueueClosed>(Context.Parent, new CloseQueue(attachmentId), "the node agent");
        try
        {
            await Ask<AttachmentView>(_control.Attachments, new DetachAttachment(attachmentId, $"{requestId}:detach:{attachmentId}"), "the AML");
            if (delete)
            {
                await Ask<AttachmentView>(_control.Attachments, new DeleteAttachment(attachmentId, $"{requestId}:delete:{attachmentId}"), "the AML");
            }
        }
        catch (SagaException ex)
        {
            _log.Warning("attachment {0}: queue removed but the AML refused the change: {1}", attachmentId, ex.Rejected);
        }

        return closed.CompletedWhileDraining;
    }

    private sealed record Go
    {
        public static Go Instance { get; } = new();
    }
}
