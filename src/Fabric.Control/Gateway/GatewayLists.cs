using Akka.Actor;
using Fabric.Control.Indexes;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Operator;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Fabric.Messages.Vim;

namespace Fabric.Control.Gateway;

/// <summary>
/// Lists as the gateways answer them (VIM and operator alike), a page at a time: ids from a sorted read model (an
/// index, or the capacity read model for devices) after the request's cursor, current state from each entity. A page
/// holds at most the request's limit and fits its <see cref="PageBudget"/>; its next cursor is the last id it read.
/// The methods run off an actor's thread and touch only their arguments.
/// </summary>
public static class GatewayLists
{
    public static async Task<object> Profiles(ControlPlane control, ListProfiles q, PageBudget budget, TimeSpan timeout)
    {
        if (LimitOf(q) is not { } limit)
        {
            return BadLimit(q);
        }

        var ids = await control.ProfileIndex!.Ask<IndexEntries>(new QueryIndex(null, q.Cursor, limit), timeout);
        return await Page<ProfileView>(ids, id => control.Profiles.Ask<object>(new GetProfile(id), timeout), _ => true, v => v.Name,
            (items, next) => new ProfileList(items, next), budget, "profile");
    }

    public static async Task<object> Attachments(ControlPlane control, ListAttachments q, PageBudget budget, TimeSpan timeout)
    {
        if (LimitOf(q) is not { } limit)
        {
            return BadLimit(q);
        }

        var ids = await control.AttachmentIndex!.Ask<IndexEntries>(new QueryIndex(q.VmId, q.Cursor, limit), timeout);
        return await Page<AttachmentView>(ids, id => control.Attachments.Ask<object>(new GetAttachment(id), timeout),
            v => v.Status != AttachmentStatus.Deleted, v => v.AttachmentId, (items, next) => new AttachmentList(items, next), budget, "attachment");
    }

    public static async Task<object> Devices(ControlPlane control, ListDevices q, PageBudget budget, TimeSpan timeout)
    {
        if (LimitOf(q) is not { } limit)
        {
            return BadLimit(q);
        }

        var snapshot = await control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, timeout);
        var after = snapshot.Devices
            .Where(d => q.Node is null || d.Node == q.Node)
            .Select(d => d.DeviceId)
            .Where(id => q.Cursor is null || StringComparer.Ordinal.Compare(id, q.Cursor) > 0)
            .Order(StringComparer.Ordinal)
            .Take(limit + 1)
            .ToArray();
        var ids = new IndexEntries(after.Take(limit).ToArray(), after.Length > limit);
        return await Page<DeviceView>(ids, id => control.Devices.Ask<object>(new GetDevice(id), timeout), _ => true, v => v.DeviceId,
            (items, next) => new DeviceList(items, next), budget, "device");
    }

    public static async Task<object> Pipelines(ControlPlane control, IActorRef pipelineIndex, ListPipelines q, PageBudget budget, TimeSpan timeout)
    {
        if (LimitOf(q) is not { } limit)
        {
            return BadLimit(q);
        }

        var ids = await pipelineIndex.Ask<IndexEntries>(new QueryIndex(q.AttachmentId, q.Cursor, limit), timeout);
        return await Page<PipelineView>(ids, id => control.Pipelines.Ask<object>(new GetPipeline(id), timeout), v => v.Exists, v => v.PipelineId,
            (items, next) => new PipelineList(items, next), budget, "pipeline");
    }

    /// <summary>The page's limit: the request's, at most <see cref="ListLimits.MaxLimit"/>; null when it is not a positive number.</summary>
    private static int? LimitOf(IListQuery q) => q.Limit switch
    {
        null => ListLimits.DefaultLimit,
        < 1 => null,
        var n => Math.Min(n.Value, ListLimits.MaxLimit),
    };

    private static Rejected BadLimit(IListQuery q) => new(RejectReason.InvalidArgument,
        $"{q.GetType().Name}: a page limit of {q.Limit} is not a positive number; give 1 to {ListLimits.MaxLimit}, or none for {ListLimits.DefaultLimit}");

    /// <summary>
    /// Asks each id's entity for its view and keeps those that exist; halves the page until it fits the budget (the
    /// next cursor is then the last id kept). One item alone over the budget is refused: no page could carry it.
    /// </summary>
    private static async Task<object> Page<TView>(IndexEntries ids, Func<string, Task<object>> view, Func<TView, bool> keep, Func<TView, string> idOf,
        Func<IReadOnlyList<TView>, string?, object> reply, PageBudget budget, string what)
    {
        var views = await Task.WhenAll(ids.Ids.Select(view));
        var items = views.OfType<TView>().Where(keep).ToArray();
        var next = ids.More ? ids.Ids[^1] : null;
        var page = reply(items, next);
        var size = budget.SizeOf(page);
        while (size > budget.MaxBytes)
        {
            if (items.Length <= 1)
            {
                return new Rejected(RejectReason.ReplyTooLarge,
                    $"the {what} '{idOf(items[0])}' alone takes {size} bytes, more than the {budget.MaxBytes} bytes a page may take (half the remoting frame); "
                    + "read it on its own with a get, or raise akka.remote.dot-netty.tcp.maximum-frame-size on every node and client");
            }

            items = items[..(items.Length / 2)];
            next = idOf(items[^1]);
            page = reply(items, next);
            size = budget.SizeOf(page);
        }

        return page;
    }
}
