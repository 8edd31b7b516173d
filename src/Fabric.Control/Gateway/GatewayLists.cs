using Akka.Actor;
using Fabric.Control.Indexes;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Operator;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Fabric.Messages.Vim;

namespace Fabric.Control.Gateway;

/// <summary>
/// Lists as the gateways answer them (VIM and operator alike): ids from a read model (an index, or the capacity read
/// model for devices), current state from each entity. The methods run off an actor's thread and touch only their arguments.
/// </summary>
public static class GatewayLists
{
    public static async Task<object> Profiles(ControlPlane control, TimeSpan timeout)
    {
        var ids = await control.ProfileIndex!.Ask<IndexEntries>(new QueryIndex(null), timeout);
        var views = await Task.WhenAll(ids.Ids.Select(id => control.Profiles.Ask<object>(new GetProfile(id), timeout)));
        return new ProfileList(views.OfType<ProfileView>().ToArray());
    }

    public static async Task<object> Attachments(ControlPlane control, string? vmId, TimeSpan timeout)
    {
        var ids = await control.AttachmentIndex!.Ask<IndexEntries>(new QueryIndex(vmId), timeout);
        var views = await Task.WhenAll(ids.Ids.Select(id => control.Attachments.Ask<object>(new GetAttachment(id), timeout)));
        return new AttachmentList(views.OfType<AttachmentView>().Where(v => v.Status != AttachmentStatus.Deleted).ToArray());
    }

    public static async Task<object> Devices(ControlPlane control, string? node, TimeSpan timeout)
    {
        var snapshot = await control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, timeout);
        var ids = snapshot.Devices.Where(d => node is null || d.Node == node).Select(d => d.DeviceId);
        var views = await Task.WhenAll(ids.Select(id => control.Devices.Ask<object>(new GetDevice(id), timeout)));
        return new DeviceList(views.OfType<DeviceView>().OrderBy(d => d.DeviceId, StringComparer.Ordinal).ToArray());
    }

    public static async Task<object> Pipelines(ControlPlane control, IActorRef pipelineIndex, string? attachmentId, TimeSpan timeout)
    {
        var ids = await pipelineIndex.Ask<IndexEntries>(new QueryIndex(attachmentId), timeout);
        var views = await Task.WhenAll(ids.Ids.Select(id => control.Pipelines.Ask<object>(new GetPipeline(id), timeout)));
        return new PipelineList(views.OfType<PipelineView>().Where(v => v.Exists).ToArray());
    }
}
