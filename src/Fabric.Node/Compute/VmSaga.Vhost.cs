using Akka.Cluster;
using Fabric.Dataplane.Dpdk;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Placement;
using Fabric.Node.Dpdk;
using Fabric.Node.Vm;

namespace Fabric.Node.Compute;

// The VHOST_USER realization (docs/vhost.md, "VMs the node starts"): a profile group asking for attach type VHOST_USER
// is served as a virtio-crypto device on a vhost-user socket the VM's QEMU connects to, not as a channel.
public sealed partial class VmSaga
{
    private static bool WantsVhost(AttachmentView view) => view.Groups.Any(g => g.AttachType == DeviceTraits.VhostUserAttach);

    /// <summary>The function and socket of a vhost-user queue, or the refusal that says what is wrong.</summary>
    private (string Function, string Socket) VhostRealization(string id, IReadOnlyList<string> named, DeviceEntry device, VmAccelerator accelerator)
    {
        // Placement puts VHOST_USER only on devices with its trait, which a node without EAL never offers; this guards a stale book.
        if (!DpdkEal.IsRunning)
        {
            throw Refuse(RejectReason.FunctionNotSupported, $"attachment {id}: {VhostAttach.NoEal}");
        }

        if (accelerator.Pipeline is { } pipeline)
        {
            throw Refuse(RejectReason.InvalidArgument, $"attachment {id}: a vhost-user attachment runs one function, not a pipeline ({pipeline})");
        }

        var (function, problem) = VhostAttach.FunctionFor(named, device.Spec.Functions);
        if (function is null || !device.Spec.Functions.Contains(function))
        {
            throw Refuse(RejectReason.FunctionNotSupported, $"attachment {id} on {device.Id}: {problem ?? $"the device does not run {function}"}");
        }

        var port = Cluster.Get(Context.System).SelfAddress.Port ?? 0;
        try
        {
            return (function, VhostAttach.SocketPath(VmSettings.From(Context.System.Settings.Config).VhostDirectory, _node, port, id));
        }
        catch (ArgumentException ex)
        {
            throw Refuse(RejectReason.InvalidArgument, $"attachment {id}: {ex.Message}");
        }
    }
}
