using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;

namespace Fabric.Node.Compute;

/// <summary>
/// What a <see cref="VmSaga"/> decides while it realizes an attachment on this host, from the AML's view of it and the
/// agent's <see cref="ComputeState"/>: pure, so the saga is left with the asking. Each refusal says what was wrong.
/// </summary>
public static class AttachmentRealization
{
    /// <summary>The attachment is served here already: the saga reports its handle again and asks nothing.</summary>
    public static AttachHandle? ServedHandle(AttachmentView view, ComputeState state) =>
        state.Queues.TryGetValue(view.AttachmentId, out var existing) && existing.Handle is not null && view.Status == AttachmentStatus.Attached
            ? existing.Handle
            : null;

    /// <summary>What the AML is asked so the attachment is bound on <paramref name="node"/> (null: it is already).</summary>
    public static object? BindCommand(AttachmentView view, string vmId, string node, ComputeState state, string requestId) => view.Status switch
    {
        AttachmentStatus.Initial or AttachmentStatus.BindFailed => new BindAttachment(view.AttachmentId, node, $"{requestId}:bind:{view.AttachmentId}"),
        AttachmentStatus.Bound or AttachmentStatus.Attached or AttachmentStatus.Detached or AttachmentStatus.Failed
            when view.Host != node || !state.Devices.ContainsKey(view.DeviceId ?? "") =>
            new RebindAttachment(view.AttachmentId, node, $"VM {vmId} runs on {node}", $"{requestId}:rebind:{view.AttachmentId}"),
        _ => null,
    };

    /// <summary>The device of this node the attachment is bound to, or why it cannot be served here.</summary>
    public static (DeviceEntry? Device, Rejected? Refusal) BoundDevice(AttachmentView view, string node, ComputeState state)
    {
        var id = view.AttachmentId;
        if (view.Status != AttachmentStatus.Bound && view.Status != AttachmentStatus.Attached && view.Status != AttachmentStatus.Detached)
        {
            return (null, new Rejected(view.FailureReason ?? RejectReason.NoCapacity, $"attachment {id} could not be bound on {node}: {view.FailureMessage ?? view.Status.ToString()}"));
        }

        return state.Devices.TryGetValue(view.DeviceId!, out var device)
            ? (device, null)
            : (null, new Rejected(RejectReason.IllegalState, $"attachment {id} is bound to {view.DeviceId}, which this node does not serve"));
    }

    /// <summary>The functions the attachment's profile groups name (a group of Cyborg's own profiles names none).</summary>
    public static IReadOnlyList<string> NamedFunctions(AttachmentView view) => view.Groups.Select(g => g.Function).Where(f => f.Length > 0).Distinct().ToArray();

    /// <summary>
    /// The stages a channel queue runs: the accelerator's pipeline, else the functions the profile names, else the
    /// device's first function; refused when the device does not run one of them.
    /// </summary>
    public static (string? Chain, Rejected? Refusal) Chain(AttachmentView view, DeviceEntry device, VmAccelerator accelerator)
    {
        var named = NamedFunctions(view);
        var chain = accelerator.Pipeline ?? (named.Count > 0 ? string.Join("->", named) : device.Spec.Functions[0]);
        var missing = chain.Split("->", StringSplitOptions.TrimEntries).Where(s => !device.Spec.Functions.Contains(s)).ToArray();
        return missing.Length > 0
            ? (null, new Rejected(RejectReason.FunctionNotSupported, $"device {device.Id} does not run {string.Join(", ", missing)} (chain {chain})"))
            : (chain, null);
    }
}
