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

    /// <summary>Bind (or re-bind here), have the agent serve a queue on the bound device, report the handle.</summary>
    private async Task<AttachmentView> Realize(string vmId, VmAccelerator accelerator, string requestId)
    {
        var id = accelerator.AttachmentId;
        var view = await Ask<AttachmentView>(_control.Attachments, new GetAttachment(id), "the AML");
        if (view.VmId != vmId)
        {
            throw Refuse(RejectReason.IllegalState, $"attachment {id} belongs to VM {view.VmId}, not {vmId}");
        }

        if (_state.Queues.TryGetValue(id, out var existing) && existing.Handle is not null && view.Status == AttachmentStatus.Attached)
        {
            return view with { Handle = existing.Handle };
        }

        view = view.Status switch
        {
            AttachmentStatus.Initial or AttachmentStatus.BindFailed =>
                await Ask<AttachmentView>(_control.Attachments, new BindAttachment(id, _node, $"{requestId}:bind:{id}"), "the AML"),
            AttachmentStatus.Bound or AttachmentStatus.Attached or AttachmentStatus.Detached or AttachmentStatus.Failed when view.Host != _node || !_state.Devices.ContainsKey(view.DeviceId ?? "") =>
                await Ask<AttachmentView>(_control.Attachments, new RebindAttachment(id, _node, $"VM {vmId} runs on {_node}", $"{requestId}:rebind:{id}"), "the AML"),
            _ => view,
        };
        if (view.Status != AttachmentStatus.Bound && view.Status != AttachmentStatus.Attached && view.Status != AttachmentStatus.Detached)
        {
            throw Refuse(view.FailureReason ?? RejectReason.NoCapacity, $"attachment {id} could not be bound on {_node}: {view.FailureMessage ?? view.Status.ToString()}");
        }

        var deviceId = view.DeviceId!;
        if (!_state.Devices.TryGetValue(deviceId, out var device))
        {
            throw Refuse(RejectReason.IllegalState, $"attachment {id} is bound to {deviceId}, which this node does not serve");
        }

        AttachHandle handle;
        if (device.Spec.PciFunctions is not null)
        {
            // Cyborg's model: a free VF of the bound device is the VM's, reported as a PCI attach handle (Nova attaches it).
            handle = (await Ask<VfClaimed>(Context.Parent, new ClaimVf(id, vmId, deviceId, view.Handle?.PciAddress, requestId), "the node agent")).Handle;
            _log.Info("VM {0}: attachment {1} realized as VF {2} of {3} (PCI attach handle)", vmId, id, handle.PciAddress, deviceId);
        }
        else
        {
            // A group of Cyborg's own profiles names no function: its queue runs the device's first.
            var named = view.Groups.Select(g => g.Function).Where(f => f.Length > 0).Distinct().ToArray();
            string chain;
            string? socket = null;
            if (WantsVhost(view))
            {
                (chain, socket) = VhostRealization(id, named, device, accelerator);
            }
            else
            {
                chain = accelerator.Pipeline ?? (named.Length > 0 ? string.Join("->", named) : device.Spec.Functions[0]);
                var missing = chain.Split("->", StringSplitOptions.TrimEntries).Where(s => !device.Spec.Functions.Contains(s)).ToArray();
                if (missing.Length > 0)
                {
                    throw Refuse(RejectReason.FunctionNotSupported, $"device {deviceId} does not run {string.Join(", ", missing)} (chain {chain})");
                }
            }

            handle = (await Ask<QueueOpened>(Context.Parent, new OpenQueue(id, vmId, deviceId, chain, requestId, view.Level, socket), "the node agent")).Handle;
            _log.Info("VM {0}: attachment {1} realized on {2} ({3}) at {4}{5}", vmId, id, deviceId, chain, socket ?? handle.ChannelPath, socket is null ? "" : " (vhost-user)");
        }

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

    private async Task<T> Ask<T>(IActorRef to, object message, string who, TimeSpan? timeout = null)
    {
        object reply;
        var within = timeout ?? _settings.AskTimeout;
        try
        {
            reply = await to.Ask<object>(message, within);
        }
        catch (AskTimeoutException)
        {
            throw Refuse(RejectReason.Timeout, $"{who} did not answer {message.GetType().Name} within {within.TotalSeconds:0.#}s");
        }

        return reply switch
        {
            T typed => typed,
            Rejected rejected => throw new SagaException(rejected),
            _ => throw Refuse(RejectReason.IllegalState, $"unexpected answer {reply.GetType().Name} to {message.GetType().Name}"),
        };
    }

    private static SagaException Refuse(RejectReason reason, string message) => new(new Rejected(reason, message));

    private sealed class SagaException(Rejected rejected) : Exception(rejected.Message)
    {
        public Rejected Rejected { get; } = rejected;
    }

    private sealed record Go
    {
        public static Go Instance { get; } = new();
    }
}
