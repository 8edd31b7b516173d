using Akka.Event;
using Fabric.Messages.Attachments;
using Fabric.Messages.Node;

namespace Fabric.Node.Compute;

// The host's part of realizing a bound attachment, asked of the node agent: a VF of a PCI device, or a queue the AC
// serves (a channel, or a vhost-user socket).
public sealed partial class VmSaga
{
    /// <summary>Cyborg's model: a free VF of the bound device is the VM's, reported as a PCI attach handle (Nova attaches it).</summary>
    private async Task<AttachHandle> ClaimVf(AttachmentView view, DeviceEntry device, string requestId)
    {
        var handle = (await Ask<VfClaimed>(Context.Parent, new ClaimVf(view.AttachmentId, view.VmId, device.Id, view.Handle?.PciAddress, requestId), "the node agent")).Handle;
        _log.Info("VM {0}: attachment {1} realized as VF {2} of {3} (PCI attach handle)", view.VmId, view.AttachmentId, handle.PciAddress, device.Id);
        return handle;
    }

    private async Task<AttachHandle> OpenQueue(AttachmentView view, DeviceEntry device, VmAccelerator accelerator, string requestId)
    {
        var (id, vmId) = (view.AttachmentId, view.VmId);
        string? socket = null;
        string chain;
        if (WantsVhost(view))
        {
            (chain, socket) = VhostRealization(id, AttachmentRealization.NamedFunctions(view), device, accelerator);
        }
        else
        {
            var (channelChain, refusal) = AttachmentRealization.Chain(view, device, accelerator);
            chain = channelChain ?? throw new SagaException(refusal!);
        }

        var handle = (await Ask<QueueOpened>(Context.Parent, new OpenQueue(id, vmId, device.Id, chain, requestId, view.Level, socket), "the node agent")).Handle;
        _log.Info("VM {0}: attachment {1} realized on {2} ({3}) at {4}{5}", vmId, id, device.Id, chain, socket ?? handle.ChannelPath, socket is null ? "" : " (vhost-user)");
        return handle;
    }
}
